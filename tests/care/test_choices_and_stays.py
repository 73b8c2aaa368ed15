"""Modes and stays: only the region's modes, institutions of the right kind taking new clients with a
free filed bed; no two stays of a person overlap, no bed holds two, never more than the filed beds."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from ltci.care import choices, stays
from ltci.care.models import Stay
from ltci.providers.models import InstitutionKind
from tests.conftest import make_person


def admit(person, inst, clerk, bed, on):
    """Choosing the institution first, as a stay needs."""
    choices.choose(person, clerk, mode="institution_care", effective_from=on, institution=inst)
    return stays.admit(person, inst, clerk, bed=bed, on=on)


@pytest.fixture
def home_inst(world):
    inst = world["home"].other_institution
    inst.kind, inst.filed_beds = InstitutionKind.ELDERLY_CARE, 2
    inst.save()
    return inst


def test_a_mode_the_region_does_not_offer_is_refused(world):
    clerk = world["home"].users["clerk"]
    with pytest.raises(ValidationError) as exc:
        choices.choose(world["home"].person, clerk, mode="family_care", effective_from=date(2025, 1, 1))
    assert "mode" in exc.value.message_dict  # Xuzhou has home_combined, not family_care


def test_institutional_care_needs_a_free_filed_bed_and_an_institution_taking_clients(world, home_inst):
    clerk = world["home"].users["clerk"]
    day = date(2025, 3, 1)
    for n in (11, 12):
        admit(make_person(world["home"].region, n), home_inst, clerk, f"A{n}", day)
    with pytest.raises(ValidationError) as exc:
        choices.choose(world["home"].person, clerk, mode="institution_care", effective_from=day, institution=home_inst)
    assert "无空余备案床位" in exc.value.message_dict["institution"][0]
    home_inst.status, home_inst.suspended_until = "suspended", day + timedelta(days=90)
    home_inst.save()
    with pytest.raises(ValidationError) as exc:
        choices.choose(world["home"].person, clerk, mode="institution_care", effective_from=day, institution=home_inst)
    assert "暂停接收新参保人" in exc.value.message_dict["institution"][0]


def test_stays_never_overlap_share_a_bed_or_exceed_the_filed_beds(world, home_inst):
    clerk = world["home"].users["clerk"]
    person = world["home"].person
    stay = admit(person, home_inst, clerk, "101", date(2025, 1, 10))
    with pytest.raises(ValidationError):
        stays.admit(person, home_inst, clerk, bed="102", on=date(2025, 2, 1))  # still in
    other = world["home"].other_person
    choices.choose(other, clerk, mode="institution_care", effective_from=date(2025, 2, 1), institution=home_inst)
    with pytest.raises(ValidationError) as exc:
        stays.admit(other, home_inst, clerk, bed="101", on=date(2025, 2, 1))
    assert "bed" in exc.value.message_dict
    stays.admit(other, home_inst, clerk, bed="102", on=date(2025, 2, 1))
    third = make_person(world["home"].region, 13)
    with pytest.raises(ValidationError) as exc:
        admit(third, home_inst, clerk, "103", date(2025, 2, 2))
    assert "无空余备案床位" in exc.value.message_dict["institution"][0] or "已满" in exc.value.message_dict["institution"][0]
    with pytest.raises(ValidationError) as exc:
        stays.admit(make_person(world["home"].region, 15), home_inst, clerk, bed="104", on=date(2025, 2, 2))
    assert "未选择在该机构入住护理" in exc.value.message_dict["institution"][0]
    with pytest.raises(ValidationError):
        stays.discharge(stay, clerk, on=date(2025, 1, 9))
    stays.discharge(stay, clerk, on=date(2025, 2, 5))
    admit(make_person(world["home"].region, 14), home_inst, clerk, "101", date(2025, 2, 6))
    assert Stay.objects.count() == 3


def test_a_back_dated_admission_cannot_overfill_a_later_day(world, home_inst):
    clerk = world["home"].users["clerk"]
    admit(make_person(world["home"].region, 21), home_inst, clerk, "1", date(2025, 3, 1))
    admit(make_person(world["home"].region, 22), home_inst, clerk, "2", date(2025, 3, 10))
    with pytest.raises(ValidationError):
        admit(make_person(world["home"].region, 23), home_inst, clerk, "3", date(2025, 2, 1))  # full from 03-10


def test_a_choice_dated_before_the_region_s_first_policy_version_is_refused_not_a_500(world, client_for):
    """Found 81 times by fuzzing: the mode lookup raised the policy engine's error as a 500."""
    from ltci.care.models import CareChoice

    home = world["home"]
    clerk = client_for(home.users["clerk"])
    response = clerk.post(f"/api/persons/{home.person.pk}/care-choices",
                          {"mode": "home_visit", "effective_from": "1990-01-01", "institution_id": home.institution.pk,
                           "home_latitude": "34.26", "home_longitude": "117.18"}, content_type="application/json")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["field"] == "effective_from"
    assert body["message"] == "1990-01-01早于徐州市长护险政策的施行日期（2022-01-01）"
    assert not CareChoice.objects.filter(person=home.person).exists()
