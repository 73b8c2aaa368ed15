"""Carers and the institution's records through the API: each role within its reach."""

from datetime import date, timedelta

from ltci.accounts.roles import Role
from ltci.providers.models import Carer


def test_an_institution_registers_its_carers_and_the_agency_suspends_one(world, client_for):
    home = world["home"]
    admin = client_for(home.users[Role.INSTITUTION_ADMIN])
    made = admin.post(f"/api/institutions/{home.institution.pk}/carers",
                      {"name": "赵敏", "id_number": "11010519491231002X", "certificate_number": "ZG-77"},
                      content_type="application/json")
    assert made.status_code == 201 and made.json()["id_number_masked"].startswith("1101")
    assert "11010519491231002X" not in made.content.decode()
    bad = admin.post(f"/api/institutions/{home.institution.pk}/carers",
                     {"name": "赵敏", "id_number": "110105194912310021", "certificate_number": "ZG-78"},
                     content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "id_number"
    other = admin.post(f"/api/institutions/{home.other_institution.pk}/carers",
                       {"name": "钱", "id_number": "11010519491231002X", "certificate_number": "ZG-79"},
                       content_type="application/json")
    assert other.status_code == 404  # not its institution
    carer = Carer.objects.get(pk=made.json()["id"])
    body = {"start": "2026-01-01", "end": "2026-03-31", "reason": "自查"}
    assert admin.post(f"/api/carers/{carer.pk}/suspensions", body, content_type="application/json").status_code == 403
    clerk = client_for(home.users[Role.CLERK])
    start = date.today()
    done = clerk.post(f"/api/carers/{carer.pk}/suspensions",
                      {"start": start.isoformat(), "end": (start + timedelta(days=90)).isoformat(),
                       "reason": "诱导重复评估"}, content_type="application/json")
    assert done.status_code == 201
    again = clerk.post(f"/api/carers/{carer.pk}/suspensions",
                       {"start": start.isoformat(), "end": start.isoformat(), "reason": "重叠"},
                       content_type="application/json")
    assert again.status_code == 422


def test_the_rating_and_the_inspection_through_the_api(world, client_for):
    home = world["home"]
    clerk = client_for(home.users[Role.CLERK])
    response = clerk.post(f"/api/institutions/{home.institution.pk}/inspections",
                          {"on": date.today().isoformat(), "score": 81}, content_type="application/json")
    assert response.status_code == 201 and response.json()["stars"] == 4
    assert client_for(home.users[Role.INSTITUTION_ADMIN]).get(
        f"/api/institutions/{home.institution.pk}/rating").json()["stars"] == 4
    assert client_for(world["away"].users[Role.CLERK]).get(
        f"/api/institutions/{home.institution.pk}/rating").status_code == 404


def test_a_training_makes_a_family_carer_trained(world):
    from datetime import date

    import pytest
    from django.core.exceptions import ValidationError

    from ltci.care import family
    from ltci.providers import carers

    home = world["home"]
    clerk = home.users[Role.CLERK]
    carer = family.register_family_carer(home.person, clerk, name="王小明", id_number="110105194912310011")
    assert not carer.trained
    with pytest.raises(ValidationError) as exc:
        carers.record_training(carer, clerk, course="", on=date(2026, 1, 5), hours="0", provider="")
    assert {"course", "provider", "hours"} <= set(exc.value.message_dict)
    carers.record_training(carer, clerk, course="失能老人照护基础", on=date(2026, 1, 5), hours="16", provider="市红十字会")
    carer.refresh_from_db()
    assert carer.trained and carer.trainings.count() == 1
