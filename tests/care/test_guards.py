"""The guards a review asked for: who confirms a plan, which plan counts, visits on days with no
benefit, expired certificates, corrections checked like visits, input that is not a number."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ltci.accounts.roles import Role
from ltci.care import events, plans, visits
from ltci.care.models import CarePlan

from .conftest import HOME


def checkin(scene, rid, at):
    return visits.check_in(scene["carer_user"], person=scene["person"], request_id=rid, latitude=str(HOME[0]),
                           longitude=str(HOME[1]), at=at)


def test_the_institution_cannot_confirm_the_plan_it_drafted(scene, world, client_for):
    admin = world["home"].users[Role.INSTITUTION_ADMIN]
    plan = plans.draft(scene["person"], admin, valid_from=date(2025, 7, 1), items=[("SC06", 2)])
    with pytest.raises(PermissionDenied):
        plans.confirm(plan, admin)
    assert client_for(admin).post(f"/api/care-plans/{plan.pk}/confirm").status_code == 403
    assert CarePlan.objects.get(pk=plan.pk).status == "draft"


def test_the_plan_the_insured_confirmed_last_is_the_one_in_force(scene):
    insured, clerk = scene["home"].users[Role.INSURED], scene["clerk"]
    march = plans.confirm(plans.draft(scene["person"], clerk, valid_from=date(2025, 3, 1), items=[("SC06", 2)]), insured)
    mid_feb = plans.confirm(plans.draft(scene["person"], clerk, valid_from=date(2025, 2, 15), items=[("SC06", 3)]),
                            insured)
    assert plans.plan_on(scene["person"], date(2025, 4, 1)) == mid_feb
    assert plans.plan_on(scene["person"], date(2025, 2, 10)).pk not in (march.pk, mid_feb.pk)  # the first plan


def test_no_visit_after_death_or_during_a_hospital_stay(scene):
    clerk = scene["clerk"]
    today = timezone.localdate()
    events.record_event(scene["person"], clerk, kind="hospital_admission", on=today - timedelta(days=3))
    with pytest.raises(visits.Refused) as exc:
        checkin(scene, "h1", timezone.now())
    assert "住院" in exc.value.messages[0]
    events.record_event(scene["person"], clerk, kind="hospital_discharge", on=today - timedelta(days=1))
    events.record_event(scene["person"], clerk, kind="death", on=today - timedelta(days=1))
    with pytest.raises(visits.Refused) as exc:
        checkin(scene, "d1", timezone.now())
    assert "死亡" in exc.value.messages[0]


def test_an_expired_certificate_stops_visits(scene):
    carer = scene["carer"]
    carer.certificate_expiry = timezone.localdate() - timedelta(days=1)
    carer.save()
    with pytest.raises(visits.Refused) as exc:
        checkin(scene, "c1", timezone.now())
    assert "到期" in exc.value.messages[0]


def test_a_correction_keeps_a_unique_request_id_and_cannot_overlap_an_open_visit(scene):
    start = timezone.now() - timedelta(hours=4)
    long_id = "x" * 64
    first = checkin(scene, long_id, start)
    visits.check_out(scene["carer_user"], first, request_id="o1", latitude=str(HOME[0]), longitude=str(HOME[1]),
                     items=["SC06"], at=start + timedelta(hours=1))
    fixed = visits.correct(first, scene["clerk"], reason="时间更正", checkout_at=start + timedelta(minutes=50))
    assert fixed.request_id != long_id
    open_visit = checkin(scene, "open", start + timedelta(hours=2))
    with pytest.raises(visits.Refused):
        visits.correct(open_visit, scene["clerk"], reason="挪到前一次", checkin_at=start + timedelta(minutes=20))


def test_event_references_are_per_region(scene, world):
    from ltci.care.models import CareEvent

    away = world["away"]
    events.record_event(scene["person"], scene["clerk"], kind="hospital_admission", on=date(2025, 5, 1),
                        source="inpatient_import", reference="ZY-1")
    events.record_event(away.person, away.users[Role.CLERK], kind="hospital_admission", on=date(2025, 5, 1),
                        source="inpatient_import", reference="ZY-1")
    assert CareEvent.objects.filter(reference="ZY-1").count() == 2


@pytest.mark.parametrize("value", ["²", "--5", "1" * 12])
def test_numbers_that_are_not_plain_digits_are_field_errors(scene, world, client_for, value):
    clerk = client_for(scene["home"].users[Role.CLERK])
    response = clerk.post(f"/care/plans/new/{scene['person'].pk}/", {"valid_from": "2025-08-01", "n_SC06": value})
    assert response.status_code == 422
    carer = client_for(scene["carer_user"])
    assert carer.post("/care/visits/checkin", {"person": value, "request_id": "z"}).status_code == 422
    page = client_for(scene["home"].users[Role.CLERK]).post(
        f"/institutions/{world['home'].institution.pk}/", {"do": "inspection", "on": "2026-01-01", "score": value})
    assert page.status_code == 422
