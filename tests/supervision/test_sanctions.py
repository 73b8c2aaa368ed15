"""Sanctions on a confirmed case: each acts where it takes effect (a recovery line in settlement, a
carer's suspension, an institution that refuses new clients, an agreement that ends), a fine is
recorded without touching the fund's books, and the auditor who decided never sanctions."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ltci.accounts.roles import Role
from ltci.care.choices import takes_new_clients
from ltci.fund.models import Journal
from ltci.providers.models import Agreement, Carer, CarerSuspension, Institution, InstitutionStatus
from ltci.settlement.models import Line, LineKind
from ltci.settlement.review import StepRefused
from ltci.supervision import cases, sanctions
from ltci.supervision.models import Sanction, SanctionKind

from .support import MARCH, confirmed, make_hit, pdf, people, settled  # noqa: F401  (fixtures)
from .support import clerks, home  # noqa: F401

pytestmark = pytest.mark.django_db


def test_recovery_takes_back_the_approved_lines_in_the_next_open_month(confirmed, settled, people):
    s = sanctions.apply(confirmed, people["clerk"], SanctionKind.RECOVERY, reason="虚报床日")
    recovery = Line.objects.get(kind=LineKind.RECOVERY)
    assert recovery.corrects_id == settled.feb_line.pk and recovery.fund == -settled.feb_line.fund
    assert s.effects == {"recovery_lines": [recovery.pk], "recovered_lines": [settled.feb_line.pk]}
    assert s.amount == settled.feb_line.fund > 0
    # The held March line was never paid: nothing to recover there.
    assert not Line.objects.filter(kind=LineKind.RECOVERY, corrects=settled.march_line).exists()
    with pytest.raises(StepRefused, match="可追回"):
        sanctions.apply(confirmed, people["clerk"], SanctionKind.RECOVERY, reason="再次追回")
    assert Line.objects.filter(kind=LineKind.RECOVERY).count() == 1 and Sanction.objects.count() == 1


def test_the_auditor_who_decided_cannot_sanction(confirmed, people):
    with pytest.raises(StepRefused, match="不能同时作出处理"):
        sanctions.apply(confirmed, people["auditor"], SanctionKind.FINE, reason="违规", amount="100")
    assert not Sanction.objects.exists()


def test_an_open_or_dismissed_case_takes_no_sanction(home, people):
    case = cases.open_case(home.region.pk, [make_hit(home, MARCH).pk], people["auditor"], assigned_to=people["auditor"])
    with pytest.raises(StepRefused, match="已查实"):
        sanctions.apply(case, people["clerk"], SanctionKind.FINE, reason="违规", amount="100")
    cases.decide(case, people["auditor"], confirm=False, finding="不属实")
    with pytest.raises(StepRefused):
        sanctions.apply(case, people["clerk"], SanctionKind.FINE, reason="违规", amount="100")


def test_a_fine_is_recorded_and_posts_nothing_to_the_fund(confirmed, people):
    journals = Journal.objects.count()
    s = sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="违反服务协议第十条", amount="5000")
    assert s.amount == Decimal("5000.00") and Journal.objects.count() == journals


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "", "NaN", "1e20"])
def test_a_bad_fine_amount_names_the_field(confirmed, people, amount):
    with pytest.raises(ValidationError) as exc:
        sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="违规", amount=amount)
    assert "amount" in exc.value.message_dict and not Sanction.objects.exists()


@pytest.mark.parametrize("kw, field", [
    ({"reason": ""}, "reason"), ({"reason": "x" * 301}, "reason"), ({"kind": "jail"}, "kind"),
    ({"starts_on": "2026-13-01", "ends_on": "2027-01-01"}, "starts_on"),
    ({"starts_on": "2026-05-01", "ends_on": "2026-04-01"}, "end"),
    ({"starts_on": None, "ends_on": None}, "starts_on"),
])
def test_bad_carer_suspension_input_is_refused_and_nothing_changes(confirmed, people, home, kw, field):
    carer = Carer.objects.get(institution=home.institution)
    args = {"kind": SanctionKind.CARER_SUSPENSION, "reason": "诱导重复评估", "starts_on": "2026-05-01",
            "ends_on": "2026-07-31", **kw}
    with pytest.raises(ValidationError) as exc:
        sanctions.apply(confirmed, people["clerk"], args.pop("kind"), carer_id=carer.pk, **args)
    assert field in exc.value.message_dict
    assert not CarerSuspension.objects.exists() and not Sanction.objects.exists()


def test_a_carer_named_by_the_hits_is_suspended(settled, people):
    carer = Carer.objects.get(institution=settled.institution)
    case = cases.open_case(settled.region.pk, [make_hit(settled, MARCH, carer=carer).pk], people["auditor"],
                           assigned_to=people["auditor"])
    cases.decide(case, people["auditor"], confirm=True, finding="护理员诱导参保人重复申请评估", evidence=pdf())
    s = sanctions.apply(case, people["clerk"], SanctionKind.CARER_SUSPENSION, reason="长宁二(二)2",
                        starts_on="2026-05-01", ends_on="2026-07-31")
    suspension = CarerSuspension.objects.get()
    assert suspension.carer == carer and (suspension.start, suspension.end) == (date(2026, 5, 1), date(2026, 7, 31))
    assert s.effects["carer_suspension"] == suspension.pk and s.carer == carer
    other = Carer.objects.create(region=settled.region, institution=settled.other_institution, kind="certified",
                                 name="无关", id_number="110105194912310038")
    with pytest.raises(ValidationError) as exc:
        sanctions.apply(case, people["clerk"], SanctionKind.CARER_SUSPENSION, reason="x", carer_id=other.pk,
                        starts_on="2026-09-01", ends_on="2026-10-01")
    assert "carer" in exc.value.message_dict


def test_an_institution_suspended_refuses_new_clients(confirmed, people, home):
    until = timezone.localdate() + timedelta(days=90)
    s = sanctions.apply(confirmed, people["clerk"], SanctionKind.INSTITUTION_SUSPENSION, reason="诱导重复评估",
                        ends_on=until.isoformat())
    inst = Institution.objects.get(pk=home.institution.pk)
    assert inst.status == InstitutionStatus.SUSPENDED and inst.suspended_until == until
    assert "暂停接收新参保人" in takes_new_clients(inst, timezone.localdate())
    assert s.effects["suspended_until"] == until.isoformat()


def test_a_suspension_without_dates_asks_for_them_unless_the_region_sets_a_period(confirmed, people, home,
                                                                                   monkeypatch):
    with pytest.raises(ValidationError) as exc:
        sanctions.apply(confirmed, people["clerk"], SanctionKind.INSTITUTION_SUSPENSION, reason="违规")
    assert "ends_on" in exc.value.message_dict
    # A region whose parameters set three months (Changning 二(二)2) gets the period from today.
    monkeypatch.setattr(sanctions, "default_months", lambda region, kind, on: 3)
    today = timezone.localdate()
    s = sanctions.apply(confirmed, people["clerk"], SanctionKind.INSTITUTION_SUSPENSION, reason="违规", today=today)
    assert s.ends_on == sanctions.add_months(today, 3) and s.starts_on == today


def test_add_months_makes_whole_months():
    assert sanctions.add_months(date(2026, 1, 1), 3) == date(2026, 3, 31)
    assert sanctions.add_months(date(2026, 11, 30), 3) == date(2027, 2, 27)
    assert sanctions.add_months(date(2026, 12, 15), 1) == date(2027, 1, 14)


def test_termination_ends_the_agreement(confirmed, people, home):
    agreement = Agreement.objects.create(institution=home.institution, number="XY-1", start=date(2025, 1, 1),
                                         end=date(2027, 12, 31), signed_on=date(2024, 12, 20))
    sanctions.apply(confirmed, people["clerk"], SanctionKind.TERMINATION, reason="骗取基金", starts_on="2026-06-30")
    agreement.refresh_from_db()
    inst = Institution.objects.get(pk=home.institution.pk)
    assert agreement.terminated_on == date(2026, 6, 30) and inst.status == InstitutionStatus.TERMINATED
    with pytest.raises(ValidationError):  # terminated once
        sanctions.apply(confirmed, people["clerk"], SanctionKind.TERMINATION, reason="再次", starts_on="2026-07-01")
    assert Sanction.objects.count() == 1


def test_a_case_without_an_institution_takes_no_institution_sanction(settled, people):
    case = cases.open_case(settled.region.pk, [make_hit(settled, MARCH, institution=None).pk], people["auditor"],
                           assigned_to=people["auditor"])
    cases.decide(case, people["auditor"], confirm=True, finding="属实", evidence=pdf())
    with pytest.raises(StepRefused, match="不涉及定点机构"):
        sanctions.apply(case, people["clerk"], SanctionKind.TERMINATION, reason="x", starts_on="2026-06-30")


def test_sanctions_need_a_clerk_distinct_from_the_decider_even_if_clerks_decide(confirmed, home):
    # The decider is recorded on the case: even a user who could both decide and sanction is refused.
    confirmed.decided_by = home.users[Role.CLERK]
    confirmed.save(update_fields=["decided_by"])
    with pytest.raises(StepRefused):
        sanctions.apply(confirmed, home.users[Role.CLERK], SanctionKind.FINE, reason="违规", amount="1")
