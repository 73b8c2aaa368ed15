"""Termination of an institution's agreement asks first; one entered in error is withdrawn by a new
record, the termination kept, the agreements and the institution's state as before it."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from ltci.accounts.roles import Role
from ltci.audit.models import AuditEvent
from ltci.providers import designation
from ltci.providers.models import Agreement, Institution, InstitutionStatus, Termination, TerminationWithdrawal

from tests.confirming import ask, confirmed_post

pytestmark = pytest.mark.django_db
TODAY = date.today()


@pytest.fixture
def contracted(world):
    home = world["home"]
    home.agreement = Agreement.objects.create(
        institution=home.institution, number="XZ-XY-001", start=TODAY - timedelta(days=100),
        end=TODAY + timedelta(days=265), modes=["institution_care"], signed_on=TODAY - timedelta(days=100))
    return home


def state():
    return (Termination.objects.count(), TerminationWithdrawal.objects.count(), AuditEvent.objects.count(),
            list(Institution.objects.values_list("status", flat=True)),
            list(Agreement.objects.values_list("terminated_on", flat=True)))


def test_termination_on_the_page_asks_then_ends_the_agreement_and_can_be_withdrawn(contracted, client_for):
    clerk = client_for(contracted.users[Role.CLERK])
    inst = contracted.institution
    url = f"/institutions/{inst.pk}/"
    form = {"do": "terminate", "on": TODAY.isoformat(), "reason": "严重违约"}
    before = state()
    page = ask(clerk, url, form)
    for words in (f"确认终止{inst.name}的服务协议", TODAY.isoformat(), "严重违约", "XZ-XY-001", "确认终止服务协议", "撤回"):
        assert words in page, words
    assert state() == before  # nothing ended before 确认
    confirmed_post(clerk, url, form)
    inst.refresh_from_db()
    contracted.agreement.refresh_from_db()
    assert inst.status == InstitutionStatus.TERMINATED and contracted.agreement.terminated_on == TODAY
    page = clerk.get(url).content.decode()
    assert "终止服务协议记录" in page and 'value="withdraw_termination"' in page and 'value="terminate"' not in page

    # Entered in error: withdrawn, after asking, with a reason.
    refused = clerk.post(url, {"do": "withdraw_termination", "reason": " "})
    assert refused.status_code == 422 and "请写明撤回终止的理由" in refused.content.decode()
    withdraw = {"do": "withdraw_termination", "reason": "误将另一机构的处理登记在此"}
    before = state()
    page = ask(clerk, url, withdraw)
    for words in ("确认撤回", "误将另一机构的处理登记在此", "XZ-XY-001", "正常", "原终止记录保留"):
        assert words in page, words
    assert state() == before
    confirmed_post(clerk, url, withdraw)
    inst.refresh_from_db()
    contracted.agreement.refresh_from_db()
    assert inst.status == InstitutionStatus.ACTIVE and contracted.agreement.terminated_on is None
    t = Termination.objects.get()
    assert t.reason == "严重违约" and t.withdrawal.reason == "误将另一机构的处理登记在此"
    page = clerk.get(url).content.decode()
    assert "已撤回：误将另一机构的处理登记在此" in page and 'value="terminate"' in page
    assert AuditEvent.objects.filter(object_type="providers.institution", object_id=str(inst.pk),
                                     detail__termination_withdrawn=t.pk).exists()
    with pytest.raises(ValidationError) as twice:
        designation.withdraw_termination(inst, contracted.users[Role.CLERK], reason="再撤一次")
    assert "没有可撤回的终止" in str(twice.value)


def test_a_withdrawal_restores_a_suspension_still_running(contracted):
    clerk = contracted.users[Role.CLERK]
    inst = contracted.institution
    until = TODAY + timedelta(days=30)
    designation.suspend(inst, clerk, until=until, reason="诱导评估")
    designation.terminate(inst, clerk, on=TODAY + timedelta(days=10), reason="严重违约")
    designation.withdraw_termination(inst, clerk, reason="登记错误")
    inst.refresh_from_db()
    assert inst.status == InstitutionStatus.SUSPENDED and inst.suspended_until == until
    # Terminated again later, it is a new record; both stay.
    designation.terminate(inst, clerk, on=TODAY, reason="再次违约")
    assert Termination.objects.count() == 2 and designation.open_termination(inst).reason == "再次违约"


def test_the_api_withdraws_without_asking(contracted, client_for):
    clerk = client_for(contracted.users[Role.CLERK])
    inst = contracted.institution
    r = clerk.post(f"/api/institutions/{inst.pk}/termination", {"on": TODAY.isoformat(), "reason": "违约"},
                   content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "terminated"
    r = clerk.post(f"/api/institutions/{inst.pk}/termination/withdrawal", {"reason": "登记错误"},
                   content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "active"
    again = clerk.post(f"/api/institutions/{inst.pk}/termination/withdrawal", {"reason": "登记错误"},
                       content_type="application/json")
    assert again.status_code == 422
    insured = client_for(contracted.users[Role.INSURED])
    assert insured.post(f"/api/institutions/{inst.pk}/termination/withdrawal", {"reason": "x"},
                        content_type="application/json").status_code == 403
