"""Ids in request bodies are resolved through the actor's own relations before anything else.

For every API endpoint that takes an id in its body (found in the OpenAPI schema, so a new one is
walked as soon as it exists), for every role, an id naming something outside the actor's relations
answers 404 with the standard body (403 for a role without the permission), and no response ever
names a person the actor may not see. The path of each request names the actor's own objects, so
the body's id is what is judged.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from ltci.accounts.roles import ROLE_PERMISSIONS, ROLE_REACH, Reach, Role
from ltci.api import api
from ltci.care.models import CareEvent, Visit
from ltci.enrolment.models import Person
from ltci.providers.models import Carer, CarerKind

from .test_scope import API_ENDPOINTS, _call, _path

# Body fields that name an object, by the kind of object; every integer field of a request body is
# either here or in NOT_IDS, so a new id field is walked (or this test says to classify it).
ID_FIELDS = {"person_id": "person", "institution_id": "institution", "serving_institution_id": "institution",
             "review_id": "review", "corrects_id": "event", "carer_id": "carer", "hits": "hit",
             "assigned_to": "user", "samples": "sample"}
NOT_IDS = {"filed_beds", "staff", "score", "per_month", "visits_per_week", "year", "years", "runs", "seed"}

# Names only the away region's records carry: no response to a home user may contain them.
SECRET = {"person": "欧阳秘甲", "other_person": "司马秘乙", "institution": "秘密第九护理院", "carer": "诸葛秘丙"}


def _resolve(schema, node):
    return schema["components"]["schemas"][node["$ref"].split("/")[-1]] if "$ref" in node else node


def _integer_fields(schema, node, prefix=""):
    """(field, is_list) for every integer or list-of-integers property of a request body."""
    node = _resolve(schema, node)
    for name, prop in node.get("properties", {}).items():
        for alt in (_resolve(schema, a) for a in _resolve(schema, prop).get("anyOf", [prop])):
            if alt.get("type") == "integer":
                yield prefix + name, False
            elif alt.get("type") == "array":
                item = _resolve(schema, alt.get("items", {}))
                if item.get("type") == "integer":
                    yield prefix + name, True
                elif "properties" in item:
                    yield from _integer_fields(schema, item, f"{prefix}{name}[].")
            elif "properties" in alt:
                yield from _integer_fields(schema, alt, f"{prefix}{name}.")


def body_id_fields():
    """(method, path, field, is_list) of every id a request body takes."""
    schema = api.get_openapi_schema()
    found = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            for content in op.get("requestBody", {}).get("content", {}).values():
                for field, is_list in _integer_fields(schema, content["schema"]):
                    found.append((method, path, field, is_list))
    return found


def test_every_integer_body_field_is_classified():
    unknown = sorted({f for _, _, f, _ in body_id_fields() if f.split(".")[-1] not in set(ID_FIELDS) | NOT_IDS})
    assert not unknown, f"classify these body fields in ID_FIELDS (an id: walked below) or NOT_IDS: {unknown}"


def test_the_walk_reaches_every_kind_of_id():
    kinds = {ID_FIELDS[f] for _, _, f, _ in body_id_fields() if f in ID_FIELDS}
    assert kinds == set(ID_FIELDS.values())


@pytest.fixture
def outside(world):
    """For each kind, objects of the away region (outside everyone's relations), with names no home
    user may read; and the home region's objects outside institution staff's and the insured's."""
    from ltci.assessment.models import Application, Evaluator, Review
    from ltci.supervision.models import Hit, Sample

    home, away = world["home"], world["away"]
    Person.objects.filter(pk=away.person.pk).update(name=SECRET["person"])
    Person.objects.filter(pk=away.other_person.pk).update(name=SECRET["other_person"])
    away.institution.__class__.objects.filter(pk=away.institution.pk).update(name=SECRET["institution"])
    carer = Carer.objects.get(region=away.region, kind=CarerKind.CERTIFIED)
    Carer.objects.filter(pk=carer.pk).update(name=SECRET["carer"])
    clerk = away.users[Role.CLERK]
    expert = Evaluator.objects.create(region=away.region, user=away.users[Role.EXPERT], kind="expert")
    review = Review.objects.create(application=Application.objects.get(pk=away.application.pk), expert=expert,
                                   round="first")
    event = CareEvent.objects.create(region=away.region, person=away.person, kind="death", on=date(2025, 1, 1),
                                     entered_by=clerk)
    hit = Hit.objects.create(region=away.region, month=date(2025, 3, 1), rule="checkin_far", severity="high",
                             key="walk-1", person=away.person)
    visit = Visit.objects.create(region=away.region, person=away.person, institution=away.institution, carer=carer,
                                 request_id="walk-1", checkin_at=timezone.now() - timedelta(days=30),
                                 checkin_latitude="22.8", checkin_longitude="108.3", entered_by=clerk)
    sample = Sample.objects.create(region=away.region, month=date(2025, 3, 1), visit=visit, share="0.02",
                                   seed="walk", drawn_by=clerk)
    return {
        # Another person of the region is outside institution staff's and the insured's relations;
        # another institution, outside its staff's (the region's designated institutions are public).
        "person": {"all": away.person.pk, Reach.INSTITUTION: home.other_person.pk, Reach.SELF: home.other_person.pk},
        "institution": {"all": away.institution.pk, Reach.INSTITUTION: home.other_institution.pk},
        "review": {"all": review.pk}, "event": {"all": event.pk}, "carer": {"all": carer.pk},
        "hit": {"all": hit.pk}, "user": {"all": away.users[Role.AUDITOR].pk}, "sample": {"all": sample.pk},
    }


def _own_path(world, template: str, role) -> str:
    """The path with the actor's own object where the path names one (own person, institution…)."""
    home = world["home"]
    if "{person_id}" in template:
        return _path(template, home.person.pk)
    if "{institution_id}" in template:
        return _path(template, home.institution.pk)
    if "/applications/{pk}" in template:
        return _path(template, home.application.pk)
    return _path(template, 0) if "{" in template else template


# Ids a body needs besides the one judged, set to the actor's own objects (the scope table's bodies
# leave them out where the endpoint can do without).
IN_RELATION = {("post", "/api/applications"): lambda w, reach: {"person_id": w.person.pk} if reach == Reach.REGION else {}}


# Bodies that name one owner or the other, never both: the judged id replaces the other.
ONE_OF = {("put", "/api/settlement/payee-accounts"): ("institution_id", "person_id")}


def _set(body: dict, field: str, value, is_list: bool, exclusive=()) -> dict:
    body = {k: v for k, v in body.items() if k not in exclusive}
    body[field] = [value] if is_list else value
    return body


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_an_id_outside_the_actors_relations_answers_404_and_names_nobody(world, outside, client_for, role):
    client = client_for(world["home"].users[role])
    perms, reach = ROLE_PERMISSIONS[role], ROLE_REACH[role]
    bodies = {(m, p.split("?")[0]): (perm, body) for m, p, perm, _, body in API_ENDPOINTS}
    walked = 0
    for method, template, field, is_list in body_id_fields():
        if field not in ID_FIELDS:
            continue
        permission, body = bodies[(method, template)]
        may = (permission is None or permission in perms) and (reach == Reach.SELF or not template.startswith("/api/my"))
        body = body(world["home"]) if callable(body) else dict(body or {})
        body.update(IN_RELATION.get((method, template), lambda w, r: {})(world["home"], reach))
        targets = outside[ID_FIELDS[field]]
        values = [targets["all"]] + ([targets[reach]] if reach in targets else [])
        for value in values:
            response = _call(client, method, _own_path(world, template, role), _set(body, field, value, is_list, ONE_OF.get((method, template), ())),
                             world)
            text = response.content.decode()
            assert not any(secret in text for secret in SECRET.values()), (role, template, field, text)
            if reach != Reach.REGION:
                assert world["home"].other_person.name not in text or reach == Reach.REGION
            expected = {404} if may else {403}
            assert response.status_code in expected, (role, method, template, field, value, text)
            if response.status_code == 404:
                assert response.json() == {"code": "not_found", "message": "对象不存在", "field": None}
            walked += 1
    assert walked >= 20


@pytest.mark.django_db
def test_a_carer_learns_nothing_of_a_person_the_institution_does_not_serve(world, outside, client_for):
    """The finding: a carer checking in anyone of the region with a past time read their hospital
    stay or death. Now the person is resolved among the institution's clients first."""
    home = world["home"]
    CareEvent.objects.create(region=home.region, person=home.other_person, kind="death", on=date(2025, 1, 1),
                             entered_by=home.users[Role.CLERK])
    device = client_for(home.users[Role.CARER])
    response = device.post("/api/visits/checkin", {"request_id": "leak-1", "person_id": home.other_person.pk,
                                                   "latitude": "34.26", "longitude": "117.18",
                                                   "at": (timezone.now() - timedelta(days=3)).isoformat()},
                           content_type="application/json")
    assert response.status_code == 404
    assert home.other_person.name not in response.content.decode()
    assert "死亡" not in response.content.decode()


@pytest.mark.django_db
def test_an_institution_admits_only_its_own_clients_and_names_nobody_else(world, client_for):
    """The finding: POST /api/stays with any person id answered 422 with the person's name."""
    home = world["home"]
    for person in (home.person, home.other_person):
        response = client_for(home.users[Role.INSTITUTION_ADMIN]).post(
            "/api/stays", {"person_id": person.pk, "institution_id": home.institution.pk, "bed": "1",
                           "admitted_on": "2026-12-01"}, content_type="application/json")
        assert response.status_code == 404
        assert person.name not in response.content.decode()
