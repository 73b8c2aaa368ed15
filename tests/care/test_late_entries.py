"""Late and suspended records: a suspended carer records nothing while suspended, whatever day the
record claims; a visit entered later than the region allows waits for the agency's acceptance
before settlement pays it."""

import shutil
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ltci.accounts.roles import Role
from ltci.audit.models import Action, AuditEvent
from ltci.care import visits
from ltci.care.models import Acceptance, Visit
from ltci.policy.policies import clear_caches, setting
from ltci.policy.regions import PARAMS_DIR
from ltci.providers.models import CarerSuspension

from .conftest import HOME
from .test_visits import checkin, checkout


def late_visit(scene, days=3, rid="late"):
    start = timezone.now() - timedelta(days=days, hours=1)
    visit = checkin(scene, rid=rid, at=start)
    return checkout(scene, visit, rid=f"{rid}-out", at=start + timedelta(minutes=50))


def test_a_suspended_carer_records_nothing_even_dated_before_the_suspension(scene):
    """The finding: a carer suspended for false records entered a visit dated in an earlier month."""
    CarerSuspension.objects.create(carer=scene["carer"], start=date.today() - timedelta(days=1),
                                   end=date.today() + timedelta(days=90), reason="虚假记录", created_by=scene["clerk"])
    for days_ago in (0, 2, 40):  # today, before the suspension began, in an earlier (settled) month
        with pytest.raises(visits.Refused) as exc:
            checkin(scene, rid=f"s{days_ago}", at=timezone.now() - timedelta(days=days_ago))
        assert "暂停期间不能登记服务" in exc.value.messages[0]
    assert not Visit.objects.exists()


def test_once_the_suspension_is_over_the_carer_records_again_but_not_into_it(scene):
    CarerSuspension.objects.create(carer=scene["carer"], start=date.today() - timedelta(days=20),
                                   end=date.today() - timedelta(days=5), reason="自查", created_by=scene["clerk"])
    assert checkin(scene, rid="now").acceptance == Acceptance.NOT_NEEDED
    with pytest.raises(visits.Refused):
        checkin(scene, rid="inside", at=timezone.now() - timedelta(days=10))


def test_a_visit_recorded_within_the_limit_needs_no_acceptance(scene):
    assert late_visit(scene, days=1).acceptance == Acceptance.NOT_NEEDED


def test_a_visit_recorded_after_the_limit_waits_for_the_agency(scene):
    visit = late_visit(scene, days=3)
    assert visit.acceptance == Acceptance.PENDING
    assert list(visits.pending_acceptance(scene["clerk"])) == [visit]
    assert list(visits.pending_acceptance(scene["home"].users[Role.CLERK])) == [visit]


def test_a_checkout_entered_late_makes_a_timely_checkin_wait_too(scene):
    start = timezone.now() - timedelta(days=4)
    visit = Visit.objects.create(region=scene["home"].region, person=scene["person"], institution=scene["institution"],
                                 carer=scene["carer"], request_id="open", checkin_at=start, checkin_latitude=HOME[0],
                                 checkin_longitude=HOME[1], entered_by=scene["carer_user"])
    done = checkout(scene, visit, rid="open-out", at=start + timedelta(minutes=50))
    assert done.acceptance == Acceptance.PENDING


def test_the_agency_accepts_refuses_and_can_reverse_with_the_trail(scene):
    visit = late_visit(scene)
    clerk = scene["clerk"]
    with pytest.raises(ValidationError) as exc:
        visits.decide_acceptance(visit, clerk, accept=False, note="")
    assert "note" in exc.value.message_dict
    refused = visits.decide_acceptance(visit, clerk, accept=False, note="补录超过两天且无人脸核验")
    assert refused.acceptance == Acceptance.REJECTED and refused.acceptance_by == clerk
    accepted = visits.decide_acceptance(visit, clerk, accept=True, note="经电话回访属实")
    assert accepted.acceptance == Acceptance.ACCEPTED
    steps = AuditEvent.objects.filter(action=Action.TRANSITION, object_type="care.visit", object_id=str(visit.pk))
    assert [e.detail["acceptance"] for e in steps.order_by("id")] == [["pending", "rejected"], ["rejected", "accepted"]]


