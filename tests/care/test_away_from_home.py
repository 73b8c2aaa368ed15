"""Visits away from home: beyond the region's radius, or without the phone's location, a visit is
recorded as an exception, the carer is told at once, the visit waits for the agency's acceptance
(out of settlement until then) and supervision counts the decisions. The check-out offers the
plan's items only; the face check starts at 未核验; a denied location is explained."""

import re
import shutil
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ltci.accounts.roles import Role
from ltci.care import holds, visits
from ltci.care.geo import distance_m
from ltci.care.models import Acceptance, HoldReason, Visit
from ltci.policy.policies import clear_caches, setting
from ltci.policy.regions import PARAMS_DIR

from .conftest import HOME
from .test_visits import checkin

FAR = (HOME[0] + Decimal("0.045"), HOME[1])  # about 5 km north of the home
NEAR = (HOME[0] + Decimal("0.004"), HOME[1])  # about 445 m: inside the 500 m radius


def out(scene, visit, lat=HOME[0], lon=HOME[1], rid="o1", at=None):
    return visits.check_out(scene["carer_user"], visit, request_id=rid, latitude=lat if lat is None else str(lat),
                            longitude=lon if lon is None else str(lon), items=["SC06"], face_check="passed",
                            at=at or timezone.now())


def test_the_radius_is_a_cited_parameter_with_a_platform_default(tmp_path):
    value, basis = setting("xuzhou", date(2025, 3, 1), "care", "checkin_radius_m")
    assert value == 500 and "平台默认值" in basis and "本地区政策文件未作规定" in basis
    params = tmp_path / "params"
    shutil.copytree(PARAMS_DIR, params)
    version = params / "xuzhou" / "xuzhou-2022.toml"
    version.write_text(version.read_text(encoding="utf-8")
                       + '\n[care]\ncheckin_radius_m = { value = 300, clause = "九(二)" }\n', encoding="utf-8")
    clear_caches()
    try:
        assert setting("xuzhou", date(2025, 3, 1), "care", "checkin_radius_m", params) == (300, "xuzhou 九(二)")
        assert setting("nanning", date(2025, 3, 1), "care", "checkin_radius_m", params)[0] == 500
    finally:
        clear_caches()


def test_a_checkin_5_km_away_is_recorded_and_waits_and_the_carer_is_told_the_distance(scene):
    start = timezone.now() - timedelta(hours=1)
    visit = checkin(scene, lat=FAR[0], lon=FAR[1], at=start)
    far = distance_m(FAR[0], FAR[1], HOME[0], HOME[1])
    assert 4900 < far < 5100
    assert visit.checkin_distance_m == far and visit.acceptance == Acceptance.PENDING
    assert visit.exceptions == [HoldReason.CHECKIN_FAR]
    told = holds.notice(visit)
    assert f"签到位置距居所{far}米，超出本地区规定的500米" in told and "经办机构受理后才纳入结算" in told
    done = out(scene, visit, at=start + timedelta(minutes=50))  # checked out at the home: still waits
    assert done.acceptance == Acceptance.PENDING and done.exceptions == [HoldReason.CHECKIN_FAR]
    assert list(visits.pending_acceptance(scene["clerk"])) == [done]


def test_within_the_radius_nothing_waits_but_a_checkout_far_away_does(scene):
    start = timezone.now() - timedelta(hours=1)
    visit = checkin(scene, lat=NEAR[0], lon=NEAR[1], at=start)
    assert 400 < visit.checkin_distance_m <= 500
    assert visit.acceptance == Acceptance.NOT_NEEDED and visit.exceptions == [] and holds.notice(visit) == ""
    done = out(scene, visit, lat=FAR[0], lon=FAR[1], at=start + timedelta(minutes=50))
    assert done.acceptance == Acceptance.PENDING and done.exceptions == [HoldReason.CHECKOUT_FAR]
    assert "签退位置距居所" in holds.notice(done)


