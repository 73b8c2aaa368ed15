"""Care plans: within the mode's limit with the amount left shown, priced items only, drafted by the
right hands, confirmed by the insured; visits hold only planned items."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.care import choices, plans, visits
from ltci.care.models import CarePlan, PlanStatus
from ltci.providers.models import InstitutionKind

from .conftest import HOME, certified, priced


def test_the_plan_stays_within_the_monthly_limit_and_says_what_is_left(scene):
    clerk, person = scene["clerk"], scene["person"]
    plan = CarePlan.objects.get(person=person)
    assert plan.total == 8 * 45 + 12 * 20 and plans.remaining(plan) == 900 - 600  # Xuzhou severe: 900 a month
    with pytest.raises(ValidationError) as exc:
        plans.draft(person, clerk, valid_from=date(2025, 6, 1), items=[("SC06", 20), ("SC19", 1)])
    assert "超过" in exc.value.message_dict["items"][0] and "超出20.00元" in exc.value.message_dict["items"][0]
    with pytest.raises(ValidationError) as exc:
        plans.draft(person, clerk, valid_from=date(2025, 6, 1), items=[("SC01", 2)])
    assert "尚未定价" in exc.value.message_dict["items"][0]
    with pytest.raises(ValidationError):
        plans.draft(person, clerk, valid_from=date(2025, 6, 1), items=[("SC06", 0)])


def test_only_the_insured_confirms_their_own_plan_and_a_new_one_replaces_the_old(scene):
    clerk, person = scene["clerk"], scene["person"]
    old = CarePlan.objects.get(person=person)
    new = plans.draft(person, clerk, valid_from=date(2025, 6, 1), items=[("SC06", 4)])
    with pytest.raises(PermissionDenied):
        plans.confirm(new, scene["home"].users[Role.CARER])
    plans.confirm(new, scene["home"].users[Role.INSURED])
    old.refresh_from_db()
    assert old.status == PlanStatus.REPLACED and plans.plan_on(person, date(2025, 5, 31)) == old
    assert plans.plan_on(person, date(2025, 6, 1)) == new
    with pytest.raises(ValidationError):
        plans.confirm(new, scene["home"].users[Role.INSURED])  # once


def test_a_visit_needs_a_confirmed_plan_and_holds_only_its_items(scene, world):
    other = world["home"].other_person
    choices.choose(other, scene["clerk"], mode="home_visit", effective_from=date(2025, 1, 1),
                   institution=scene["institution"], home_latitude=str(HOME[0]), home_longitude=str(HOME[1]))
    with pytest.raises(visits.Refused) as exc:
        visits.check_in(scene["other_user"], person=other, request_id="np", latitude=str(HOME[0]),
                        longitude=str(HOME[1]))
    assert "护理计划" in exc.value.messages[0]
    visit = visits.check_in(scene["carer_user"], person=scene["person"], request_id="p1", latitude=str(HOME[0]),
                            longitude=str(HOME[1]), at=timezone.now() - timedelta(minutes=40))
    with pytest.raises(ValidationError) as exc:
        visits.check_out(scene["carer_user"], visit, request_id="p1-out", latitude=str(HOME[0]),
                         longitude=str(HOME[1]), items=["SC06", "SC11"])
    assert "不在本人确认的护理计划中：排泄护理" in exc.value.message_dict["items"][0]  # named, not coded


def test_changning_plans_are_drafted_by_the_community_health_centre(db):
    from ltci.assessment.models import Application, Certificate
    from tests.conftest import build_region_world

    cn = build_region_world("changning")
    Certificate.objects.filter(region=cn.region).delete()
    Application.objects.filter(region=cn.region).delete()
    home_care = cn.institution
    home_care.kind = InstitutionKind.HOME_CARE
    home_care.save()
    centre = cn.other_institution
    centre.kind = InstitutionKind.MEDICAL
    centre.save()
    clerk = cn.users[Role.CLERK]
    choices.choose(cn.person, clerk, mode="home_visit", effective_from=date(2025, 1, 1), institution=home_care,
                   home_latitude="31.22", home_longitude="121.42")
    certified(cn.person, clerk, grade="level_4")
    priced("changning", {"SC06": "45.00"})
    with pytest.raises(PermissionDenied):
        plans.draft(cn.person, cn.users[Role.INSTITUTION_ADMIN], valid_from=date(2025, 3, 1), items=[("SC06", 8)],
                    visits_per_week=5)
    nurse = create_user(username="cn-nurse", password=None, role=Role.INSTITUTION_ADMIN, region=cn.region,
                        institution=centre, full_name="社区护士")
    with pytest.raises(ValidationError) as exc:
        plans.draft(cn.person, nurse, valid_from=date(2025, 3, 1), items=[("SC06", 8)], visits_per_week=6)
    assert "1～5" in exc.value.message_dict["visits_per_week"][0]  # level 4: five visits a week
    plan = plans.draft(cn.person, nurse, valid_from=date(2025, 3, 1), items=[("SC06", 8)], visits_per_week=5)
    assert plan.institution == home_care and plan.limit_kind == "visits" and plan.limit_value == 5


def test_the_plan_api_and_pages(scene, client_for):
    clerk = client_for(scene["clerk"])
    person = scene["person"]
    over = clerk.post(f"/api/persons/{person.pk}/care-plans",
                      {"valid_from": "2025-07-01", "items": [{"code": "SC06", "per_month": 25}]},
                      content_type="application/json")
    assert over.status_code == 422 and "超过" in over.json()["message"]
    made = clerk.post(f"/api/persons/{person.pk}/care-plans",
                      {"valid_from": "2025-07-01", "items": [{"code": "SC06", "per_month": 10}]},
                      content_type="application/json")
    assert made.status_code == 201 and made.json()["total"] == "450.00" and made.json()["remaining"] == "450.00"
    insured = client_for(scene["home"].users[Role.INSURED])
    page = insured.get(f"/care/plans/{made.json()['id']}/").content.decode()
    assert "确认护理计划" in page and "450.00" in page
    insured.post(f"/care/plans/{made.json()['id']}/")
    assert CarePlan.objects.get(pk=made.json()["id"]).status == PlanStatus.CONFIRMED
    other = client_for(scene["home"].users[Role.INSURED])
    assert other.get("/api/care-plans/999999").status_code == 404
    editor = clerk.get(f"/care/plans/new/{person.pk}/").content.decode()
    assert "每月900.00元" in editor and 'data-price="45.00"' in editor
    response = clerk.post(f"/care/plans/new/{person.pk}/", {"valid_from": "2025-08-01", "n_SC06": "30"})
    assert response.status_code == 422 and "超出" in response.content.decode()


def test_an_institution_drafts_only_for_its_own_clients(scene, world, client_for):
    admin = client_for(world["home"].users[Role.INSTITUTION_ADMIN])  # of the serving institution
    ok = admin.post(f"/api/persons/{scene['person'].pk}/care-plans",
                    {"valid_from": "2025-07-01", "items": [{"code": "SC06", "per_month": 2}]},
                    content_type="application/json")
    assert ok.status_code == 201
    stranger = admin.post(f"/api/persons/{world['home'].other_person.pk}/care-plans",
                          {"valid_from": "2025-07-01", "items": [{"code": "SC06", "per_month": 2}]},
                          content_type="application/json")
    assert stranger.status_code == 404


def test_the_plan_list_links_whom_to_draft_for_and_a_refused_plan_keeps_every_number(scene, world, client_for):
    """The finding: no page linked to drafting a care plan, and a refused save came back empty."""
    other = world["home"].other_person
    certified(other, scene["clerk"])
    choices.choose(other, scene["clerk"], mode="home_visit", effective_from=date(2025, 1, 1),
                   institution=scene["institution"], home_latitude=str(HOME[0]), home_longitude=str(HOME[1]))
    for user in (scene["clerk"], scene["home"].users[Role.INSTITUTION_ADMIN]):
        page = client_for(user).get("/care/plans/").content.decode()
        section = page.split('id="awaiting"')[1].split("</section>")[0]
        assert other.name in section and f"/care/plans/new/{other.pk}/" in section
        assert scene["person"].name not in section  # has a confirmed plan
    client = client_for(scene["home"].users[Role.INSTITUTION_ADMIN])
    assert client.get(f"/care/plans/new/{other.pk}/").status_code == 200
    response = client.post(f"/care/plans/new/{other.pk}/", {"valid_from": "2025-06-01", "n_SC06": "20", "n_SC19": "3"})
    page = response.content.decode()
    assert response.status_code == 422 and not CarePlan.objects.filter(person=other).exists()
    assert 'value="2025-06-01"' in page and 'name="n_SC06" value="20"' in page and 'name="n_SC19" value="3"' in page
    assert 'class="field-error" role="alert">' in page and "超过" in page
    # Once drafted, the person leaves the list; the confirmed plan links to a new one.
    client.post(f"/care/plans/new/{other.pk}/", {"valid_from": "2025-06-01", "n_SC06": "4"})
    assert f"/care/plans/new/{other.pk}/" not in client.get("/care/plans/").content.decode()
    plan = CarePlan.objects.get(person=scene["person"], status=PlanStatus.CONFIRMED)
    assert f"/care/plans/new/{scene['person'].pk}/" in client.get(f"/care/plans/{plan.pk}/").content.decode()
    insured = client_for(scene["home"].users[Role.INSURED]).get(f"/care/plans/{plan.pk}/").content.decode()
    assert "/care/plans/new/" not in insured
