"""Agency and assessment fees: paid and posted, Nanning's agency fees within 5 % of the year's
premium income (三(六), read from its parameter file), no cap where the policy sets none."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ltci.audit.models import Action, AuditEvent
from ltci.fund import accounts, ledger, periods
from ltci.fund.fees import agency_fee_cap, agency_room, post_fee
from ltci.fund.models import Fee, Journal

from .conftest import income

D = Decimal


@pytest.fixture
def nanning_income(nanning):
    """2025 premiums of 10 000 (and a donation, which is no premium); 2024 premiums of 90 000."""
    income(nanning, date(2025, 1, 15), "6000.00", "individual")
    income(nanning, date(2025, 2, 15), "4000.00", "employer")
    income(nanning, date(2025, 2, 15), "5000.00", "donation")
    income(nanning, date(2024, 12, 15), "90000.00", "employer")
    return nanning


def test_nanning_reads_its_cap_from_its_parameter_file(db):
    cap = agency_fee_cap("nanning", date(2025, 6, 1))
    assert cap.rate == D("0.05") and cap.clause == "nanning 三(六)"
    assert agency_fee_cap("xuzhou", date(2025, 6, 1)) is None
    assert agency_fee_cap("nanning", date(2029, 6, 1)).rate == D("0.05")  # holds until a new document replaces it


def test_a_fee_is_paid_from_the_bank_and_posted_once(nanning_income, nanning_manager):
    fee = post_fee("nanning", "assessment", D("120.00"), date(2025, 3, 2), "3月评估费", nanning_manager, reference="PG-1")
    journal = Journal.objects.get(key=f"fee:{fee.pk}")
    lines = sorted((p.account, p.debit, p.credit) for p in journal.postings.all())
    assert lines == [(accounts.BANK, D("0.00"), D("120.00")), (accounts.ASSESSMENT_FEES, D("120.00"), D("0.00"))]
    assert journal.kind == "fee" and journal.posted_on == date(2025, 3, 2) and "评估费用" in journal.memo
    again = post_fee("nanning", "assessment", D("120.00"), date(2025, 3, 2), "重复提交", nanning_manager, reference="PG-1")
    assert again.pk == fee.pk and Fee.objects.count() == 1 and Journal.objects.filter(kind="fee").count() == 1
    with pytest.raises(ValidationError) as exc:
        post_fee("nanning", "assessment", D("99.00"), date(2025, 3, 2), "另一笔", nanning_manager, reference="PG-1")
    assert "凭证号已登记" in exc.value.message_dict["reference"][0]
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="fund.fee")
    assert event.region_id == "nanning" and event.detail["fields"]["amount"] == "120.00"


def test_nanning_agency_fees_stay_within_five_percent_of_the_years_premiums(nanning_income, nanning_manager):
    room = agency_room("nanning", 2025)
    assert room.premium_income == D("10000.00") and room.limit == D("500.00") and room.left == D("500.00")
    post_fee("nanning", "agency", D("300.00"), date(2025, 3, 1), "一季度经办费", nanning_manager)
    post_fee("nanning", "assessment", D("900.00"), date(2025, 3, 1), "评估费不计入上限", nanning_manager)
    with pytest.raises(ValidationError) as exc:
        post_fee("nanning", "agency", D("200.01"), date(2025, 4, 1), "二季度经办费", nanning_manager)
    message = exc.value.message_dict["amount"][0]
    for words in ("nanning 三(六)", "5%", "2025年保费收入 10000.00 元", "上限 500.00 元", "已列支 300.00 元",
                  "尚可列支 200.00 元"):
        assert words in message
    post_fee("nanning", "agency", D("200.00"), date(2025, 4, 1), "二季度经办费", nanning_manager)
    assert agency_room("nanning", 2025).left == D("0.00")
    assert ledger.account_balance("nanning", accounts.AGENCY_FEES) == D("500.00")
    # The year is the fee's year: 2024's premiums leave room of their own.
    post_fee("nanning", "agency", D("4500.00"), date(2024, 12, 20), "2024年经办费", nanning_manager)


def test_regions_without_a_cap_pay_agency_fees_freely(xuzhou, manager):
    income(xuzhou, date(2025, 1, 15), "100.00")
    post_fee(xuzhou, "agency", D("5000.00"), date(2025, 3, 1), "经办费", manager)
    assert agency_room("xuzhou", 2025) is None
    assert ledger.account_balance("xuzhou", accounts.AGENCY_FEES) == D("5000.00")


@pytest.mark.parametrize("kwargs, field, message", [
    ({"kind": "consulting"}, "kind", "费用类别"),
    ({"amount": D("0.00")}, "amount", "大于0"),
    ({"amount": D("1.234")}, "amount", "两位小数"),
    ({"on": date(2099, 1, 1)}, "on", "不能晚于今天"),
    ({"memo": "  "}, "memo", "摘要"),
])
def test_a_fee_that_cannot_be_right_is_refused(xuzhou, manager, kwargs, field, message):
    args = {"kind": "assessment", "amount": D("10.00"), "on": date(2025, 3, 1), "memo": "评估费"} | kwargs
    with pytest.raises(ValidationError) as exc:
        post_fee(xuzhou, args["kind"], args["amount"], args["on"], args["memo"], manager)
    assert message in exc.value.message_dict[field][0]
    assert not Fee.objects.exists() and not Journal.objects.exists()


def test_a_fee_in_a_closed_month_is_refused_and_leaves_nothing(xuzhou, manager):
    periods.close("xuzhou", date(2025, 3, 1), manager)
    with pytest.raises(ValidationError) as exc:
        post_fee(xuzhou, "assessment", D("10.00"), date(2025, 3, 31), "评估费", manager)
    assert "已结账" in exc.value.message_dict["on"][0]
    assert not Fee.objects.exists()
