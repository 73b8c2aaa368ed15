"""Modes and stays: only the region's modes, institutions of the right kind taking new clients with a
free filed bed; no two stays of a person overlap, no bed holds two, never more than the filed beds."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from ltci.care import choices, stays
from ltci.care.models import Stay
from ltci.providers.models import InstitutionKind
from tests.conftest import make_person


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
        stays.admit(make_person(world["home"].region, n), home_inst, clerk, bed=f"A{n}", on=day)
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
    stay = stays.admit(person, home_inst, clerk, bed="101", on=date(2025, 1, 10))
    with pytest.raises(ValidationError):
        stays.admit(person, home_inst, clerk, bed="102", on=date(2025, 2, 1))  # still in
    with pytest.raises(ValidationError) as exc:
        stays.admit(world["home"].other_person, home_inst, clerk, bed="101", on=date(2025, 2, 1))
    assert "bed" in exc.value.message_dict
    stays.admit(world["home"].other_person, home_inst, clerk, bed="102", on=date(2025, 2, 1))
    with pytest.raises(ValidationError) as exc:
        stays.admit(make_person(world["home"].region, 13), home_inst, clerk, bed="103", on=date(2025, 2, 2))
    assert "已满" in exc.value.message_dict["institution"][0]
    with pytest.raises(ValidationError):
        stays.discharge(stay, clerk, on=date(2025, 1, 9))
    stays.discharge(stay, clerk, on=date(2025, 2, 5))
    stays.admit(make_person(world["home"].region, 14), home_inst, clerk, bed="101", on=date(2025, 2, 6))
    assert Stay.objects.count() == 3