def test_no_location_is_an_exception_and_half_a_location_is_refused(scene):
    with pytest.raises(ValidationError) as exc:
        checkin(scene, rid="half", lat=HOME[0], lon="")
    assert "longitude" in exc.value.message_dict and "缺少经度" in exc.value.messages[0]
    assert not Visit.objects.exists()
    start = timezone.now() - timedelta(hours=1)
    visit = visits.check_in(scene["carer_user"], person=scene["person"], request_id="none", latitude="",
                            longitude=None, at=start)
    assert visit.checkin_latitude is None and visit.checkin_distance_m is None
    assert visit.acceptance == Acceptance.PENDING and visit.exceptions == [HoldReason.CHECKIN_NO_LOCATION]
    done = out(scene, visit, lat=None, lon=None, at=start + timedelta(minutes=50))
    assert done.exceptions == [HoldReason.CHECKIN_NO_LOCATION, HoldReason.CHECKOUT_NO_LOCATION]
    assert "签到时未定位；签退时未定位" in holds.notice(done)


def test_a_home_without_coordinates_holds_nothing(scene):
    from ltci.care.models import CareChoice

    CareChoice.objects.filter(person=scene["person"]).update(home_latitude=None, home_longitude=None)
    visit = checkin(scene, lat=FAR[0], lon=FAR[1])
    assert visit.checkin_distance_m is None and visit.acceptance == Acceptance.NOT_NEEDED


def test_a_held_visit_is_out_of_settlement_until_the_agency_accepts_it(scene):
    from ltci.settlement.inputs import read

    start = timezone.now() - timedelta(hours=1)
    visit = out(scene, checkin(scene, lat=FAR[0], lon=FAR[1], at=start), at=start + timedelta(minutes=50))
    month = timezone.localdate(start).replace(day=1)

    def settled():
        frame = read(scene["home"].region.pk, month).visits
        return frame.filter(frame["person_id"] == scene["person"].pk).height

    assert settled() == 0
    visits.decide_acceptance(visit, scene["clerk"], accept=True, note="家属证实在新住址服务")
    assert settled() == 1
    visits.decide_acceptance(visit, scene["clerk"], accept=False, note="核实不属实")
    assert settled() == 0


def test_a_correction_keeps_the_reasons_and_a_late_one_adds_lateness(scene):
    start = timezone.now() - timedelta(hours=1)
    visit = out(scene, checkin(scene, lat=FAR[0], lon=FAR[1], at=start), at=start + timedelta(minutes=50))
    accepted = visits.decide_acceptance(visit, scene["clerk"], accept=True, note="属实")
    admin = scene["home"].users[Role.INSTITUTION_ADMIN]
    fixed = visits.correct(accepted, admin, reason="漏选项目", items=["SC06", "SC19"])
    assert fixed.acceptance == Acceptance.ACCEPTED and fixed.exceptions == [HoldReason.CHECKIN_FAR]
    Visit.objects.filter(pk=fixed.pk).update(checkin_at=start - timedelta(days=5),
                                             checkout_at=start - timedelta(days=5) + timedelta(minutes=50))
    late = visits.correct(Visit.objects.get(pk=fixed.pk), admin, reason="时间有误", notes="补正")
    assert late.acceptance == Acceptance.PENDING
    assert late.exceptions == [HoldReason.CHECKIN_FAR, HoldReason.LATE]


# The device's API ---------------------------------------------------------------------------------

def test_the_api_answers_a_far_or_unlocated_checkin_with_the_reason_in_chinese(scene, client_for):
    device = client_for(scene["carer_user"])
    r = device.post("/api/visits/checkin", {"request_id": "far", "person_id": scene["person"].pk,
                                            "latitude": str(FAR[0]), "longitude": str(FAR[1])},
                    content_type="application/json")
    assert r.status_code == 201
    answer = r.json()
    assert answer["acceptance"] == "pending" and answer["exceptions"] == ["checkin_far"]
    assert f"距居所{answer['checkin_distance_m']}米" in answer["notice"] and "500米" in answer["notice"]
    done = device.post(f"/api/visits/{answer['id']}/checkout",
                       {"request_id": "far-out", "items": ["SC06"], "face_check": "passed",
                        "at": (timezone.now() + timedelta(seconds=1)).isoformat()}, content_type="application/json")
    assert done.status_code == 200
    assert done.json()["exceptions"] == ["checkin_far", "checkout_no_location"]
    assert "签退时未定位" in done.json()["notice"]
    half = device.post("/api/visits/checkin", {"request_id": "half", "person_id": scene["person"].pk,
                                               "latitude": str(HOME[0])}, content_type="application/json")
    assert half.status_code == 422 and half.json()["field"] == "longitude"


