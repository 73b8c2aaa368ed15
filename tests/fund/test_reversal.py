"""A fee is paid only after the page has shown what it does and the manager confirmed; a fee paid in
error is reversed (冲销) by a new journal with the opposite entries, once, the original kept."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.audit.models import AuditEvent
from ltci.fund import accounts, ledger
from ltci.fund.fees import post_fee, reverse_fee
from ltci.fund.models import Fee, Journal, Reversal
from ltci.fund.services import reverse

from tests.confirming import DIGEST, ask, confirmed_post

from .conftest import budgeted, income

D = Decimal
FEE = {"kind": "assessment", "amount": "12.50", "on": "2025-03-03", "memo": "评估费"}


@pytest.fixture
def funded(xuzhou):
    income(xuzhou, date(2025, 1, 20), "1000.00")
    return budgeted(xuzhou, **{"5201": "500.00", "5202": "500.00"})


@pytest.fixture
def auditor(xuzhou):
    return create_user(username="xz-audit", password=None, role=Role.AUDITOR, region=xuzhou, full_name="稽核员")


def state():
    return Fee.objects.count(), Journal.objects.count(), Reversal.objects.count(), AuditEvent.objects.count()


def test_a_fee_asks_first_and_a_post_without_confirmation_changes_nothing(funded, manager, client_for):
    client = client_for(manager)
    before = state()
    page = ask(client, "/fund/fees", FEE)
    for words in ("确认支付费用并记账", "评估费用", "12.50 元", "2025-03-03", "借 评估费用支出，贷 银行存款（长护险基金专户）",
                  "支付后银行存款余额", "987.50 元", "确认支付并记账", "冲销"):
        assert words in page, words
    assert 'name="amount" value="12.50"' in page and 'name="confirmed" value="1"' in page
    assert state() == before
    # A confirmation of something else (another summary) is asked again, and changes nothing either.
    page = client.post("/fund/fees", {**FEE, "confirmed": "1", "confirm_digest": "0" * 32}).content.decode()
    assert "情况已有变化" in page and state() == before
    # A refusal comes before the question.
    page = client.post("/fund/fees", {**FEE, "amount": "1e9"}, follow=True).content.decode()
    assert "确认支付" not in page and state() == before
    done = confirmed_post(client, "/fund/fees", FEE, follow=True).content.decode()
    assert "已记账" in done and Fee.objects.get().amount == D("12.50")
    assert ledger.account_balance("xuzhou", accounts.BANK) == D("987.50")


def test_a_fee_reversed_by_an_opposite_journal_once_with_the_original_kept(funded, manager):
    fee = post_fee("xuzhou", "agency", D("300.00"), date(2025, 3, 1), "经办费", manager)
    original = Journal.objects.get(key=f"fee:{fee.pk}")
    with pytest.raises(ValidationError) as refused:
        reverse_fee(fee, manager, reason=" ")
    assert "冲销理由" in str(refused.value)
    r = reverse_fee(fee, manager, reason="金额录错")
    assert r.original == original and r.reversed_by == manager and r.journal.kind == "reversal"
    lines = {(p.account, p.debit, p.credit) for p in r.journal.postings.all()}
    assert lines == {(accounts.BANK, D("300.00"), D("0.00")), (accounts.AGENCY_FEES, D("0.00"), D("300.00"))}
    assert "金额录错" in r.journal.memo
    # The original stays; the books are as if the fee had not been paid.
    assert Fee.objects.filter(pk=fee.pk).exists() and original.postings.count() == 2
    assert ledger.account_balance("xuzhou", accounts.BANK) == D("1000.00")
    assert ledger.account_balance("xuzhou", accounts.AGENCY_FEES) == D("0.00")
    assert ledger.check("xuzhou").ok, ledger.check("xuzhou").problems
    assert AuditEvent.objects.filter(object_type="fund.reversal", object_id=str(r.pk), actor=manager).exists()
    with pytest.raises(ValidationError) as twice:
        reverse_fee(fee, manager, reason="再冲一次")
    assert "不能重复冲销" in str(twice.value)
    with pytest.raises(ValidationError) as of_reversal:
        reverse(r.journal, manager, reason="冲销的冲销")
    assert "冲销凭证不能再冲销" in str(of_reversal.value)
    assert Reversal.objects.count() == 1
    # The room the fee took is free again.
    post_fee("xuzhou", "agency", D("500.00"), date(2025, 3, 2), "经办费（更正）", manager)


def test_reversing_from_the_page_asks_and_shows_the_reversal(funded, manager, auditor, client_for):
    fee = post_fee("xuzhou", "assessment", D("80.00"), date(2025, 3, 1), "评估费", manager)
    client = client_for(manager)
    page = client.get("/fund/").content.decode()
    assert f'action="/fund/fees/{fee.pk}/reverse"' in page
    assert client_for(auditor).post(f"/fund/fees/{fee.pk}/reverse", {"reason": "错"}).status_code == 403
    before = state()
    asked = ask(client, f"/fund/fees/{fee.pk}/reverse", {"reason": "重复支付"})
    for words in ("确认冲销费用", "2025-03-01 评估费用 80.00 元", "借 银行存款（长护险基金专户），贷 评估费用支出", "重复支付",
                  "冲销后银行存款余额", "1,000.00 元", "原费用记录和原凭证保留不变"):
        assert words in asked, words
    assert state() == before
    done = confirmed_post(client, f"/fund/fees/{fee.pk}/reverse", {"reason": "重复支付"}, follow=True).content.decode()
    assert "已冲销：2025-03-01 评估费用 80.00 元" in done and "已冲销：" in done and "重复支付" in done
    assert f'action="/fund/fees/{fee.pk}/reverse"' not in done
    again = client.post(f"/fund/fees/{fee.pk}/reverse", {"reason": "再来"}, follow=True).content.decode()
    assert "不能重复冲销" in again and Reversal.objects.count() == 1
    journals = client_for(auditor).get("/fund/journals/").content.decode()
    assert "冲销" in journals and "已于" in journals and "（重复支付）" in journals


def test_the_api_reverses_a_fee_without_asking(funded, manager, client_for):
    fee = post_fee("xuzhou", "assessment", D("80.00"), date(2025, 3, 1), "评估费", manager)
    client = client_for(manager)
    r = client.post(f"/api/fund/fees/{fee.pk}/reversal", {"reason": "录错"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["amount"] == "80.00" and r.json()["reason"] == "录错"
    again = client.post(f"/api/fund/fees/{fee.pk}/reversal", {"reason": "录错"}, content_type="application/json")
    assert again.status_code == 422 and "不能重复冲销" in again.json()["message"]


def test_the_confirm_page_carries_the_form_and_no_digest_is_guessable(funded, manager, client_for):
    page = ask(client_for(manager), "/fund/fees", {**FEE, "reference": "PG-7"})
    assert 'name="reference" value="PG-7"' in page and 'name="csrfmiddlewaretoken"' in page
    assert len(DIGEST.search(page).group(1)) == 32