def test_only_the_agency_decides_and_a_timely_visit_needs_no_decision(scene):
    visit = late_visit(scene)
    for role in (Role.CARER, Role.INSTITUTION_ADMIN, Role.AUDITOR, Role.INSURED):
        with pytest.raises(PermissionDenied):
            visits.decide_acceptance(visit, scene["home"].users[role], accept=True)
    timely = late_visit(scene, days=0, rid="timely")
    with pytest.raises(visits.Refused):
        visits.decide_acceptance(timely, scene["clerk"], accept=True)


def test_an_institutions_correction_of_an_old_visit_waits_and_cannot_launder_a_refusal(scene):
    visit = late_visit(scene, days=1)
    admin = scene["home"].users[Role.INSTITUTION_ADMIN]
    old = Visit.objects.filter(pk=visit.pk)
    old.update(checkin_at=visit.checkin_at - timedelta(days=5), checkout_at=visit.checkout_at - timedelta(days=5))
    fixed = visits.correct(old.get(), admin, reason="漏选项目", items=["SC06"])
    assert fixed.acceptance == Acceptance.PENDING
    refused = visits.decide_acceptance(fixed, scene["clerk"], accept=False, note="不属实")
    again = visits.correct(refused, admin, reason="再次更正", items=["SC19"])
    assert again.acceptance == Acceptance.PENDING


def test_the_agencys_own_correction_is_accepted_by_it(scene):
    visit = late_visit(scene)
    fixed = visits.correct(visit, scene["clerk"], reason="核实后更正项目", items=["SC06"])
    assert fixed.acceptance == Acceptance.ACCEPTED and fixed.acceptance_by == scene["clerk"]


