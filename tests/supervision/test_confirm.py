"""A sanction on the case page shows what it will do (amounts, lines, who) and acts only when confirmed."""

import pytest
from django.core.exceptions import ValidationError

from ltci.accounts.roles import Role
from ltci.audit.models import AuditEvent
from ltci.providers.models import Institution, InstitutionStatus, Termination
from ltci.settlement.models import Line, LineKind
from ltci.supervision import sanctions
from ltci.supervision.models import Sanction, SanctionKind, SanctionWithdrawal

from tests.confirming import ask, confirmed_post

from .support import confirmed, people, settled  # noqa: F401  (fixtures)
from .support import clerks, home  # noqa: F401

pytestmark = pytest.mark.django_db


def state():
    return Sanction.objects.count(), Line.objects.count(), AuditEvent.objects.count(), Termination.objects.count()


def test_a_recovery_lists_the_lines_it_takes_back_and_takes_nothing_before_confirmation(
        confirmed, settled, people, client_for):
    clerk = client_for(people["clerk"])
    url, form = f"/supervision/cases/{confirmed.pk}/action", {"action": "sanction", "kind": "recovery", "reason": "虚报床日"}
    assert "请选择" in clerk.get(f"/supervision/cases/{confirmed.pk}/").content.decode()  # no kind chosen for the clerk
    before = state()
    page = ask(clerk, url, form)
    fund = settled.feb_line.fund
    for words in ("确认作出处理决定", confirmed.number, "追回基金", "1 条", f"{fund:,.2f} 元", settled.person.name,
                  "2025年02月：追回", "确认追回基金"):
        assert words in page, words
    assert state() == before
    done = confirmed_post(clerk, url, form, follow=True).content.decode()
    assert "处理决定已执行" in done
    assert Line.objects.get(kind=LineKind.RECOVERY).fund == -fund and Sanction.objects.count() == 1


def test_a_termination_by_sanction_is_withdrawn_only_with_the_sanction(confirmed, people, home, client_for):
    clerk = client_for(people["clerk"])
    url = f"/supervision/cases/{confirmed.pk}/action"
    form = {"action": "sanction", "kind": "termination", "reason": "骗取基金", "starts_on": "2026-06-30"}
    before = state()
    page = ask(clerk, url, form)
    assert "解除服务协议日期" in page and "2026-06-30" in page and home.institution.name in page
    assert state() == before and Institution.objects.get(pk=home.institution.pk).status != InstitutionStatus.TERMINATED
    confirmed_post(clerk, url, form)
    assert Institution.objects.get(pk=home.institution.pk).status == InstitutionStatus.TERMINATED
    assert Termination.objects.get().case_number == confirmed.number
    agency = client_for(home.users[Role.CLERK])
    page = agency.get(f"/institutions/{home.institution.pk}/").content.decode()
    assert f"该终止是稽核案件{confirmed.number}的处理决定" in page and 'value="withdraw_termination"' not in page
    refused = agency.post(f"/institutions/{home.institution.pk}/", {"do": "withdraw_termination", "reason": "误"})
    assert "须在案件中撤销该处理决定" in refused.content.decode()
    assert Institution.objects.get(pk=home.institution.pk).status == InstitutionStatus.TERMINATED


def test_a_sanction_decided_in_error_is_withdrawn_after_asking_and_kept(confirmed, people, home, client_for):
    clerk = client_for(people["clerk"])
    url = f"/supervision/cases/{confirmed.pk}/action"
    fine = sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="违约", amount="3000")
    assert sanctions.fined_so_far(confirmed) == 3000
    page = clerk.get(f"/supervision/cases/{confirmed.pk}/").content.decode()
    assert 'value="withdraw_sanction"' in page
    form = {"action": "withdraw_sanction", "sanction": fine.pk, "reason": "金额应由另案处理"}
    before = state()
    asked = ask(clerk, url, form)
    for words in ("确认撤销处理决定", confirmed.number, "罚款", "3,000.00 元", "金额应由另案处理", "不再计入"):
        assert words in asked, words
    assert state() == before and not SanctionWithdrawal.objects.exists()
    done = confirmed_post(clerk, url, form, follow=True).content.decode()
    assert "处理决定已撤销" in done and "已撤销：金额应由另案处理" in done
    assert Sanction.objects.filter(pk=fine.pk).exists() and sanctions.fined_so_far(confirmed) == 0
    again = clerk.post(url, form, follow=True).content.decode()
    assert "该处理决定已撤销" in again and SanctionWithdrawal.objects.count() == 1
    # The auditor who decided the case does not withdraw its sanctions; a recovery is not withdrawn here.
    with pytest.raises(ValidationError):
        sanctions.withdraw(fine, people["auditor"], reason="x")
    recovery = sanctions.apply(confirmed, people["clerk"], SanctionKind.RECOVERY, reason="虚报床日")
    with pytest.raises(ValidationError) as refused:
        sanctions.withdraw(recovery, people["clerk"], reason="误")
    assert "不能撤销" in str(refused.value)


def test_withdrawing_a_termination_sanction_restores_the_institution(confirmed, people, home, client_for):
    made = sanctions.apply(confirmed, people["clerk"], SanctionKind.TERMINATION, reason="骗取基金", starts_on="2026-06-30")
    assert Institution.objects.get(pk=home.institution.pk).status == InstitutionStatus.TERMINATED
    client = client_for(people["clerk"])
    confirmed_post(client, f"/supervision/cases/{confirmed.pk}/action",
                   {"action": "withdraw_sanction", "sanction": made.pk, "reason": "查实结论已改变"})
    assert Institution.objects.get(pk=home.institution.pk).status != InstitutionStatus.TERMINATED
    assert Termination.objects.get().withdrawal.reason.endswith("查实结论已改变")
    r = client.post(f"/api/supervision/sanctions/{made.pk}/withdrawal", {"reason": "再撤"},
                    content_type="application/json")
    assert r.status_code == 422


def test_withdrawing_a_suspension_sanction_lifts_it_while_it_is_in_force(confirmed, people, home):
    from datetime import date, timedelta

    until = date.today() + timedelta(days=60)
    made = sanctions.apply(confirmed, people["clerk"], SanctionKind.INSTITUTION_SUSPENSION, reason="诱导评估",
                           ends_on=until.isoformat())
    assert Institution.objects.get(pk=home.institution.pk).status == InstitutionStatus.SUSPENDED
    w = sanctions.withdraw(made, people["clerk"], reason="机构名称登记错误")
    assert w.effects == {"institution": "已恢复接收新参保人"}
    institution = Institution.objects.get(pk=home.institution.pk)
    assert institution.status == InstitutionStatus.ACTIVE and institution.suspended_until is None
