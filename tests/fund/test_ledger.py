"""Balances, the trial balance and `ltci ledger check`, computed from postings alone."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ltci.cli import main
from ltci.contributions.billing import start_billing
from ltci.contributions.models import Payment
from ltci.contributions.payments import record_payment
from ltci.fund import accounts, ledger
from ltci.fund.fees import post_fee
from ltci.fund.services import Entry
from tests.conftest import make_institution, make_person

from .conftest import benefit, book, budgeted, income, paid_out

D = Decimal


@pytest.fixture
def books(xuzhou):
    """Three months of a small fund: income, benefits owed to two institutions and one paid."""
    income(xuzhou, date(2025, 1, 20), "1000.00", "individual")
    income(xuzhou, date(2025, 1, 20), "1500.00", "medical_fund")
    benefit(xuzhou, date(2025, 2, 28), "300.00", institution_id=1)
    benefit(xuzhou, date(2025, 2, 28), "200.00", institution_id=2)
    paid_out(xuzhou, date(2025, 3, 15), "300.00", institution_id=1)
    return xuzhou


def test_balances_per_account_and_per_party_as_of_a_day(books):
    rows = {(b.account, b.party): b for b in ledger.balances("xuzhou")}
    assert rows[(accounts.BANK, "")].balance == D("2200.00")
    assert rows[("4101", "")].balance == D("1000.00") and rows[("4103", "")].balance == D("1500.00")
    assert rows[(accounts.PAYABLE_INSTITUTION, "institution:1")].balance == D("0.00")
    assert rows[(accounts.PAYABLE_INSTITUTION, "institution:2")].balance == D("200.00")
    assert rows[(accounts.BENEFIT_INSTITUTION, "")].balance == D("500.00")
    earlier = {(b.account, b.party): b for b in ledger.balances("xuzhou", date(2025, 2, 27))}
    assert earlier[(accounts.BANK, "")].balance == D("2500.00") and (accounts.BENEFIT_INSTITUTION, "") not in earlier
    assert ledger.account_balance("xuzhou", accounts.BANK, date(2025, 3, 14)) == D("2500.00")


def test_the_trial_balance_balances_and_the_surplus_is_bank_less_payables(books):
    trial = ledger.trial_balance("xuzhou")
    assert trial.balanced and trial.debit == trial.credit == D("3300.00")
    assert trial.debit_balance == trial.credit_balance == D("2700.00")
    assert ledger.fund_balance("xuzhou") == D("2000.00") == D("2200.00") - D("200.00")
    assert ledger.fund_balance("xuzhou", date(2025, 1, 31)) == D("2500.00")


def test_sums_are_exact_to_the_fen(xuzhou):
    for _ in range(30):  # 0.1 has no exact binary float: summed as floats it drifts
        income(xuzhou, date(2025, 1, 2), "0.10")
        income(xuzhou, date(2025, 1, 2), "0.20")
    assert ledger.account_balance("xuzhou", accounts.BANK) == D("9.00")
    assert ledger.trial_balance("xuzhou").debit == D("9.00")


def test_other_regions_books_stay_apart(books, nanning):
    income(nanning, date(2025, 1, 20), "77.00")
    assert ledger.account_balance("xuzhou", accounts.BANK) == D("2200.00")
    assert ledger.account_balance("nanning", accounts.BANK) == D("77.00")


@pytest.fixture
def real_books(xuzhou, manager):
    """Books the apps wrote: contribution payments and a fee."""
    person = make_person(xuzhou, 11)
    start_billing(xuzhou, "2025")
    for payer, channel, amount in (("individual", "personal_account", "20.00"), ("medical_fund", "medical_fund", "30.00"),
                                   ("fiscal", "fiscal_transfer", "20.00")):
        record_payment(person, period="2025", payer=payer, channel=channel, amount=D(amount),
                       reference=f"R-{payer}", paid_on=date(2025, 1, 31))
    budgeted(xuzhou, **{"5201": "100.00"})
    post_fee(xuzhou, "assessment", D("15.00"), date(2025, 2, 3), "评估费", manager)
    institution = make_institution(xuzhou, 9)
    benefit(xuzhou, date(2025, 2, 28), "40.00", institution_id=institution.pk)
    paid_out(xuzhou, date(2025, 3, 10), "25.00", institution_id=institution.pk)
    return xuzhou


def test_the_check_passes_on_good_books(real_books, capsys):
    result = ledger.check("xuzhou")
    assert result.ok, result.problems
    text = "\n".join(result.lines)
    assert "缴费记录 3 笔 70.00 元" in text and "收入科目贷方净额 70.00 元" in text
    assert "银行存款余额 30.00 元" in text and "= 30.00 元" in text  # 70 − 15 − 25
    assert main(["ledger", "check", "--region", "xuzhou"]) == 0
    out = capsys.readouterr().out
    assert "基金账务核对：徐州市（xuzhou）" in out and "核对通过" in out


def _tamper(sql, params=()):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER fund_posting_append_only")  # rolled back with the test
        else:  # the books so far are checked first: PostgreSQL alters no table with checks pending
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE fund_posting DISABLE TRIGGER USER")
        cursor.execute(sql, params)


def test_the_check_fails_when_a_posting_is_tampered_with(real_books, capsys):
    payment = Payment.objects.get(payer="individual")
    _tamper("UPDATE fund_posting SET debit = 21 WHERE account = '1002' AND journal_id = "
            "(SELECT id FROM fund_journal WHERE key = %s)", [f"payment:{payment.pk}"])
    result = ledger.check("xuzhou")
    assert not result.ok
    text = "\n".join(result.problems)
    assert f"借贷不平衡的凭证 1 张：payment:{payment.pk}（借 21.00 / 贷 20.00）" in text
    assert "借贷合计不平衡：借方 151.00 元，贷方 150.00 元" in text and "71.00 元与缴费记录合计 70.00 元不符" in text
    assert "数据库缺少保护账簿的触发器" in text
    with pytest.raises(SystemExit) as exc:
        main(["ledger", "check", "--region", "xuzhou"])
    assert exc.value.code == 1
    out = capsys.readouterr().out
    assert "发现" in out and "借贷不平衡的凭证" in out


def test_the_check_finds_a_payment_without_its_journal_and_an_unknown_account(real_books):
    person = Payment.objects.first().person
    Payment.objects.bulk_create([Payment(region_id="xuzhou", person=person, period="2025", payer="individual",
                                         channel="tax", amount=D("5.00"), reference="NO-JOURNAL",
                                         paid_on=date(2025, 2, 1))])
    journal = book(real_books, date(2025, 4, 1), Entry(accounts.BANK, debit=D("1.00")), Entry("4101", credit=D("1.00")))
    _tamper("UPDATE fund_posting SET account = '4199' WHERE journal_id = %s AND account = '4101'", [journal.pk])
    problems = "\n".join(ledger.check("xuzhou").problems)
    assert "缴费记录 4 笔，缴费凭证 3 张" in problems and "NO-JOURNAL" in problems
    assert "未知会计科目的分录 1 条：科目 4199" in problems


def test_the_command_names_an_unknown_region(db):
    with pytest.raises(CommandError, match="unknown region"):
        call_command("ledger", "check", region="atlantis")


def test_the_check_command_fails_with_returncode_one(real_books):
    _tamper("UPDATE fund_posting SET credit = 0.01 WHERE account = '4103'")
    with pytest.raises(CommandError) as exc:
        call_command("ledger", "check", region="xuzhou")
    assert exc.value.returncode == 1 and "xuzhou" in str(exc.value)
