"""Payments: by hand and by file, refused when they cannot be right, posted to the fund's income once."""

import csv
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ltci.contributions.billing import start_billing
from ltci.contributions.models import Payment
from ltci.contributions.payments import record_payment, start_import
from ltci.contributions.standing import contribution_verdict, facts, statement
from ltci.core.models import JobStatus
from ltci.fund.models import Journal, Posting
from ltci.regions.models import Region

D = Decimal


@pytest.fixture
def billed(enrol):
    person = enrol("xuzhou", 1, category="in_service", birth=date(1980, 1, 1), start=date(2023, 3, 1))
    region = Region.objects.get(pk="xuzhou")
    start_billing(region, "2024")
    start_billing(region, "2025")
    return person


def pay(person, amount, ref, *, period="2024", payer="individual", channel="personal_account", on=date(2024, 2, 1)):
    return record_payment(person, period=period, payer=payer, channel=channel, amount=amount, reference=ref,
                          paid_on=on)  # as typed: the service reads it with the one money parser


def test_a_payment_posts_a_balanced_journal_to_the_payers_income(billed):
    payment = pay(billed, "20.00", "PA-1")
    journal = Journal.objects.get(key=f"payment:{payment.pk}")
    lines = sorted((p.account, p.debit, p.credit) for p in Posting.objects.filter(journal=journal))
    assert lines == [("1002", D("20.00"), D("0.00")), ("4101", D("0.00"), D("20.00"))]
    donation = pay(billed, "0.01", "DN-1", period="2025", channel="donation")
    assert Posting.objects.filter(journal__key=f"payment:{donation.pk}", account="4105").get().credit == D("0.01")


@pytest.mark.parametrize("kwargs, field, message", [
    ({"amount": "20.01"}, "amount", "缴费金额 20.01 元超过应缴未缴金额 20.00 元"),
    ({"period": "2022"}, "period", "没有缴费核定"),
    ({"channel": "employer"}, "channel", "单位缴纳不能缴纳个人部分"),
    ({"payer": "donation"}, "payer", "缴费主体应为"),
    ({"on": date(2099, 1, 1)}, "paid_on", "不能晚于今天"),
])
def test_a_payment_that_cannot_be_right_is_refused_with_field_and_reason(billed, kwargs, field, message):
    args = {"amount": "20.00", "ref": "X-1"} | kwargs
    with pytest.raises(ValidationError) as exc:
        pay(billed, args.pop("amount"), args.pop("ref"), **args)
    assert message in exc.value.message_dict[field][0]
    assert Payment.objects.count() == 0 and Journal.objects.count() == 0


def test_the_same_channel_reference_twice_is_refused(billed):
    pay(billed, "10.00", "PA-9")
    with pytest.raises(ValidationError) as exc:
        pay(billed, "10.00", "PA-9")
    assert "该渠道流水号已登记" in exc.value.message_dict["reference"][0]


def test_a_personal_account_shortfall_carries_to_the_next_credit(billed, tmp_path):
    path = tmp_path / "pa.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["证件号码", "缴费渠道", "金额", "渠道流水号", "到账日期"])
        w.writerow([billed.id_number, "个人账户划扣", "12.00", "PA-2024-01", "2024-01-31"])  # the account held 12
        w.writerow([billed.id_number, "个人账户划扣", "20.00", "PA-2024-02", "2024-02-29"])  # next credit
    job = start_import(path, Region.objects.get(pk="xuzhou"))
    assert job.status == JobStatus.DONE and job.counts["accepted"] == 2
    parts = [(p.period, p.amount) for p in Payment.objects.order_by("id")]
    assert parts == [("2024", D("12.00")), ("2024", D("8.00")), ("2025", D("12.00"))]


def test_a_bad_payment_file_imports_nothing_in_strict_mode(billed, tmp_path):
    path = tmp_path / "pay.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["证件号码", "缴费期间", "缴费主体", "缴费渠道", "金额", "渠道流水号", "到账日期"])
        w.writerow([billed.id_number, "2024", "个人", "税务征收", "20.00", "T-1", "2024-03-01"])
        w.writerow([billed.id_number, "2024", "财政补助", "财政划拨", "-5", "F-1", "2024-03-01"])
        w.writerow(["320311195003050000", "2024", "个人", "税务征收", "20.00", "T-2", "2024-03-01"])
    job = start_import(path, Region.objects.get(pk="xuzhou"))
    assert job.status == JobStatus.REJECTED and Payment.objects.count() == 0
    assert [(i.row, i.column) for i in job.issues.order_by("row")] == [(3, "金额"), (4, "证件号码")]
    lenient = start_import(path, Region.objects.get(pk="xuzhou"), strict=False)
    assert lenient.counts["accepted"] == 1 and Payment.objects.get().reference == "T-1"


