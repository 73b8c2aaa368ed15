"""Home visits: check-in and check-out with place, time, face check and items; retries never make a
second visit; what the rules forbid is refused with the reason and changes nothing."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ltci.care import choices, visits
from ltci.care.geo import distance_m
from ltci.care.models import Visit
from ltci.providers.models import CarerSuspension

from .conftest import HOME


def checkin(scene, user=None, rid="r1", at=None, lat=HOME[0], lon=HOME[1], person=None):
    return visits.check_in(user or scene["carer_user"], person=person or scene["person"], request_id=rid,
                           latitude=str(lat), longitude=str(lon), at=at)


def checkout(scene, visit, user=None, rid="o1", at=None, items=("SC06", "SC19"), face="passed"):
    return visits.check_out(user or scene["carer_user"], visit, request_id=rid, latitude=str(HOME[0]),
                            longitude=str(HOME[1]), items=list(items) if isinstance(items, tuple) else items,
                            face_check=face, at=at)


def test_a_visit_keeps_time_place_distance_face_check_and_items(scene):
    start = timezone.now() - timedelta(hours=1)
    visit = checkin(scene, at=start, lat="34.262000")  # about 111 m north of the home
    assert 105 <= visit.checkin_distance_m <= 115
    done = checkout(scene, visit, at=start + timedelta(minutes=45))
    assert done.checkout_distance_m == 0 and done.face_check == "passed" and done.items == ["SC06", "SC19"]


def test_retries_return_the_same_visit(scene):
    first = checkin(scene, rid="same")
    again = checkin(scene, rid="same")
    assert first.pk == again.pk and Visit.objects.count() == 1
    out = checkout(scene, first, rid="out-1")
    assert checkout(scene, first, rid="out-1").checkout_at == out.checkout_at
    with pytest.raises(visits.Refused):
        checkout(scene, first, rid="out-2")  # a second, different check-out


def test_a_visit_cannot_end_before_it_starts_or_overlap_another_of_the_carer(scene, world):
    start = timezone.now() - timedelta(hours=3)
    visit = checkin(scene, at=start)
    with pytest.raises(ValidationError) as exc:
        checkout(scene, visit, at=start - timedelta(minutes=1))
    assert "at" in exc.value.message_dict
    with pytest.raises(visits.Refused):
        checkin(scene, rid="r2", at=start + timedelta(minutes=10), person=scene["person"])  # still open
    checkout(scene, visit, at=start + timedelta(hours=1))
    with pytest.raises(visits.Refused):
        checkin(scene, rid="r3", at=start + timedelta(minutes=30))  # inside the first visit
    later = checkin(scene, rid="r4", at=start + timedelta(hours=2))
    assert later.pk != visit.pk


def test_times_in_the_future_and_coordinates_out_of_range_are_refused(scene):
    with pytest.raises(ValidationError) as exc:
        checkin(scene, at=timezone.now() + timedelta(hours=1))
    assert "at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        checkin(scene, lat="91")
    assert "latitude" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        checkin(scene, lon="abc")
    assert "longitude" in exc.value.message_dict
    assert not Visit.objects.exists()


def test_a_suspended_carer_or_a_person_not_in_a_home_mode_is_refused(scene):
    CarerSuspension.objects.create(carer=scene["carer"], start=date.today() - timedelta(days=5),
                                   end=date.today() + timedelta(days=85), reason="诱导重复评估",
                                   created_by=scene["clerk"])
    with pytest.raises(visits.Refused) as exc:
        checkin(scene)
    assert "暂停结算" in exc.value.messages[0]
    with pytest.raises(visits.Refused) as exc:
        checkin(scene, user=scene["other_user"], person=scene["home"].other_person)
    assert "不是本机构上门护理的服务对象" in exc.value.messages[0]
    assert not Visit.objects.exists()


def test_items_are_required_and_checked(scene):
    visit = checkin(scene, at=timezone.now() - timedelta(minutes=50))
    for bad in ([], ["x" * 17], "SC06", ["ZZ99"]):
        with pytest.raises(ValidationError) as exc:
            checkout(scene, visit, items=bad)
        assert "items" in exc.value.message_dict


def test_a_carer_cannot_check_out_anothers_visit(scene):
    visit = checkin(scene, at=timezone.now() - timedelta(minutes=50))
    with pytest.raises(PermissionDenied):
        checkout(scene, visit, user=scene["other_user"])


def test_a_change_of_mode_ends_visits_from_its_date(scene):
    choices.choose(scene["person"], scene["clerk"], mode="home_combined", effective_from=date.today(),
                   institution=scene["institution"], home_latitude=str(HOME[0]), home_longitude=str(HOME[1]))
    checkin(scene)  # home_combined is visited too
    visits_before = Visit.objects.count()
    choices.choose(scene["person"], scene["clerk"], mode="remote_cash", effective_from=date.today() + timedelta(days=1))
    assert choices.mode_on(scene["person"], date.today() + timedelta(days=1)).mode == "remote_cash"
    assert Visit.objects.count() == visits_before


def test_distance_is_the_great_circle():
    assert distance_m(0, 0, 0, 1) == 111195  # one degree of longitude on the equator
    assert distance_m(*HOME, *HOME) == 0


def test_a_visit_entered_later_for_an_earlier_time_is_allowed_if_it_overlaps_nothing(scene):
    now = timezone.now()
    recent = checkin(scene, rid="recent", at=now - timedelta(hours=2))
    checkout(scene, recent, rid="recent-out", at=now - timedelta(hours=1))
    earlier = checkin(scene, rid="earlier", at=now - timedelta(hours=5))  # synced late from a phone offline
    with pytest.raises(visits.Refused):
        checkout(scene, earlier, rid="earlier-out", at=now - timedelta(minutes=90))  # would run into `recent`
    checkout(scene, earlier, rid="earlier-out2", at=now - timedelta(hours=4))


def test_a_correction_is_a_new_version_and_the_recorded_one_stays(scene):
    from ltci.audit.models import AuditEvent

    start = timezone.now() - timedelta(hours=3)
    visit = checkout(scene, checkin(scene, at=start), at=start + timedelta(minutes=50))
    with pytest.raises(PermissionDenied):
        visits.correct(visit, scene["carer_user"], reason="补录", items=["SC06"])
    fixed = visits.correct(visit, scene["clerk"], reason="护理员漏选项目", items=["SC06", "SC19"],
                           checkout_at=start + timedelta(minutes=70))
    visit.refresh_from_db()
    assert visit.checkout_at == start + timedelta(minutes=50)  # the recorded row is unchanged
    assert fixed.supersedes == visit and fixed.checkout_at == start + timedelta(minutes=70)
    assert AuditEvent.objects.filter(object_id=str(fixed.pk), detail__corrects=visit.pk).exists()
    with pytest.raises(visits.Refused):
        visits.correct(visit, scene["clerk"], reason="再次更正旧版本")
    with pytest.raises(ValidationError):
        visits.correct(fixed, scene["clerk"], reason="超出计划", items=["SC11"])
    current = Visit.objects.filter(superseded_by__isnull=True)
    assert fixed in current and visit not in current
