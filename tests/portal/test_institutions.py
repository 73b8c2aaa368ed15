"""Choosing an institution (Jiaxing's service platform, offered in every region): the designated
institutions that take clients and serve an open mode, most stars first, then nearest; the choice
goes through the care choices service."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ltci.care import choices
from ltci.care.models import CareChoice
from ltci.providers.models import (
    Inspection,
    Institution,
    InstitutionKind,
    InstitutionStatus,
)
from ltci.regions.models import Region
from tests.conftest import make_institution
from tests.portal.conftest import HOME, agree

pytestmark = pytest.mark.django_db
KM = Decimal("0.008993")  # a kilometre of latitude


def _place(region, n, name, *, km, kind=InstitutionKind.HOME_CARE, score=None, modes=("home_visit",), clerk=None,
           **extra):
    inst = make_institution(region, n)
    inst.name, inst.kind = name, kind
    inst.latitude, inst.longitude = HOME[0] + KM * Decimal(km), HOME[1]
    for field, value in extra.items():
        setattr(inst, field, value)
    inst.save()
    if modes is not None:
        agree(inst, list(modes))
    if score is not None:
        Inspection.objects.create(institution=inst, on=date.today() - timedelta(days=30), score=score, inspector=clerk)
    return inst


@pytest.fixture
def listed(portal):
    region, clerk = portal["home"].region, portal["clerk"]
    made = {
        "far5": _place(region, 11, "远五星护理站", km=5, score=95, clerk=clerk),
        "near5": _place(region, 12, "近五星护理站", km=1, score=92, clerk=clerk),
        "three": _place(region, 13, "三星护理站", km=0.5, score=75, clerk=clerk),
        "unrated": _place(region, 14, "新开护理站", km=1.5),
        "home5": _place(region, 15, "五星养老院", km=3, kind=InstitutionKind.ELDERLY_CARE, score=96, clerk=clerk,
                        modes=("institution_care", "home_visit"), filed_beds=20),
        "suspended": _place(region, 16, "暂停护理站", km=0.1, score=99, clerk=clerk, status=InstitutionStatus.SUSPENDED),
        "no_agreement": _place(region, 17, "无协议护理站", km=0.1, score=99, clerk=clerk, modes=None),
        "no_beds": _place(region, 18, "满床养老院", km=0.1, kind=InstitutionKind.ELDERLY_CARE, score=99, clerk=clerk,
                          modes=("institution_care",), filed_beds=0),
        "ended": _place(region, 19, "协议到期护理站", km=0.1, score=99, clerk=clerk, modes=None),
    }
    agree(made["ended"], ["home_visit"], start=date(2020, 1, 1), end=date(2021, 12, 31))
    _place(Region.objects.get(pk="nanning"), 21, "南宁五星护理站", km=0.1, score=99, clerk=clerk)
    return made


def test_the_list_is_ordered_by_stars_then_distance(portal, listed, client_for):
    offers = choices.offers(portal["person"], portal["today"])
    names = [o.institution.name for o in offers]
    assert names == ["近五星护理站", "五星养老院", "远五星护理站", "三星护理站", portal["institution"].name, "新开护理站"]
    assert [o.stars for o in offers] == [5, 5, 5, 3, None, None]
    assert [str(o.distance_km) for o in offers] == ["1.0", "3.0", "5.0", "0.5", "0.2", "1.5"]
    home5 = offers[1]
    assert dict(home5.modes) == {"institution_care": "入住养老/护理机构", "home_visit": "上门护理"} and home5.free_beds == 20
    page = client_for(portal["insured"]).get("/my/institutions/").content.decode()
    body = page[page.index('id="offers"'):]
    positions = [body.index(n) for n in names]
    assert positions == sorted(positions) and "距离 1.0 公里" in body and "暂停护理站" not in body
    api = client_for(portal["insured"]).get("/api/my/institutions").json()
    assert [o["name"] for o in api] == names and api[0]["distance_km"] == "1.0"


def test_the_phones_location_reorders_by_distance(portal, listed, client_for):
    far = listed["far5"]
    client = client_for(portal["insured"])
    api = client.get(f"/api/my/institutions?lat={far.latitude}&lon={far.longitude}").json()
    assert [o["name"] for o in api[:3]] == ["远五星护理站", "五星养老院", "近五星护理站"]
    assert api[0]["distance_km"] == "0.0"
    response = client.get("/api/my/institutions?lat=999&lon=117")
    assert response.status_code == 422 and response.json()["field"] == "latitude"
    assert client.get("/my/institutions/?lat=abc&lon=1").status_code == 422


def test_choose_an_institution_from_the_list(portal, listed, client_for):
    client = client_for(portal["insured"])
    tomorrow = portal["today"] + timedelta(days=1)
    near5 = listed["near5"]
    response = client.post("/my/institutions/choose", {"institution": near5.pk, "mode": "home_visit",
                                                        "effective_from": f"{tomorrow}"})
    assert response.status_code == 302 and response["Location"] == "/my/care/"
    made = CareChoice.objects.get(person=portal["person"], effective_from=tomorrow)
    assert (made.institution, made.mode, made.created_by) == (near5, "home_visit", portal["insured"])
    assert (made.home_latitude, made.home_longitude) == HOME  # the recorded home, for the check-in distance
    response = client.post("/api/my/care-choices", {"institution_id": listed["home5"].pk, "mode": "institution_care",
                                                     "effective_from": f"{tomorrow + timedelta(days=1)}"},
                           content_type="application/json")
    assert response.status_code == 201 and response.json()["mode"] == "institution_care"


@pytest.mark.parametrize("which, mode, days, field", [
    ("suspended", "home_visit", 1, "institution"),
    ("no_agreement", "home_visit", 1, "institution"),
    ("no_beds", "institution_care", 1, "institution"),
    ("near5", "institution_care", 1, "mode"),  # a home-care institution offers no stay
    ("near5", "home_visit", 0, "effective_from"),  # no back-dating: today is settled on today's mode
    ("near5", "home_visit", -30, "effective_from"),
    ("near5", "home_visit", 91, "effective_from"),
])
def test_a_choice_off_the_list_is_refused_and_nothing_changes(portal, listed, client_for, which, mode, days, field):
    client = client_for(portal["insured"])
    before = CareChoice.objects.count()
    response = client.post("/api/my/care-choices", {
        "institution_id": listed[which].pk, "mode": mode,
        "effective_from": f"{portal['today'] + timedelta(days=days)}"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == field, response.json()
    assert CareChoice.objects.count() == before


def test_another_regions_institution_cannot_be_chosen(portal, listed, client_for):
    client = client_for(portal["insured"])
    away = Institution.objects.get(name="南宁五星护理站")
    response = client.post("/my/institutions/choose", {"institution": away.pk, "mode": "home_visit",
                                                        "effective_from": f"{portal['today'] + timedelta(days=1)}"},
                           follow=True)
    assert response.status_code == 404 and away.name not in response.content.decode()
    assert not CareChoice.objects.filter(institution=away).exists()


def test_without_a_benefit_grade_there_is_nothing_to_choose_yet(portal, listed, client_for):
    from ltci.assessment.models import Certificate

    Certificate.objects.filter(person=portal["person"]).update(qualifies=False)
    response = client_for(portal["insured"]).post("/api/my/care-choices", {
        "institution_id": listed["near5"].pk, "mode": "home_visit",
        "effective_from": f"{portal['today'] + timedelta(days=1)}"}, content_type="application/json")
    assert response.status_code == 422 and "待遇等级" in response.json()["message"]


def test_the_insured_does_not_move_the_recorded_home(portal, listed, client_for):
    """Check-ins are measured from the recorded home: a choice over the API takes it, and refuses
    other coordinates (a change of home is made at the agency)."""
    client = client_for(portal["insured"])
    day = portal["today"] + timedelta(days=1)
    response = client.post("/api/my/care-choices", {
        "institution_id": listed["near5"].pk, "mode": "home_visit", "effective_from": f"{day}",
        "home_latitude": "30.000000", "home_longitude": "120.000000"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "home_latitude"
    assert not CareChoice.objects.filter(person=portal["person"], effective_from=day).exists()
    response = client.post("/api/my/care-choices", {
        "institution_id": listed["near5"].pk, "mode": "home_visit", "effective_from": f"{day}",
        "home_latitude": str(HOME[0]), "home_longitude": str(HOME[1])}, content_type="application/json")
    assert response.status_code == 201
    made = CareChoice.objects.get(person=portal["person"], effective_from=day)
    assert (made.home_latitude, made.home_longitude) == HOME


def test_choosing_an_institution_for_a_coming_day_does_not_open_it_to_review(portal, listed, client_for):
    """Only an institution that serves or served the person is reviewed: choosing one for next
    month is no way to rate it (or a competitor) now."""
    from ltci.providers.models import InstitutionReview

    client = client_for(portal["insured"])
    near5 = listed["near5"]
    response = client.post("/api/my/care-choices", {"institution_id": near5.pk, "mode": "home_visit",
                                                     "effective_from": f"{portal['today'] + timedelta(days=20)}"},
                           content_type="application/json")
    assert response.status_code == 201
    assert client.post(f"/api/my/institutions/{near5.pk}/reviews", {"score": 1},
                       content_type="application/json").status_code == 404
    assert client.post(f"/my/institutions/{near5.pk}/review", {"score": "1"}).status_code == 404
    assert near5.name not in client.get("/my/care/").content.decode().split('id="institution-reviews"')[-1]
    assert not InstitutionReview.objects.filter(institution=near5).exists()
