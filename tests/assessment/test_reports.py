"""The repeat re-assessment ranking: only re-assessments people asked for, in the period, in the region."""

from datetime import date
from itertools import count

import pytest
from django.core.exceptions import ValidationError

from ltci.accounts.roles import Role
from ltci.assessment.models import Application
from ltci.assessment.reports import ranking_drilldown, reassessment_ranking

from ..conftest import make_person

START, END = date(2026, 1, 1), date(2026, 6, 30)
_numbers = count(1)


def application(side, person, on, *, kind="reassessment", trigger="request", institution=None):
    return Application.objects.create(
        region=side.region, person=person, number=f"T{next(_numbers):06d}", kind=kind, trigger=trigger,
        channel="counter", applicant_name="王小明", applicant_relation="child", applicant_phone="13800000000",
        disabled_since=date(2024, 1, 1), self_assessment_letter="C", submitted_on=on, intake_due=on,
        created_by=side.users[Role.CLERK], serving_institution=institution, state="certified")


@pytest.fixture
def requests(world):
    """李建国 three requests, 王秀兰 and 王秀英 two each, and applications that must not count."""
    home, away = world["home"], world["away"]
    third = make_person(home.region, 3, name="王秀兰", birth=date(1945, 2, 2))
    for on, inst in ((date(2026, 2, 1), home.institution), (date(2026, 3, 1), home.institution),
                     (END, home.other_institution)):
        application(home, home.other_person, on, institution=inst)
    for on in (START, date(2026, 4, 1)):
        application(home, home.person, on, institution=home.other_institution)
        application(home, third, on)
    application(home, home.person, date(2025, 12, 31), institution=home.other_institution)  # before the period
    application(home, home.person, date(2026, 7, 1), institution=home.other_institution)  # after it
    application(home, home.person, date(2026, 2, 2), kind="initial", trigger="", institution=home.institution)
    application(home, home.person, date(2026, 2, 3), trigger="expiry", institution=home.institution)
    application(home, home.person, date(2026, 2, 4), trigger="change", institution=home.institution)
    for on in (START, START, START, date(2026, 5, 5)):
        application(away, away.person, on, institution=away.institution)
    return {"home": home, "away": away, "third": third}


def test_persons_are_ranked_by_their_own_requests_then_by_name(requests):
    home = requests["home"]
    ranking = reassessment_ranking(home.region.pk, START, END)
    assert [(r["name"], r["count"]) for r in ranking["persons"]] == [("李建国", 3), ("王秀兰", 2), ("王秀英", 2)]
    first = ranking["persons"][0]
    assert first["person_id"] == home.other_person.pk and first["last_submitted"] == END
    assert first["masked_id"] == home.other_person.masked_id and "*" in first["masked_id"]
    assert home.other_person.id_number not in str(ranking)


def test_institutions_are_ranked_by_the_requests_of_those_they_serve(requests):
    home = requests["home"]
    ranking = reassessment_ranking(home.region.pk, START, END)
    assert [(r["institution_id"], r["count"]) for r in ranking["institutions"]] == [
        (home.other_institution.pk, 3), (home.institution.pk, 2)]
    assert ranking["institutions"][0]["name"] == home.other_institution.name


def test_the_period_bounds_the_count_and_the_limit_the_lines(requests):
    home = requests["home"]
    ranking = reassessment_ranking(home.region.pk, date(2026, 3, 1), date(2026, 12, 31), limit=2)
    assert [(r["name"], r["count"]) for r in ranking["persons"]] == [("李建国", 2), ("王秀英", 2)]
    assert reassessment_ranking(home.region.pk, date(2027, 1, 1), date(2027, 12, 31)) == {
        "persons": [], "institutions": []}
    with pytest.raises(ValidationError):
        reassessment_ranking(home.region.pk, END, START)


def test_another_regions_requests_never_appear(requests):
    home, away = requests["home"], requests["away"]
    ranking = reassessment_ranking(home.region.pk, START, END)
    assert away.person.pk not in {r["person_id"] for r in ranking["persons"]}
    assert away.institution.pk not in {r["institution_id"] for r in ranking["institutions"]}
    assert not ranking_drilldown(home.region.pk, START, END, person_id=away.person.pk).exists()
    assert [(r["person_id"], r["count"]) for r in reassessment_ranking(away.region.pk, START, END)["persons"]] == [
        (away.person.pk, 4)]


def test_the_drill_down_lists_the_applications_behind_a_line_newest_first(requests):
    home = requests["home"]
    apps = list(ranking_drilldown(home.region.pk, START, END, person_id=home.person.pk))
    assert [a.submitted_on for a in apps] == [date(2026, 4, 1), START]
    assert all(a.trigger == "request" and a.kind == "reassessment" for a in apps)
    by_institution = ranking_drilldown(home.region.pk, START, END, institution_id=home.institution.pk)
    assert [(a.person.name, a.submitted_on) for a in by_institution] == [("李建国", date(2026, 3, 1)),
                                                                      ("李建国", date(2026, 2, 1))]
    assert ranking_drilldown(home.region.pk, START, END).count() == 7
