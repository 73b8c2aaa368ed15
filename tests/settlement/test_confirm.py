"""生成支付批次 and 追回 on the pages show who gets (or loses) how much and act only when confirmed."""

import pytest

from ltci.audit.models import AuditEvent
from ltci.fund.models import Journal
from ltci.settlement import review, run
from ltci.settlement.models import Approval, ApprovalStatus, Claim, Line, LineKind, PaymentBatch

from tests.confirming import ask, confirmed_post

from .conftest import TODAY, approved_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def owed(home, clerks):
    """March settled, reviewed and approved; the care home's account approved."""
    run.start_settlement(home.region, "2025-03", user=clerks["reviewer"], today=TODAY)
    review.approve(review.review(Claim.objects.get(), clerks["reviewer"]), clerks["approver"])
    approved_account(clerks["reviewer"], clerks["approver"], institution=home.institution, account_name="护理院",
                     bank="工行", account_number="6222021234567890")
    return home


def state():
    return (PaymentBatch.objects.count(), Journal.objects.count(), Line.objects.count(), AuditEvent.objects.count(),
            list(Approval.objects.values_list("status", flat=True)))


def test_a_payment_batch_shows_payees_and_total_and_pays_only_when_confirmed(owed, clerks, client_for):
    payer = client_for(clerks["payer"])
    before = state()
    owed_amount = Line.objects.get().fund
    page = ask(payer, "/settlement/payments/", {})
    total = f"{owed_amount:,.2f} 元"
    for words in ("确认生成支付批次（拨付）", "收款方", "1 户", total, owed.institution.name, "工行 6222 **** **** 7890",
                  f"确认拨付 {owed_amount:,.2f} 元", "下载银行文件之前可以撤销本批次"):
        assert words in page, words
    assert "6222021234567890" not in page
    assert state() == before  # asked, nothing paid
    done = confirmed_post(payer, "/settlement/payments/", {}, follow=True).content.decode()
    batch = PaymentBatch.objects.get()
    assert f"已生成支付批次 {batch.number}：1 户，合计 {owed_amount:,.2f} 元" in done
    assert Approval.objects.get().status == ApprovalStatus.PAID
    # Nothing is left to pay: refused before any question.
    again = payer.post("/settlement/payments/", {}, follow=True).content.decode()
    assert "确认拨付" not in again and PaymentBatch.objects.count() == 1


def test_a_confirmation_of_another_total_pays_nothing_and_asks_again(owed, clerks, client_for):
    payer = client_for(clerks["payer"])
    before = state()
    page = payer.post("/settlement/payments/", {"confirmed": "1", "confirm_digest": "f" * 32}).content.decode()
    assert "情况已有变化" in page and "确认生成支付批次" in page and state() == before


def test_a_recovery_from_the_claim_page_shows_the_amount_and_asks(owed, clerks, client_for):
    approver = client_for(clerks["approver"])
    claim, line = Claim.objects.get(), Line.objects.get()
    url, form = f"/settlement/claims/{claim.pk}/action", {"action": "recover", "id": line.pk, "text": "虚报服务"}
    before = state()
    page = ask(approver, url, form)
    for words in ("确认追回", owed.person.name, f"{line.fund:,.2f} 元", "虚报服务", "确认追回"):
        assert words in page, words
    assert state() == before
    done = confirmed_post(approver, url, form, follow=True).content.decode()
    assert "追回明细已生成" in done
    assert Line.objects.get(kind=LineKind.RECOVERY).fund == -line.fund