def test_standing_arrears_full_payment_date_and_the_verdict(billed):
    pay(billed, "20.00", "PA-1", on=date(2024, 1, 20))
    pay(billed, "30.00", "MF-1", payer="medical_fund", channel="medical_fund", on=date(2024, 1, 25))
    [y2024, y2025] = statement(billed)
    assert y2024.arrears == D("20.00") and y2024.arrears_by_payer == {"fiscal": D("20.00")}
    pay(billed, "20.00", "FS-1", payer="fiscal", channel="fiscal_transfer", on=date(2024, 3, 10))
    f = facts(billed, date(2024, 6, 1))
    assert f.enrolled_on == date(2024, 3, 10) and f.paid_through == date(2024, 12, 31)
    # Paid 2024 in full on 10 March: Xuzhou's waiting period ends 6 months after the next day.
    verdict = contribution_verdict(billed, date(2024, 6, 1))
    assert [r["code"] for r in verdict.reasons] == ["waiting_period"]
    assert verdict.reasons[0]["until"] == "2024-09-11" and "尚无失能等级评估结论" in verdict.note
    # 2025 is unpaid: arrears from January 2025.
    assert [r["code"] for r in contribution_verdict(billed, date(2025, 2, 1)).reasons] == ["arrears"]


def test_a_payment_by_hand_is_audited(billed):
    from ltci.audit.models import Action, AuditEvent

    payment = pay(billed, "20.00", "PA-5")
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="contributions.payment")
    assert event.object_id == str(payment.pk) and event.detail["fields"]["amount"] == "20.00"


def test_a_reference_split_over_periods_cannot_be_used_again_by_hand(billed, tmp_path):
    path = tmp_path / "pa.csv"
    path.write_text("证件号码,缴费渠道,金额,渠道流水号,到账日期\n"
                    f"{billed.id_number},个人账户划扣,4.00,PA1,2024-06-01\n", encoding="utf-8")
    assert start_import(path, Region.objects.get(pk="xuzhou")).counts["accepted"] == 1
    with pytest.raises(ValidationError, match="该渠道流水号已登记"):
        pay(billed, "6.00", "PA1")
    again = start_import(path, Region.objects.get(pk="xuzhou"), strict=False)
    assert again.counts["rejected"] == 1 and Payment.objects.count() == 1


@pytest.mark.parametrize("amount, message", [("9.995", "最多两位小数"), ("NaN", "应为金额数字"), ("0", "应大于0"),
                                             ("1e3", "科学计数法"), ("1000000.01", "超过上限 1,000,000.00 元")])
def test_amounts_with_fractions_of_a_fen_or_not_a_number_are_refused(billed, amount, message):
    with pytest.raises(ValidationError, match=message):
        pay(billed, amount, "X-9")


def test_a_huge_amount_or_a_bad_byte_is_a_row_or_file_error_not_a_crash(billed, tmp_path):
    path = tmp_path / "pay.csv"
    path.write_text("证件号码,缴费期间,缴费主体,缴费渠道,金额,渠道流水号,到账日期\n"
                    f"{billed.id_number},2024,个人,税务征收,1e30,T-1,2024-03-01\n", encoding="utf-8")
    job = start_import(path, Region.objects.get(pk="xuzhou"))
    assert [(i.column, i.reason) for i in job.issues.all()] == [
        ("金额", "缴费金额不能用科学计数法（如 1e9），请写出完整的金额：1e30")]
    bad = tmp_path / "bad.csv"
    bad.write_bytes("证件号码,缴费渠道,金额,渠道流水号,到账日期\n".encode() + b"x,\xff\xfe,1,2,3\n" * 40000)
    failed = start_import(bad, Region.objects.get(pk="xuzhou"))
    assert failed.status == JobStatus.FAILED and "编码无法识别" in failed.message
