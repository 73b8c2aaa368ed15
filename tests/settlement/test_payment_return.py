"""A transfer the bank sent back (银行退回): recorded once on the batch's page after the question,
the money is back in the bank account and owed to the payee again, and the next batch pays it to the
account corrected meanwhile; the batch and its bank file stay as they were; the books check."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ltci.audit.models import AuditEvent
from ltci.dualcontrol import services as dual
from ltci.fund import ledger
from ltci.fund.models import Journal
from ltci.settlement import payments
from ltci.settlement.models import PaymentReturn
from ltci.settlement.review import StepRefused
from tests.confirming import ask, confirmed_post

from .conftest import OLD

pytestmark = pytest.mark.django_db
NEW = "6217009999888877776"


def test_a_returned_transfer_is_owed_again_and_the_next_batch_pays_it_to_the_corrected_account(paid, home, clerks):
    assert payments.owed(home.region.pk) == []  # paid in full
    payment = paid.payments.get()
    made = payments.return_payment(payment, clerks["payer"], reason="收款账户已销户", returned_on=date(2025, 4, 12))
    assert made.payment == payment and PaymentReturn.objects.count() == 1
    (due,) = payments.owed(home.region.pk)
    assert due.amount == payment.amount == 1395
    journal = Journal.objects.get(key=f"payment-return:{payment.pk}")
    assert journal.kind == "payment_return" and journal.posted_on == date(2025, 4, 12)
    check = ledger.check(home.region.pk)
    assert check.problems == [] and any("银行退回 1 笔 1395.00 元" in line for line in check.lines)
    with pytest.raises(StepRefused, match="已登记银行退回"):
        payments.return_payment(payment, clerks["payer"], reason="再退一次")
    assert Journal.objects.filter(kind="payment_return").count() == 1
    # The account is corrected (four eyes), then the next batch pays the amount again, to NEW.
    dual.approve(payments.set_account(clerks["payer"], institution=home.institution, account_name="护理院",
                                      bank="建行", account_number=NEW), clerks["approver"])
    again = payments.make_batch(home.region.pk, clerks["payer"], paid_on=date(2025, 4, 20)).batch
    assert again.total == 1395 and NEW in payments.bank_file(again, clerks["payer"]).decode("utf-8-sig")
    assert OLD in payments.bank_file(paid, clerks["payer"]).decode("utf-8-sig")  # the first file as it was
    assert ledger.check(home.region.pk).problems == []
    assert AuditEvent.objects.filter(detail__step="payment_returned", object_id=str(paid.pk)).count() == 1


@pytest.mark.parametrize("reason, day, field", [
    ("", None, "reason"), ("x" * 201, None, "reason"), ("销户\x00", None, "reason"),
    ("销户", date(2025, 4, 1), "returned_on"), ("销户", "tomorrow", "returned_on"),
])
def test_a_bad_return_is_refused_with_its_field_and_changes_nothing(paid, clerks, reason, day, field):
    if day == "tomorrow":
        day = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        payments.return_payment(paid.payments.get(), clerks["payer"], reason=reason, returned_on=day)
    assert field in exc.value.message_dict
    assert not PaymentReturn.objects.exists() and not Journal.objects.filter(kind="payment_return").exists()


def test_the_payer_records_a_return_on_the_batch_page_after_the_question(paid, home, clerks, client_for):
    client = client_for(clerks["payer"])
    assert f"/settlement/payments/{paid.pk}/" in client.get("/settlement/payments/").content.decode()
    page = client.get(f"/settlement/payments/{paid.pk}/").content.decode()
    assert "1,395.00" in page and "登记银行退回" in page and OLD not in page  # the account masked
    payment = paid.payments.get()
    url = f"/settlement/transfers/{payment.pk}/return"
    data = {"reason": "户名不符", "returned_on": "2025-04-11"}
    question = ask(client, url, data)
    assert "确认登记银行退回" in question and "1,395.00 元" in question and not PaymentReturn.objects.exists()
    done = confirmed_post(client, url, data, follow=True).content.decode()
    assert "已登记银行退回" in done and "银行已于2025-04-11退回：户名不符" in done
    assert PaymentReturn.objects.get().reason == "户名不符"


def test_the_api_records_a_return_and_others_may_not(paid, home, clerks, client_for):
    from ltci.accounts.roles import Role

    payment = paid.payments.get()
    url = f"/api/settlement/payments/{payment.pk}/return"
    assert client_for(home.users[Role.AUDITOR]).post(url, {"reason": "销户"},
                                                     content_type="application/json").status_code == 403
    r = client_for(clerks["payer"]).post(url, {"reason": "销户", "returned_on": "2025-04-11"},
                                         content_type="application/json")
    assert r.status_code == 201 and r.json()["amount"] == "1395.00"
    again = client_for(clerks["payer"]).post(url, {"reason": "销户"}, content_type="application/json")
    assert again.status_code == 409
