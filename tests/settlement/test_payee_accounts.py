"""Payees' bank accounts are four-eyes: a registration or change takes effect only when another
clerk approves it, and a payment batch (and so the bank file) uses approved accounts only.

The finding: the clerk who makes a payment batch could first change an institution's bank account,
and the new number went straight into the bank file."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from ltci.accounts.roles import Role
from ltci.audit.models import AuditEvent
from ltci.dualcontrol import services as dual
from ltci.dualcontrol.models import Request, RequestStatus
from ltci.settlement import payments, review, run
from ltci.settlement.models import Claim, PayeeAccount, Payment
from ltci.settlement.review import StepRefused

from .conftest import TODAY, approved_account

pytestmark = pytest.mark.django_db

OLD, NEW = "6222021234567890", "6217009999888877776"


@pytest.fixture
def owed(home, clerks):
    """March settled, reviewed and approved: the fund owes the care home 1,395.00, whose approved
    account is OLD."""
    run.start_settlement(home.region, "2025-03", user=clerks["reviewer"], today=TODAY)
    review.approve(review.review(Claim.objects.get(), clerks["reviewer"]), clerks["approver"])
    approved_account(clerks["reviewer"], clerks["approver"], institution=home.institution, account_name="护理院",
                     bank="工行", account_number=OLD)
    return home


def _bank_file(batch, user) -> str:
    return payments.bank_file(batch, user).decode("utf-8-sig")


def test_the_payer_changing_an_account_then_paying_never_pays_to_the_new_number(owed, clerks):
    payer = clerks["payer"]
    req = payments.set_account(payer, institution=owed.institution, account_name="护理院", bank="建行",
                               account_number=NEW)
    assert req.status == RequestStatus.PENDING and PayeeAccount.objects.get().account_number == OLD
    # The payee with a change awaiting approval is left out of the batch, with the reason.
    with pytest.raises(StepRefused, match="收款账户变更待复核"):
        payments.make_batch(owed.region.pk, payer)
    assert not Payment.objects.exists()
    (due,) = payments.owed(owed.region.pk)
    assert due.change == req and payments.why_not_paid(due).startswith(f"收款账户变更待复核（第 {req.pk} 号）")
    # Once another clerk approves, the next batch pays to the new number, and only then.
    with pytest.raises(StepRefused, match="提交人以外"):
        dual.approve(req, payer)
    dual.approve(req, clerks["reviewer"])
    batch = payments.make_batch(owed.region.pk, payer, paid_on=date(2025, 4, 10)).batch
    text = _bank_file(batch, payer)
    assert NEW in text and OLD not in text and "1395.00" in text


def test_a_rejected_change_leaves_the_approved_account_which_the_next_batch_pays(owed, clerks):
    req = payments.set_account(clerks["payer"], institution=owed.institution, account_name="护理院", bank="建行",
                               account_number=NEW)
    with pytest.raises(ValidationError):
        dual.reject(req, clerks["approver"], "")
    dual.reject(req, clerks["approver"], "机构未提交开户许可证，账户信息无法核实")
    req.refresh_from_db()
    assert req.status == RequestStatus.REJECTED and req.decided_by == clerks["approver"]
    batch = payments.make_batch(owed.region.pk, clerks["payer"]).batch
    text = _bank_file(batch, clerks["payer"])
    assert OLD in text and NEW not in text


def test_a_withdrawn_change_is_gone_and_a_new_one_may_follow(owed, clerks):
    req = payments.set_account(clerks["payer"], institution=owed.institution, account_name="护理院", bank="建行",
                               account_number=NEW)
    with pytest.raises(StepRefused, match="待复核"):  # one pending change per payee
        payments.set_account(clerks["payer"], institution=owed.institution, account_name="护理院", bank="中行",
                             account_number="6013821234567890")
    with pytest.raises(StepRefused, match="只有提交人"):
        dual.withdraw(req, clerks["approver"])
    dual.withdraw(req, clerks["payer"])
    assert Request.objects.get(pk=req.pk).status == RequestStatus.WITHDRAWN
    assert payments.why_not_paid(payments.owed(owed.region.pk)[0]) is None  # paid to OLD again
    again = payments.set_account(clerks["payer"], institution=owed.institution, account_name="护理院", bank="中行",
                                 account_number="6013821234567890")
    assert again.status == RequestStatus.PENDING
    with pytest.raises(ValidationError) as exc:
        payments.set_account(clerks["approver"], institution=owed.institution, account_name="护理院", bank="工行",
                             account_number=OLD + " ")
    assert exc.value.message_dict["account_number"] == ["与现有已复核的收款账户相同，无需变更"]


def test_a_first_account_needs_approval_too_and_so_does_a_persons(home, clerks):
    req = payments.set_account(clerks["payer"], person=home.person, account_name=home.person.name, bank="农行",
                               account_number=NEW)
    assert not PayeeAccount.objects.exists() and "原未登记账户" in req.summary
    account = PayeeAccount.objects.get(pk=int(dual.approve(req, clerks["approver"]).result_id))
    assert (account.person, account.account_number, account.request) == (home.person, NEW, req)


def test_an_account_from_before_dual_control_counts_as_approved(owed, clerks):
    """Rows written before this change (migration settlement 0002 leaves `request` empty) stay the
    payees' approved accounts."""
    PayeeAccount.objects.all().delete()
    PayeeAccount.objects.create(region=owed.region, institution=owed.institution, account_name="护理院", bank="工行",
                                account_number=OLD)
    batch = payments.make_batch(owed.region.pk, clerks["payer"]).batch
    assert OLD in _bank_file(batch, clerks["payer"])


