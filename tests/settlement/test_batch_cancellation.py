"""撤销支付批次: a batch made in error is cancelled, after the question, while its bank file has not
been taken. Its journal is reversed (both kept), what it paid is owed and approved again, the next
batch pays it once, and the books check. Once the file is taken, only bank returns undo transfers."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from ltci.accounts.roles import Role
from ltci.audit.models import AuditEvent
from ltci.fund import ledger
from ltci.fund.models import Journal, Reversal
from ltci.settlement import payments
from ltci.settlement.models import Approval, ApprovalStatus, BatchCancellation, PaymentBatch
from ltci.settlement.review import StepRefused
from tests.confirming import ask, confirmed_post

pytestmark = pytest.mark.django_db


def test_a_cancelled_batch_is_owed_again_and_the_next_batch_pays_it_once(paid, home, clerks):
    assert payments.owed(home.region.pk) == []
    made = payments.cancel_batch(paid, clerks["payer"], reason="拨付日期有误")
    assert made.approvals == list(Approval.objects.values_list("pk", flat=True))
    assert set(Approval.objects.values_list("status", "batch")) == {(ApprovalStatus.APPROVED, None)}
    (due,) = payments.owed(home.region.pk)
    assert due.amount == paid.total == 1395
    original = Journal.objects.get(key=f"payment-batch:{paid.pk}")
    reversal = Reversal.objects.get(original=original)
    assert reversal.journal.posted_on == original.posted_on and "拨付日期有误" in reversal.reason
    check = ledger.check(home.region.pk)
    assert check.problems == [] and "撤销支付批次 1 个 1395.00 元，拨付凭证均已冲销" in check.lines
    with pytest.raises(StepRefused, match="已撤销"):
        payments.cancel_batch(paid, clerks["payer"], reason="再撤一次")
    with pytest.raises(StepRefused, match="已撤销"):
        payments.bank_file(paid, clerks["payer"])
    with pytest.raises(StepRefused, match="已撤销"):
        payments.return_payment(paid.payments.get(), clerks["payer"], reason="销户")
    again = payments.make_batch(home.region.pk, clerks["payer"], paid_on=date(2025, 4, 11)).batch
    assert again.total == 1395 and payments.owed(home.region.pk) == []
    assert Approval.objects.get().batch == again
    assert ledger.check(home.region.pk).problems == []
    assert PaymentBatch.objects.count() == 2 and paid.payments.count() == 1  # the first batch kept
    assert AuditEvent.objects.filter(detail__step="batch_cancelled", object_id=str(paid.pk)).count() == 1


def test_once_the_bank_file_is_taken_the_batch_cannot_be_cancelled(paid, clerks):
    payments.bank_file(paid, clerks["payer"])
    paid.refresh_from_db()
    assert paid.bank_file_at is not None
    with pytest.raises(StepRefused, match="银行文件已于.*下载.*银行退回"):
        payments.cancel_batch(paid, clerks["payer"], reason="拨付日期有误")
    assert not BatchCancellation.objects.exists() and not Reversal.objects.exists()


@pytest.mark.parametrize("reason", ["", "x" * 141, "有误\x00"])
def test_a_cancellation_without_a_proper_reason_is_refused_and_changes_nothing(paid, clerks, reason):
    with pytest.raises(ValidationError) as exc:
        payments.cancel_batch(paid, clerks["payer"], reason=reason)
    assert "reason" in exc.value.message_dict
    assert not BatchCancellation.objects.exists() and not Reversal.objects.exists()
    assert Approval.objects.get().status == ApprovalStatus.PAID


def test_the_payer_cancels_on_the_batch_page_after_the_question(paid, clerks, client_for):
    client = client_for(clerks["payer"])
    page = client.get(f"/settlement/payments/{paid.pk}/").content.decode()
    assert "撤销本批次" in page
    url = f"/settlement/payments/{paid.pk}/cancel"
    question = ask(client, url, {"reason": "拨付日期有误"})
    assert "确认撤销支付批次" in question and "1,395.00 元" in question and not BatchCancellation.objects.exists()
    done = confirmed_post(client, url, {"reason": "拨付日期有误"}, follow=True).content.decode()
    assert "已撤销支付批次" in done and "（已撤销）" in done and "下载银行文件" not in done
    assert "已撤销" in client.get("/settlement/payments/").content.decode()
    # The bank file of a cancelled batch is refused with the reason, on the page.
    refused = client.get(f"/settlement/payments/{paid.pk}/bank-file.csv", follow=True).content.decode()
    assert "已撤销，不能下载银行文件" in refused


def test_the_page_offers_no_cancellation_once_the_file_is_taken(paid, clerks, client_for):
    client = client_for(clerks["payer"])
    client.get(f"/settlement/payments/{paid.pk}/bank-file.csv")
    page = client.get(f"/settlement/payments/{paid.pk}/").content.decode()
    assert "撤销本批次" not in page and "首次下载于" in page


def test_the_api_cancels_and_others_may_not(paid, home, clerks, client_for):
    url = f"/api/settlement/payment-batches/{paid.pk}/cancellation"
    assert client_for(home.users[Role.AUDITOR]).post(url, {"reason": "有误"},
                                                     content_type="application/json").status_code == 403
    r = client_for(clerks["payer"]).post(url, {"reason": "有误"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["total"] == "1395.00" and r.json()["approvals"] == 1
    assert client_for(clerks["payer"]).post(url, {"reason": "有误"}, content_type="application/json").status_code == 409
    listed = client_for(clerks["payer"]).get("/api/settlement/payment-batches").json()
    assert listed[0]["cancelled"] is True


def test_the_ledger_check_finds_a_cancelled_batch_whose_journal_was_not_reversed(paid, home, clerks):
    BatchCancellation.objects.create(batch=paid, reason="绕过服务", cancelled_by=clerks["payer"])
    assert any("未冲销拨付凭证" in p and paid.number in p for p in ledger.check(home.region.pk).problems)
