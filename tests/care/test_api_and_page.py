"""The device API and the carer's phone page: idempotent by request id, refusals with the reason."""

from datetime import timedelta

from django.utils import timezone

from ltci.accounts.roles import Role
from ltci.care.models import Visit

from .conftest import HOME


def body(**kw):
    return {"request_id": "dev-1", "person_id": kw.pop("person_id"), "latitude": str(HOME[0]),
            "longitude": str(HOME[1]), **kw}


def test_a_device_checks_in_and_out_and_a_retry_is_answered_with_the_same_visit(scene, client_for):
    device = client_for(scene["carer_user"])
    first = device.post("/api/visits/checkin", body(person_id=scene["person"].pk), content_type="application/json")
    assert first.status_code == 201
    retry = device.post("/api/visits/checkin", body(person_id=scene["person"].pk), content_type="application/json")
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"] and Visit.objects.count() == 1
    out = {"request_id": "dev-2", "latitude": str(HOME[0]), "longitude": str(HOME[1]), "items": ["SC06"],
           "face_check": "passed", "at": (timezone.now() + timedelta(seconds=1)).isoformat()}
    done = device.post(f"/api/visits/{first.json()['id']}/checkout", out, content_type="application/json")
    assert done.status_code == 200 and done.json()["checkout_distance_m"] == 0
    again = device.post(f"/api/visits/{first.json()['id']}/checkout", out, content_type="application/json")
    assert again.status_code == 200 and again.json()["checkout_at"] == done.json()["checkout_at"]
    assert [v["id"] for v in device.get("/api/visits/today").json()] == [first.json()["id"]]


def test_the_api_refuses_bad_input_with_the_field(scene, client_for):
    device = client_for(scene["carer_user"])
    future = (timezone.now() + timedelta(hours=2)).isoformat()
    response = device.post("/api/visits/checkin", body(person_id=scene["person"].pk, at=future),
                           content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "at"
    response = device.post("/api/visits/checkin", body(person_id=scene["person"].pk, latitude="200"),
                           content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "latitude"
    # Someone the carer's institution does not serve is nobody to the carer: 404, and no name.
    response = device.post("/api/visits/checkin", body(person_id=scene["home"].other_person.pk),
                           content_type="application/json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert scene["home"].other_person.name not in response.content.decode()
    assert not Visit.objects.exists()


def test_the_institution_and_the_agency_see_the_visits_the_other_region_does_not(scene, world, client_for):
    client_for(scene["carer_user"]).post("/api/visits/checkin", body(person_id=scene["person"].pk),
                                         content_type="application/json")
    assert len(client_for(world["home"].users[Role.INSTITUTION_ADMIN]).get("/api/visits").json()) == 1
    assert len(client_for(world["home"].users[Role.CLERK]).get("/api/visits").json()) == 1
    assert client_for(world["away"].users[Role.CLERK]).get("/api/visits").json() == []


def test_the_phone_page_checks_in_once_for_a_double_tap(scene, client_for):
    page = client_for(scene["carer_user"])
    html = page.get("/care/visits/").content.decode()
    assert scene["person"].name in html and "签到" in html
    form = {"request_id": "page-1-in", "person": scene["person"].pk, "latitude": str(HOME[0]), "longitude": str(HOME[1])}
    page.post("/care/visits/checkin", form)
    page.post("/care/visits/checkin", form)
    assert Visit.objects.count() == 1
    visit = Visit.objects.get()
    page.post(f"/care/visits/{visit.pk}/checkout", {"request_id": "page-1-out", "latitude": str(HOME[0]),
                                                     "longitude": str(HOME[1]), "items": ["SC06", "SC19"],
                                                     "face_check": "passed"})
    visit.refresh_from_db()
    assert visit.items == ["SC06", "SC19"] and visit.face_check == "passed"