def test_only_a_clerk_of_the_region_with_the_payment_power_approves(owed, clerks, world):
    from django.core.exceptions import PermissionDenied

    req = payments.set_account(clerks["payer"], institution=owed.institution, account_name="护理院", bank="建行",
                               account_number=NEW)
    for user in (owed.users[Role.BUREAU_ADMIN], owed.users[Role.AUDITOR], world["away"].users[Role.CLERK]):
        with pytest.raises(PermissionDenied):
            dual.approve(req, user)
    assert PayeeAccount.objects.get().account_number == OLD


def test_every_step_is_on_the_trail_with_the_number_masked(owed, clerks):
    req = payments.set_account(clerks["payer"], institution=owed.institution, account_name="护理院", bank="建行",
                               account_number=NEW)
    dual.approve(req, clerks["approver"], "已核对开户许可证")
    events = AuditEvent.objects.filter(object_type="dualcontrol.request", object_id=str(req.pk)).order_by("id")
    assert [(e.detail["step"], e.actor) for e in events] == [("submit", clerks["payer"]), ("approve", clerks["approver"])]
    change = AuditEvent.objects.filter(object_type="settlement.payeeaccount").order_by("id").last()
    assert change.detail["changes"]["account_number"][1] != NEW
    for e in AuditEvent.objects.all():
        assert NEW not in str(e.detail) and NEW not in e.object_repr


def test_the_pages_ask_for_approval_and_show_why_a_payee_waits(owed, clerks, client_for, world):
    payer = client_for(clerks["payer"])
    page = payer.get(f"/settlement/payments/account?institution={owed.institution.pk}").content.decode()
    assert "现用账户（已复核）" in page and "6222 **** **** 7890" in page and OLD not in page
    r = payer.post("/settlement/payments/account", {"institution": owed.institution.pk, "account_name": "护理院",
                                                     "bank": "建行", "account_number": NEW}, follow=True)
    body = r.content.decode()
    assert "已提交双人复核" in body and "暂不拨付：收款账户变更待复核" in body and NEW not in body
    bad = payer.post("/settlement/payments/account", {"institution": owed.institution.pk, "account_name": "护理院",
                                                       "bank": "建行", "account_number": "12"}, follow=True)
    assert "账号须为8～34位数字" in bad.content.decode()
    away = world["away"].institution
    assert payer.get(f"/settlement/payments/account?institution={away.pk}").status_code == 404
    assert payer.post("/settlement/payments/account", {"institution": away.pk, "account_name": "x", "bank": "y",
                                                        "account_number": NEW}).status_code == 404
    queue = client_for(clerks["approver"]).get("/dual-control/").content.decode()
    assert "收款账户变更" in queue and "复核通过" in queue and "6217 **** **** 7776" in queue and NEW not in queue
    assert PayeeAccount.objects.get().account_number == OLD


def test_the_approver_sees_the_full_new_number_once_asked_and_the_reveal_is_on_the_trail(owed, clerks, client_for):
    """Review finding: the approver saw only the masked number, so the four eyes could not compare it
    with the payee's bank letter. The person who may approve reveals it; no one else does."""
    req = payments.set_account(clerks["payer"], institution=owed.institution, account_name="护理院", bank="建行",
                               account_number=NEW)
    approver = client_for(clerks["approver"])
    page = approver.get("/dual-control/").content.decode()
    assert NEW not in page and "查看完整账号" in page
    shown = approver.post(f"/dual-control/{req.pk}/account-number").content.decode()
    assert f"完整账号：{NEW}" in shown and "已记入审计日志" in shown
    assert approver.post(f"/api/dual-control/requests/{req.pk}/account-number").json() == {
        "id": req.pk, "account_number": NEW}
    seen = AuditEvent.objects.filter(action="view_account", object_id=str(req.pk))
    assert seen.count() == 2 and {e.actor for e in seen} == {clerks["approver"]}
    # The maker, who may not decide, and a user of another role see no more than the mask.
    maker = client_for(clerks["payer"])
    assert NEW not in maker.post(f"/dual-control/{req.pk}/account-number").content.decode()
    assert maker.post(f"/api/dual-control/requests/{req.pk}/account-number").status_code == 403
    assert "查看完整账号" not in maker.get("/dual-control/").content.decode()
    # Once decided, the number is no longer shown.
    dual.reject(req, clerks["approver"], "开户证明与账号不符")
    assert approver.post(f"/api/dual-control/requests/{req.pk}/account-number").status_code == 409
    assert AuditEvent.objects.filter(action="view_account").count() == 2