def test_the_api_lists_and_decides(scene, client_for):
    visit = late_visit(scene)
    clerk = client_for(scene["clerk"])
    listed = clerk.get("/api/visits/pending-acceptance").json()
    assert [v["id"] for v in listed] == [visit.pk] and listed[0]["acceptance_label"] == "待经办机构受理"
    r = clerk.post(f"/api/visits/{visit.pk}/acceptance", {"accept": False}, content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "note"
    r = clerk.post(f"/api/visits/{visit.pk}/acceptance", {"accept": True, "note": "属实"},
                   content_type="application/json")
    assert r.status_code == 200 and r.json()["acceptance"] == "accepted"
    assert clerk.get("/api/visits/pending-acceptance").json() == []
    away = client_for(scene["home"].users[Role.CLERK].__class__.objects.get(username="nanning-clerk"))
    assert away.post(f"/api/visits/{visit.pk}/acceptance", {"accept": True},
                     content_type="application/json").status_code == 404


def test_the_clerk_finds_the_late_visit_from_the_nav_and_decides_on_its_page(scene, client_for):
    visit = late_visit(scene)
    clerk = client_for(scene["clerk"])
    home = clerk.get("/").content.decode()
    assert "/care/visits/acceptance/" in home  # the nav links to it
    listing = clerk.get("/care/visits/acceptance/").content.decode()
    assert scene["person"].name in listing and f"/care/visits/{visit.pk}/acceptance/" in listing
    assert scene["person"].id_number not in listing
    page = clerk.get(f"/care/visits/{visit.pk}/acceptance/").content.decode()
    assert "服务后 3天" in page and "规定 2 天内" in page and "受理，纳入结算" in page
    refused = clerk.post(f"/care/visits/{visit.pk}/acceptance/", {"decision": "reject", "note": ""})
    assert refused.status_code == 422 and "不予受理须写明理由" in refused.content.decode()
    kept = clerk.post(f"/care/visits/{visit.pk}/acceptance/", {"decision": "reject", "note": "x" * 201})
    assert "x" * 201 in kept.content.decode()  # what was typed comes back with the refusal
    done = clerk.post(f"/care/visits/{visit.pk}/acceptance/", {"decision": "accept", "note": "回访属实"}, follow=True)
    assert "已受理" in done.content.decode()
    assert Visit.objects.get(pk=visit.pk).acceptance == Acceptance.ACCEPTED


def test_the_limit_is_the_regions_own_where_its_policy_sets_one(tmp_path):
    """Platform default 2 days; a region's version file overrides it with its clause."""
    params = tmp_path / "params"
    shutil.copytree(PARAMS_DIR, params)
    version = params / "xuzhou" / "xuzhou-2022.toml"
    version.write_text(version.read_text(encoding="utf-8") + '\n[care]\nlate_entry_days = { value = 5, clause = "九(一)" }\n',
                       encoding="utf-8")
    clear_caches()
    try:
        assert setting("xuzhou", date(2025, 3, 1), "care", "late_entry_days", params) == (5, "xuzhou 九(一)")
        value, basis = setting("nanning", date(2025, 3, 1), "care", "late_entry_days", params)
        assert value == 2 and "平台默认值" in basis
    finally:
        clear_caches()


def _suspend(scene, start, end):
    return CarerSuspension.objects.create(carer=scene["carer"], start=start, end=end, reason="虚假记录",
                                          created_by=scene["clerk"])


def test_a_carer_suspended_after_checking_in_cannot_check_out(scene):
    """Review finding: check-out never looked at the carer's standing."""
    visit = checkin(scene, rid="before", at=timezone.now() - timedelta(minutes=50))
    _suspend(scene, date.today(), date.today() + timedelta(days=30))
    with pytest.raises(visits.Refused, match="暂停期间不能登记服务"):
        checkout(scene, visit, rid="before-out", at=timezone.now())
    assert Visit.objects.get(pk=visit.pk).checkout_at is None


def test_the_agency_and_the_institution_correct_a_suspended_carers_earlier_visit(scene):
    """Review finding: a correction of a visit made before the suspension was refused because the carer
    is suspended today; only the carer's own recording is stopped by today's suspension."""
    visit = late_visit(scene, days=1)
    _suspend(scene, date.today(), date.today() + timedelta(days=30))
    fixed = visits.correct(visit, scene["clerk"], reason="核实后更正项目", items=["SC06"])
    assert fixed.supersedes == visit and fixed.items == ["SC06"]
    again = visits.correct(fixed, scene["home"].users[Role.INSTITUTION_ADMIN], reason="补正备注", notes="家属在场")
    assert again.supersedes == fixed
    with pytest.raises(visits.Refused, match="暂停期间"):  # but not into the suspension
        visits.correct(again, scene["clerk"], reason="改到今天", checkin_at=timezone.now() - timedelta(minutes=30),
                       checkout_at=timezone.now() - timedelta(minutes=1))


def test_an_institutions_correction_is_judged_late_by_the_earliest_time_it_claims(scene):
    """Review finding: a new check-out near now made a correction of a five-day-old visit timely."""
    visit = late_visit(scene, days=1)
    old = Visit.objects.filter(pk=visit.pk)
    old.update(checkin_at=visit.checkin_at - timedelta(days=4), checkout_at=visit.checkout_at - timedelta(days=4),
               acceptance=Acceptance.NOT_NEEDED)
    fixed = visits.correct(old.get(), scene["home"].users[Role.INSTITUTION_ADMIN], reason="签退时间有误",
                           checkout_at=timezone.now() - timedelta(minutes=5))
    assert fixed.acceptance == Acceptance.PENDING


def test_the_acceptance_page_shows_the_later_delay_of_check_in_and_check_out(scene, client_for):
    """Review finding: a timely check-in with a check-out entered four days late read '0小时'."""
    start = timezone.now() - timedelta(days=4, hours=2)
    visit = Visit.objects.create(region=scene["home"].region, person=scene["person"], institution=scene["institution"],
                                 carer=scene["carer"], request_id="open", checkin_at=start, checkin_latitude=HOME[0],
                                 checkin_longitude=HOME[1], entered_by=scene["carer_user"])
    Visit.objects.filter(pk=visit.pk).update(entered_at=start)  # checked in on time
    done = checkout(scene, visit, rid="open-out", at=start + timedelta(minutes=50))
    assert done.acceptance == Acceptance.PENDING and done.checkout_entered_at is not None
    page = client_for(scene["clerk"]).get(f"/care/visits/{visit.pk}/acceptance/").content.decode()
    assert "服务后 4天1小时" in page