# The carer's phone page ---------------------------------------------------------------------------

def test_the_page_tells_the_carer_at_once_with_the_distance(scene, client_for):
    page = client_for(scene["carer_user"])
    answer = page.post("/care/visits/checkin", {"request_id": "p-far", "person": scene["person"].pk,
                                                "latitude": str(FAR[0]), "longitude": str(FAR[1])}, follow=True)
    html = answer.content.decode()
    visit = Visit.objects.get()
    assert f"已签到：{scene['person'].name}" in html
    assert f"签到位置距居所{visit.checkin_distance_m}米，超出本地区规定的500米" in html
    assert "经办机构受理后才纳入结算" in html and 'class="warning"' in html


def test_with_no_location_the_page_explains_and_records_only_when_the_carer_chooses(scene, client_for):
    page = client_for(scene["carer_user"])
    html = page.get("/care/visits/").content.decode()
    assert "无法定位？" in html and "允许本网站使用位置信息" in html and "不定位签到" in html
    assert 'name="no_location"' in html
    form = {"request_id": "p-none", "person": scene["person"].pk, "latitude": "", "longitude": ""}
    refused = page.post("/care/visits/checkin", form, follow=True).content.decode()
    assert "未取得手机位置" in refused and "不定位签到" in refused and "请填写数字坐标" not in refused
    assert not Visit.objects.exists()
    chosen = page.post("/care/visits/checkin", {**form, "no_location": "1"}, follow=True).content.decode()
    visit = Visit.objects.get()
    assert visit.exceptions == [HoldReason.CHECKIN_NO_LOCATION] and visit.acceptance == Acceptance.PENDING
    assert "签到时未定位" in chosen and "（未定位）" in chosen


def test_the_checkout_offers_the_plans_items_only_and_the_face_check_starts_unchecked(scene, client_for):
    checkin(scene, rid="c1", at=timezone.now() - timedelta(minutes=40))
    html = client_for(scene["carer_user"]).get("/care/visits/").content.decode()
    offered = re.findall(r'name="items" value="([^"]+)"', html)
    assert offered == ["SC06", "SC19"]  # the plan's two, not SC11 nor the rest of the catalogue
    select = re.search(r'<select name="face_check">(.*?)</select>', html, re.S).group(1)
    assert re.search(r'<option value="not_done" selected>未核验</option>', select)
    assert "selected" not in select.replace('value="not_done" selected', "")


def test_the_items_done_read_as_names(scene, client_for):
    # a visit of today's (local) date, whatever the hour the suite runs at: the page lists today's
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    visit = checkin(scene, rid="n1", at=max(timezone.now() - timedelta(minutes=40), midnight + timedelta(seconds=1)))
    out(scene, visit, at=timezone.now())
    html = client_for(scene["carer_user"]).get("/care/visits/").content.decode()
    assert "项目：沐浴" in html and "项目：SC06" not in html


# The agency's review and supervision ---------------------------------------------------------------

def _held(scene, rid, lat, lon, hours):
    start = timezone.now() - timedelta(hours=hours)
    visit = visits.check_in(scene["carer_user"], person=scene["person"], request_id=rid, latitude=lat,
                            longitude=lon, at=start)
    return out(scene, visit, rid=f"{rid}-out", at=start + timedelta(minutes=50))


