"""Family carers registered to one beneficiary, and the days they cared: only in a mode that pays
family care, never in hospital, after death or moving away, for a suspended carer or twice; a batch
is recorded whole or not at all."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ltci.accounts.roles import Role
from ltci.audit.models import AuditEvent
from ltci.care import choices, events, family
from ltci.care.models import CareChoice, FamilyCareDay
from ltci.enrolment.idcard import make_id_number
from ltci.providers.models import Carer, CarerSuspension

from .conftest import HOME

SON = make_id_number("320311", date(1972, 6, 1), 7, "M")
DAUGHTER = make_id_number("320311", date(1975, 2, 3), 11, "F")


@pytest.fixture
def fam(scene):
    """The scene's person in Xuzhou's visits + family care from 1 March 2025, with a son registered."""
    person, clerk = scene["person"], scene["clerk"]
    choices.choose(person, clerk, mode="home_combined", effective_from=date(2025, 3, 1),
                   institution=scene["institution"], home_latitude=str(HOME[0]), home_longitude=str(HOME[1]))
    carer = family.register_family_carer(person, clerk, name="王小明", id_number=SON, phone="13800000000", trained=True)
    return {**scene, "carer": carer}


def refused(field, call, *args, **kw):
    with pytest.raises(ValidationError) as exc:
        call(*args, **kw)
    assert field in exc.value.message_dict, exc.value.message_dict
    return exc.value.message_dict[field]


def days(*ds):
    return [date(2025, 3, d) for d in ds]


# Registering a family carer ---------------------------------------------------------------------

def test_a_family_carer_is_registered_to_the_person(fam):
    carer, person = fam["carer"], fam["person"]
    assert (carer.kind, carer.region_id, carer.beneficiary, carer.institution, carer.trained, carer.active) == (
        "family", "xuzhou", person, None, True, True)
    assert (carer.name, carer.id_number, carer.phone) == ("王小明", SON, "13800000000")
    assert AuditEvent.objects.filter(action="create", object_type="providers.carer", object_id=str(carer.pk)).exists()
    untrained = family.register_family_carer(person, fam["clerk"], name="王小红", id_number=f" {DAUGHTER[:6]} {DAUGHTER[6:]}",
                                             phone="", trained=False)
    assert untrained.id_number == DAUGHTER and not untrained.trained


def test_a_family_carers_number_is_checked_and_registered_once(fam):
    person, other, clerk = fam["person"], fam["home"].other_person, fam["clerk"]
    register = family.register_family_carer
    assert refused("id_number", register, person, clerk, name="张三", id_number=SON[:17] + "0", phone="",
                   trained=False) == ["身份证号码校验位不正确"]
    assert refused("id_number", register, person, clerk, name="张三", id_number="12345", phone="",
                   trained=False) == ["身份证号码应为18位"]
    assert refused("id_number", register, person, clerk, name="本人", id_number=person.id_number, phone="",
                   trained=False) == ["亲情照护人员不能是参保人本人"]
    assert refused("id_number", register, person, clerk, name="王小明", id_number=SON, phone="",
                   trained=False) == [f"该人员已登记为{person.name}的亲情照护人员"]
    assert refused("id_number", register, other, clerk, name="王小明", id_number=SON, phone="",
                   trained=False) == ["该人员已登记为本地区其他参保人的亲情照护人员"]
    assert refused("name", register, person, clerk, name=" ", id_number=DAUGHTER, phone="", trained=False)
    assert refused("phone", register, person, clerk, name="王小红", id_number=DAUGHTER, phone="12", trained=False)
    assert Carer.objects.filter(kind="family").count() == 1


def test_a_carer_who_stood_down_is_registered_again_as_the_same_row(fam):
    carer = fam["carer"]
    carer.active = False
    carer.save()
    again = family.register_family_carer(fam["person"], fam["clerk"], name="王小明", id_number=SON,
                                         phone="13900000000", trained=False)
    assert again.pk == carer.pk and again.active and again.phone == "13900000000" and not again.trained


# Recording days ---------------------------------------------------------------------------------

def test_days_are_recorded_with_who_entered_them_and_audited_once(fam):
    person, carer, clerk = fam["person"], fam["carer"], fam["clerk"]
    assert family.record_days(person, clerk, carer=carer, days=days(3, 1, 2, 2)) == 3  # a day given twice counts once
    rows = FamilyCareDay.objects.order_by("day")
    assert [(r.day, r.carer, r.person, r.region_id, r.entered_by) for r in rows] == [
        (d, carer, person, "xuzhou", clerk) for d in days(1, 2, 3)]
    audit = AuditEvent.objects.get(action="create", object_type="care.familycareday")
    assert audit.detail["count"] == 3 and audit.region_id == "xuzhou" and audit.actor == clerk


def test_a_bad_day_refuses_the_whole_batch_naming_each_bad_day(fam):
    person, carer, clerk = fam["person"], fam["carer"], fam["clerk"]
    family.record_days(person, clerk, carer=carer, days=days(1))
    future = timezone.localdate() + timedelta(days=1)
    messages = refused("days", family.record_days, person, clerk, carer=carer,
                       days=[date(2025, 2, 28), *days(1, 2), future])
    assert messages == ["2025-02-28：当日护理方式为上门护理，不含亲情照护", "2025-03-01：已登记（照护人员：王小明）",
                        f"{future:%Y-%m-%d}：不能登记今天以后的日期"]
    assert FamilyCareDay.objects.count() == 1


def test_a_day_without_a_mode_is_refused_and_family_care_mode_pays(fam):
    person, carer, clerk = fam["person"], fam["carer"], fam["clerk"]
    assert refused("days", family.record_days, person, clerk, carer=carer,
                   days=[date(2024, 12, 31)]) == ["2024-12-31：当日尚未选择护理方式"]
    other = fam["home"].other_person
    CareChoice.objects.create(region_id="xuzhou", person=other, mode="family_care", effective_from=date(2025, 1, 1),
                              created_by=clerk)  # a row as another region's family care would make it
    daughter = family.register_family_carer(other, clerk, name="李红", id_number=DAUGHTER, phone="", trained=False)
    assert family.record_days(other, clerk, carer=daughter, days=[date(2025, 1, 5)]) == 1


HOSPITAL = "参保人住院期间（入院次日至出院当日）暂停待遇"


def test_no_days_that_a_hospital_stay_suspends(fam):
    """P3: from the day after admission up to and including the day of discharge."""
    person, carer, clerk = fam["person"], fam["carer"], fam["clerk"]
    events.record_event(person, clerk, kind="hospital_admission", on=date(2025, 3, 10))
    events.record_event(person, clerk, kind="hospital_discharge", on=date(2025, 3, 12))
    assert refused("days", family.record_days, person, clerk, carer=carer, days=days(10, 11, 12, 13)) == [
        f"2025-03-11：{HOSPITAL}", f"2025-03-12：{HOSPITAL}"]
    assert family.record_days(person, clerk, carer=carer, days=days(9, 10, 13)) == 3
    events.record_event(person, clerk, kind="hospital_admission", on=date(2025, 3, 20))  # still in
    assert refused("days", family.record_days, person, clerk, carer=carer, days=days(25)) == [f"2025-03-25：{HOSPITAL}"]
    assert family.record_days(person, clerk, carer=carer, days=days(20)) == 1


@pytest.mark.parametrize("kind", ["death", "moved_away"])
def test_no_days_after_death_or_moving_away(fam, kind):
    """P3: death ends benefits on the day after death; moving away likewise."""
    person, carer, clerk = fam["person"], fam["carer"], fam["clerk"]
    events.record_event(person, clerk, kind=kind, on=date(2025, 3, 15))
    assert refused("days", family.record_days, person, clerk, carer=carer, days=days(15, 16, 17)) == [
        "2025-03-16：参保人已于2025-03-15死亡或迁出", "2025-03-17：参保人已于2025-03-15死亡或迁出"]
    assert family.record_days(person, clerk, carer=carer, days=days(14, 15)) == 2


def test_a_corrected_event_no_longer_counts(fam):
    person, carer, clerk = fam["person"], fam["carer"], fam["clerk"]
    wrong = events.record_event(person, clerk, kind="death", on=date(2025, 3, 5))
    assert refused("days", family.record_days, person, clerk, carer=carer, days=days(6))
    events.record_event(person, clerk, kind="death", on=date(2025, 4, 5), corrects=wrong)
    assert family.record_days(person, clerk, carer=carer, days=days(6)) == 1


def test_a_suspended_inactive_or_anothers_carer_is_refused(fam):
    person, carer, clerk = fam["person"], fam["carer"], fam["clerk"]
    CarerSuspension.objects.create(carer=carer, start=date(2025, 3, 5), end=date(2025, 3, 6), reason="虚报服务",
                                   created_by=clerk)
    assert refused("days", family.record_days, person, clerk, carer=carer, days=days(4, 5)) == [
        "2025-03-05：照护人员2025-03-05至2025-03-06暂停结算：虚报服务"]
    assert refused("carer", family.record_days, person, clerk, carer=fam["other"], days=days(4)) == [
        f"该人员不是{person.name}的亲情照护人员"]  # a certified carer of an institution
    other = fam["home"].other_person
    daughter = family.register_family_carer(other, clerk, name="李红", id_number=DAUGHTER, phone="", trained=False)
    assert refused("carer", family.record_days, person, clerk, carer=daughter, days=days(4))
    carer.active = False
    carer.save()
    assert refused("carer", family.record_days, person, clerk, carer=carer, days=days(4)) == ["该亲情照护人员已停止照护"]
    assert refused("days", family.record_days, person, clerk, carer=carer, days=[]) == ["请选择照护日期"]
    assert not FamilyCareDay.objects.exists()


# The API ----------------------------------------------------------------------------------------

def test_the_api_registers_a_carer_and_records_days(fam, client_for):
    person, clerk = fam["person"], fam["clerk"]
    api = client_for(clerk)
    made = api.post(f"/api/persons/{fam['home'].other_person.pk}/family-carers",
                    {"name": "李红", "id_number": DAUGHTER, "phone": "13800000001", "trained": True},
                    content_type="application/json")
    assert made.status_code == 201 and made.json()["trained"] and DAUGHTER not in made.content.decode()
    url = f"/api/persons/{person.pk}/family-care-days"
    ok = api.post(url, {"carer_id": fam["carer"].pk, "days": ["2025-03-01", "2025-03-02"]}, content_type="application/json")
    assert ok.status_code == 201 and ok.json() == {"recorded": 2}
    bad = api.post(url, {"carer_id": fam["carer"].pk, "days": ["2025-03-02", "2025-02-01"]}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "days"
    assert [e["message"] for e in bad.json()["errors"]] == ["2025-02-01：当日护理方式为上门护理，不含亲情照护",
                                                            "2025-03-02：已登记（照护人员：王小明）"]
    wrong = api.post(url, {"carer_id": made.json()["id"], "days": ["2025-03-03"]}, content_type="application/json")
    assert wrong.status_code == 422 and wrong.json()["field"] == "carer_id"
    dup = api.post(f"/api/persons/{person.pk}/family-carers", {"name": "王小明", "id_number": SON},
                   content_type="application/json")
    assert dup.status_code == 422 and dup.json()["field"] == "id_number"
    assert FamilyCareDay.objects.count() == 2


def test_the_api_answers_404_for_another_regions_person(fam, world, client_for):
    away = world["away"].person
    api = client_for(fam["clerk"])
    assert api.post(f"/api/persons/{away.pk}/family-carers", {"name": "李红", "id_number": DAUGHTER},
                    content_type="application/json").status_code == 404
    assert api.post(f"/api/persons/{away.pk}/family-care-days", {"carer_id": fam["carer"].pk, "days": ["2025-03-01"]},
                    content_type="application/json").status_code == 404
    viewer = client_for(world["home"].users[Role.BUREAU_ADMIN])
    assert viewer.post(f"/api/persons/{fam['person'].pk}/family-care-days",
                       {"carer_id": fam["carer"].pk, "days": ["2025-03-01"]},
                       content_type="application/json").status_code == 403
    assert not FamilyCareDay.objects.exists() and Carer.objects.filter(kind="family").count() == 1