def test_the_review_page_says_why_each_visit_waits_and_decides(scene, client_for):
    far = _held(scene, "far", str(FAR[0]), str(FAR[1]), hours=5)
    blind = _held(scene, "blind", "", "", hours=3)
    clerk = client_for(scene["clerk"])
    assert "上门服务受理" in clerk.get("/").content.decode()  # the nav names what it holds
    listing = clerk.get("/care/visits/acceptance/").content.decode()
    assert f"签到位置距居所{far.checkin_distance_m}米" in listing and "签到时未定位" in listing
    assert "500 米内" in listing and "平台默认值" in listing
    page = clerk.get(f"/care/visits/{far.pk}/acceptance/").content.decode()
    assert "待受理原因" in page and f"签到位置距居所{far.checkin_distance_m}米，超出本地区规定的500米" in page
    done = clerk.post(f"/care/visits/{far.pk}/acceptance/", {"decision": "accept", "note": "家属证实"}, follow=True)
    assert "已受理" in done.content.decode()
    clerk.post(f"/care/visits/{blind.pk}/acceptance/", {"decision": "reject", "note": "无法核实"})
    assert Visit.objects.get(pk=far.pk).acceptance == Acceptance.ACCEPTED
    assert Visit.objects.get(pk=blind.pk).acceptance == Acceptance.REJECTED


def test_supervision_counts_the_agencys_decisions_by_reason(scene, client_for):
    far = _held(scene, "far", str(FAR[0]), str(FAR[1]), hours=5)
    blind = _held(scene, "blind", "", "", hours=3)
    _held(scene, "far2", str(FAR[0]), str(FAR[1]), hours=1)  # still waiting
    visits.decide_acceptance(far, scene["clerk"], accept=True, note="属实")
    visits.decide_acceptance(blind, scene["clerk"], accept=False, note="无法核实")
    month = timezone.localdate(far.checkin_at).replace(day=1)
    counts = {r["reason"]: (r["pending"], r["accepted"], r["rejected"])
              for r in holds.decision_counts(Visit.objects.all(), month, month + timedelta(days=40))}
    assert counts["签到位置超出范围"] == (1, 1, 0)
    assert counts["签到时未定位"] == (0, 0, 1) and counts["签退时未定位"] == (0, 0, 0)
    supervisor = client_for(scene["home"].users[Role.AUDITOR])
    html = supervisor.get(f"/supervision/?month={month:%Y-%m}").content.decode()
    section = html[html.index('id="held-visits"'):]
    assert "上门服务异常的受理" in section
    assert re.search(r"<td>签到位置超出范围</td><td>1</td><td>1</td><td>0</td><td>2</td>", section)
    assert re.search(r"<td>签到时未定位</td><td>0</td><td>0</td><td>1</td><td>1</td>", section)
    away = client_for(scene["home"].users[Role.AUDITOR].__class__.objects.get(username="nanning-auditor"))
    other = away.get(f"/supervision/?month={month:%Y-%m}").content.decode()
    assert re.search(r"<td>签到位置超出范围</td><td>0</td><td>0</td><td>0</td><td>0</td>", other)


def test_a_refused_checkout_comes_back_with_what_the_carer_chose(scene, client_for):
    visit = checkin(scene, rid="k1", at=timezone.now() - timedelta(minutes=40))
    page = client_for(scene["carer_user"])
    chosen = {"request_id": "k1-out", "items": ["SC19"], "face_check": "failed", "notes": "家属在场"}
    refused = page.post(f"/care/visits/{visit.pk}/checkout", {**chosen, "latitude": "", "longitude": ""})
    html = refused.content.decode()
    assert refused.status_code == 422 and "未取得手机位置" in html and "不定位签退" in html
    assert 'value="SC19" checked' in html and 'value="SC06">' in html
    assert '<option value="failed" selected>' in html and 'value="家属在场"' in html
    assert '<details class="locate-help" open>' in html  # the check-out's help, opened
    assert Visit.objects.get(pk=visit.pk).checkout_at is None
    done = page.post(f"/care/visits/{visit.pk}/checkout", {**chosen, "no_location": "1"}, follow=True)
    assert "已签退" in done.content.decode() and "签退时未定位" in done.content.decode()
    assert Visit.objects.get(pk=visit.pk).exceptions == [HoldReason.CHECKOUT_NO_LOCATION]


def test_a_visit_begun_before_midnight_and_still_open_stays_on_the_carers_page(scene, client_for):
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    checkin(scene, rid="m1", at=midnight - timedelta(minutes=20))
    html = client_for(scene["carer_user"]).get("/care/visits/").content.decode()
    assert 'name="items" value="SC06"' in html  # its check-out form is there
