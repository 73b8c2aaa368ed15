"""Supervision pages and API end to end: who may do what, errors as {code, message, field}, masked
ID numbers, scope (another region's objects answer 404) and the audit trail."""

import re
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ltci.accounts.roles import Role
from ltci.audit.models import Action, AuditEvent
from ltci.core.models import Job, JobKind
from ltci.settlement.models import Hold, Line, LineKind
from ltci.supervision import cases, rulebase, sampling
from ltci.supervision.models import Case, CaseStatus, Hit, RuleSetting, Sample, SampleOutcome, Sanction

from tests.confirming import confirmed_post

from .support import FEB, MARCH, make_hit, pdf, people, settled, visit, visiting  # noqa: F401  (fixtures)
from .support import clerks, home  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(client_for, people):
    return client_for(people["auditor"])


def test_institution_staff_and_carers_see_nothing_of_supervision(home, client_for):
    for role in (Role.INSTITUTION_ADMIN, Role.CARER, Role.INSURED):
        c = client_for(home.users[role])
        for url in ("/supervision/", "/supervision/hits/", "/supervision/cases/", "/supervision/ranking/",
                    "/supervision/samples/mine"):
            assert c.get(url).status_code == 403, (role, url)
        r = c.get("/api/supervision/cases")
        assert r.status_code == 403 and r.json()["code"] == "forbidden"


def test_the_index_counts_the_months_hits_by_rule_and_runs_the_screening(home, auditor, client_for):
    make_hit(home, MARCH)
    make_hit(home, MARCH)
    make_hit(home, MARCH, rule="checkin_far")
    body = auditor.get("/supervision/?month=2025-03").content.decode()
    assert "床日超过当月天数" in body and "共 3 个" in body
    response = auditor.post("/supervision/", {"month": "2025-03"})
    job = Job.objects.get(kind=JobKind.SCREENING)
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    response = auditor.post("/supervision/", {"month": "2025-3x"}, follow=True)
    assert "结算月份应为年月" in response.content.decode() and Job.objects.filter(kind=JobKind.SCREENING).count() == 1
    # The bureau sees the page but cannot run a screening.
    assert client_for(home.users[Role.BUREAU_ADMIN]).post("/supervision/", {"month": "2025-03"}).status_code == 403


def test_hits_are_described_with_masked_ids_and_filtered(home, auditor):
    march = make_hit(home, MARCH)
    Hit.objects.create(region=home.region, month=FEB, rule="checkin_far", severity="medium", key="far-1",
                       person=home.other_person, institution=home.institution, records={"visit": [1]},
                       detail={"which": "签到", "distance_m": 820}, params={"distance_m": 300})
    body = auditor.get("/supervision/hits/").content.decode()
    assert "签到位置距居所820米，超过300米" in body and "本月记录床日33天" in body
    assert home.person.masked_id in body and home.person.id_number not in body
    assert f'<a href="/supervision/hits/{march.pk}/">' in body and f'aria-label="选择疑点{march.pk}"' in body
    body = auditor.get("/supervision/hits/?rule=checkin_far&month=2025-02&status=new").content.decode()
    assert "820米" in body and "床日33天" not in body
    items = auditor.get("/api/supervision/hits?rule=checkin_far").json()
    assert [i["description"] for i in items] == ["签到位置距居所820米，超过300米"]
    assert items[0]["person"]["masked_id"] == home.other_person.masked_id
    assert home.other_person.id_number not in str(items)
    r = auditor.get("/api/supervision/hits?month=2025-13")
    assert r.status_code == 422 and r.json()["field"] == "month"


def test_another_regions_hit_and_case_answer_404(world, home, auditor, people):
    away = world["away"]
    hit = make_hit(away, MARCH, region=away.region)
    case = cases.open_case(away.region.pk, [hit.pk], away.users[Role.AUDITOR])
    for url in (f"/supervision/hits/{hit.pk}/", f"/supervision/cases/{case.pk}/", f"/api/supervision/hits/{hit.pk}",
                f"/api/supervision/cases/{case.pk}"):
        r = auditor.get(url)
        assert r.status_code == 404 and away.person.name.encode() not in r.content, url
    r = auditor.post("/api/supervision/cases", {"hits": [hit.pk]}, content_type="application/json")
    # An id in the body outside one's scope is no different from one in the URL (tests/accounts/test_body_ids).
    assert r.status_code == 404 and Hit.objects.get(pk=hit.pk).case == case


def test_a_hit_page_shows_its_records_and_parameters_and_is_audited(home, auditor):
    hit = make_hit(home, MARCH)
    body = auditor.get(f"/supervision/hits/{hit.pk}/").content.decode()
    assert "机构入住" in body and "本规则无参数" in body and "当月天数" in body and "days_in_month" not in body
    assert AuditEvent.objects.filter(action=Action.VIEW_HEALTH, object_type="supervision.hit",
                                     object_id=str(hit.pk)).exists()


def test_rule_settings_change_on_the_page_and_over_the_api(home, auditor, client_for):
    r = auditor.post("/supervision/rules/", {"rule": "checkin_far", "enabled": "on", "severity": "high",
                                             "param_distance_m": "500", "valid_from": "2025-01-01",
                                             "reason": "城区定位偏差较大"}, follow=True)
    assert "已保存" in r.content.decode()
    assert rulebase.effective("xuzhou", date(2025, 3, 1))["checkin_far"].params == {"distance_m": 500}
    r = auditor.post("/api/supervision/rules/settings", {"rule": "checkin_far", "params": {"radius": 3},
                     "valid_from": "2025-01-01", "reason": "x"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "params"
    r = auditor.post("/api/supervision/rules/settings", {"rule": "checkin_far", "params": {},
                     "valid_from": "2025-02-31", "reason": "x"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "valid_from"
    r = auditor.post("/supervision/rules/", {"rule": "visit_short", "param_min_share": "abc",
                                             "valid_from": "2025-01-01", "reason": "x"}, follow=True)
    assert "须为数字" in r.content.decode()
    for bad in (["home_combined\x00"], "home_combined,\x1b[31m", ["a\tb"]):  # review finding: stored as typed
        r = auditor.post("/api/supervision/rules/settings", {"rule": "home_and_family_same_day",
                         "params": {"allowed_modes": bad}, "valid_from": "2025-01-01", "reason": "x"},
                         content_type="application/json")
        assert r.status_code == 422 and r.json()["field"] == "params.allowed_modes", bad
    assert RuleSetting.objects.count() == 1
    r = auditor.post("/api/supervision/rules/settings", {"rule": "sampling", "params": {"share": "0.05"},
                     "valid_from": "2025-01-01", "reason": "比例提高"}, content_type="application/json")
    assert r.status_code == 201
    rules = auditor.get("/api/supervision/rules?on=2025-03-01").json()
    assert rules["sampling_share"] == "0.05" and any(x["code"] == "checkin_far" and x["params"] == {"distance_m": 500}
                                                     for x in rules["rules"])
    assert client_for(home.users[Role.CLERK]).post("/supervision/rules/", {"rule": "checkin_far"}).status_code == 403


def test_a_case_over_the_api_from_opening_to_recovery(settled, people, client_for):
    auditor, second, clerk = (client_for(people[k]) for k in ("auditor", "second", "clerk"))
    hits = [make_hit(settled, FEB).pk, make_hit(settled, MARCH).pk]
    r = auditor.post("/api/supervision/cases", {"hits": hits}, content_type="application/json")
    assert r.status_code == 201
    case = r.json()
    assert case["number"] == "稽核320300-202502-0001" and case["hits"] == hits
    r = auditor.post(f"/api/supervision/cases/{case['id']}/assign", {"assigned_to": people["clerk"].pk},
                     content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "assigned_to"
    auditor.post(f"/api/supervision/cases/{case['id']}/assign", {"assigned_to": people["second"].pk},
                 content_type="application/json")
    url = f"/api/supervision/cases/{case['id']}/decision"
    r = auditor.post(url, {"decision": "confirm", "finding": "属实", "evidence": pdf()})
    assert r.status_code == 409 and r.json()["code"] == "not_allowed"
    r = second.post(url, {"decision": "confirm", "finding": "属实",
                          "evidence": SimpleUploadedFile("a.gif", b"GIF89a", "image/gif")})
    assert r.status_code == 422 and r.json()["field"] == "evidence"
    r = second.post(url, {"decision": "confirm", "finding": "x" * 2001, "evidence": pdf()})
    assert r.status_code == 422 and r.json()["field"] == "finding"
    assert Case.objects.get().status == CaseStatus.OPEN and not Hold.objects.exists()
    r = second.post(url, {"decision": "confirm", "finding": "床日与入住记录不符", "evidence": pdf()})
    assert r.status_code == 200 and r.json()["held_lines"] == [settled.march_line.pk]
    r = second.post(f"/api/supervision/cases/{case['id']}/sanctions", {"kind": "recovery", "reason": "x"},
                    content_type="application/json")
    assert r.status_code == 403  # auditors do not sanction
    r = clerk.post(f"/api/supervision/cases/{case['id']}/sanctions", {"kind": "fine", "reason": "违约", "amount": "-1"},
                   content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "amount"
    r = clerk.post(f"/api/supervision/cases/{case['id']}/sanctions", {"kind": "recovery", "reason": "虚报床日"},
                   content_type="application/json")
    assert r.status_code == 201 and r.json()["effects"]["recovered_lines"] == [settled.feb_line.pk]
    assert Line.objects.filter(kind=LineKind.RECOVERY).count() == 1
    detail = auditor.get(f"/api/supervision/cases/{case['id']}").json()
    assert detail["status"] == "confirmed" and [s["kind"] for s in detail["sanctions"]] == ["recovery"]
    assert [c["number"] for c in auditor.get("/api/supervision/cases?status=confirmed").json()] == [case["number"]]
    assert auditor.get("/api/supervision/cases?status=odd").status_code == 422


def test_cases_for_a_month_over_the_api(home, auditor, people):
    make_hit(home, MARCH)
    make_hit(home, MARCH, institution="other")
    r = auditor.post("/api/supervision/cases/from-month", {"month": "2025-03", "assigned_to": people["second"].pk},
                     content_type="application/json")
    assert r.status_code == 201 and len(r.json()) == 2
    r = auditor.post("/api/supervision/cases/from-month", {"month": "2025-03"}, content_type="application/json")
    assert r.status_code == 409


def test_a_case_on_the_pages_from_hits_to_a_sanction(settled, people, client_for):
    auditor, clerk = client_for(people["auditor"]), client_for(people["clerk"])
    hit = make_hit(settled, MARCH)
    r = auditor.post("/supervision/cases/open", {"hits": [hit.pk], "assigned_to": people["auditor"].pk})
    case = Case.objects.get()
    assert r["Location"] == f"/supervision/cases/{case.pk}/"
    body = auditor.get(r["Location"]).content.decode()
    assert "调查结论" in body and settled.person.masked_id in body and settled.person.id_number not in body
    r = auditor.post(f"/supervision/cases/{case.pk}/action", {"action": "confirm", "finding": "属实"}, follow=True)
    assert "查实须上传证据材料" in r.content.decode()
    auditor.post(f"/supervision/cases/{case.pk}/action", {"action": "confirm", "finding": "属实", "evidence": pdf()})
    case.refresh_from_db()
    assert case.status == CaseStatus.CONFIRMED and Hold.objects.get().line == settled.march_line
    evidence = auditor.get(f"/supervision/cases/{case.pk}/evidence")
    assert evidence.status_code == 200 and b"".join(evidence.streaming_content).startswith(b"%PDF")
    assert auditor.post(f"/supervision/cases/{case.pk}/action", {"action": "sanction"}).status_code == 403
    assert "作出处理" in clerk.get(f"/supervision/cases/{case.pk}/").content.decode()
    form = {"action": "sanction", "kind": "fine", "reason": "违约", "amount": "3000"}
    asked = clerk.post(f"/supervision/cases/{case.pk}/action", form).content.decode()
    assert "确认作出处理决定" in asked and "3,000.00 元" in asked and not Sanction.objects.exists()
    r = confirmed_post(clerk, f"/supervision/cases/{case.pk}/action", form, follow=True)
    assert "处理决定已执行" in r.content.decode() and Sanction.objects.get().amount == 3000
    assert "3000.00" in clerk.get("/supervision/ranking/").content.decode()
    assert clerk.post(f"/supervision/cases/{case.pk}/action", {"action": "nonsense"}).status_code == 404


@pytest.fixture
def drawn(home, people):
    inst, carer = visiting(home)
    home.person.phone, home.person.address = "13912345678", "徐州市鼓楼区中山北路1号"
    home.person.save()
    for d in range(5):
        visit(home, inst, carer, MARCH + timedelta(days=d), items=("SC06", "SC19"))
    rulebase.change_setting(home.region.pk, rulebase.SAMPLING, people["auditor"], enabled=True,
                            params={"share": "0.5"}, valid_from=date(2025, 1, 1), reason="试点")
    return home


def test_samples_over_the_api_from_draw_to_outcome(drawn, people, client_for):
    auditor, second = client_for(people["auditor"]), client_for(people["second"])
    r = auditor.post("/api/supervision/samples/draw", {"month": "2025-03"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["drawn"] == 3 and r.json()["share"] == "0.5000"
    again = auditor.post("/api/supervision/samples/draw", {"month": "2025-03"}, content_type="application/json")
    assert again.json()["drawn"] == 0 and Sample.objects.count() == 3
    ids = r.json()["samples"]
    r = auditor.post("/api/supervision/samples/assign", {"samples": ids, "assigned_to": people["second"].pk},
                     content_type="application/json")
    assert r.json() == {"assigned": 3}
    mine = second.get("/api/supervision/samples/mine").json()
    assert len(mine) == 3 and mine[0]["phone"] == "13912345678"
    assert mine[0]["person"]["masked_id"] == drawn.person.masked_id
    assert drawn.person.id_number not in str(mine) and auditor.get("/api/supervision/samples/mine").json() == []
    url = f"/api/supervision/samples/{ids[0]}/outcome"
    r = auditor.post(url, {"method": "call", "outcome": "confirmed"}, content_type="application/json")
    assert r.status_code == 409
    r = second.post(url, {"method": "call", "outcome": "confirmed", "note": "x" * 501}, content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "note"
    r = second.post(url, {"method": "call", "outcome": "not_confirmed", "note": "家属称未上门"},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["outcome"] == "not_confirmed"
    assert Hit.objects.filter(rule=sampling.SAMPLE_RULE).count() == 1
    assert len(auditor.get("/api/supervision/samples?month=2025-03").json()) == 3


def test_the_auditors_phone_page_lists_my_samples_and_records_a_home_check(drawn, people, client_for):
    sampling.draw(drawn.region.pk, MARCH, people["auditor"])
    sample = Sample.objects.order_by("id").first()
    sampling.assign([sample.pk], people["second"], people["auditor"], region=drawn.region.pk)
    second = client_for(people["second"])
    body = second.get("/supervision/samples/mine").content.decode()
    assert 'href="tel:13912345678"' in body and drawn.person.masked_id in body and "中山北路1号" in body
    assert drawn.person.id_number not in body and "陈静" in body
    assert "我的抽查任务" in body and "没有待核查的任务" not in body
    assert "没有待核查的任务" in client_for(people["auditor"]).get("/supervision/samples/mine").content.decode()
    url = f"/supervision/samples/{sample.pk}/record"
    r = second.post(url, {"method": "visit", "outcome": "confirmed"}, follow=True)
    assert "入户核查须获取手机定位" in r.content.decode()
    r = second.post(url, {"method": "visit", "outcome": "confirmed", "latitude": "34.26", "longitude": "117.19"},
                    follow=True)
    assert "已登记" in r.content.decode()
    sample.refresh_from_db()
    assert sample.outcome == SampleOutcome.CONFIRMED and sample.latitude is not None
    r = client_for(people["auditor"]).post(f"/supervision/samples/{sample.pk}/record",
                                           {"method": "call", "outcome": "confirmed"}, follow=True)
    assert "只有被分派的核查人员可以登记结果" in r.content.decode()


def test_the_samples_page_draws_and_assigns(drawn, auditor, people):
    r = auditor.post("/supervision/samples/draw", {"month": "2025-03"}, follow=True)
    assert "已抽取 3 次上门服务" in r.content.decode()
    r = auditor.post("/supervision/samples/assign", {"month": "2025-03", "assigned_to": "all"}, follow=True)
    assert "已分派 3 个抽查任务" in r.content.decode()
    body = auditor.get("/supervision/samples/?month=2025-03").content.decode()
    assert drawn.person.masked_id in body and drawn.person.id_number not in body
    r = auditor.post("/supervision/samples/draw", {"month": "2999-01"}, follow=True)
    assert "尚未开始" in r.content.decode()


def test_ranking_over_the_api(home, auditor):
    r = auditor.get("/api/supervision/ranking?start=2025-01-01&end=2025-12-31")
    assert r.status_code == 200 and r.json() == {"start": "2025-01-01", "end": "2025-12-31", "rows": []}
    r = auditor.get("/api/supervision/ranking?start=2025-13-01")
    assert r.status_code == 422 and r.json()["field"] == "start"


def test_another_regions_sample_answers_404_and_stays_unchecked(world, home, people, client_for):
    away = world["away"]
    inst, carer = visiting(away)
    visit(away, inst, carer, MARCH)
    auditor = away.users[Role.AUDITOR]
    rulebase.change_setting(away.region.pk, rulebase.SAMPLING, auditor, enabled=True, params={"share": "1"},
                            valid_from=date(2025, 1, 1), reason="全部核查")
    [sample] = sampling.draw(away.region.pk, MARCH, auditor)
    sampling.assign([sample.pk], auditor, auditor, region=away.region.pk)
    mine = client_for(people["auditor"])
    assert mine.post(f"/supervision/samples/{sample.pk}/record", {"method": "call", "outcome": "confirmed"}
                     ).status_code == 404
    r = mine.post(f"/api/supervision/samples/{sample.pk}/outcome", {"method": "call", "outcome": "confirmed"},
                  content_type="application/json")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert away.person.name not in mine.get("/supervision/samples/?month=2025-03").content.decode()
    r = mine.post("/api/supervision/samples/assign", {"samples": [sample.pk], "assigned_to": people["auditor"].pk},
                  content_type="application/json")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    sample.refresh_from_db()
    assert sample.outcome == SampleOutcome.PENDING and sample.assigned_to == auditor


def test_the_samples_list_leaves_out_the_contact_details_that_only_the_checker_needs(drawn, people, client_for):
    sampling.draw(drawn.region.pk, MARCH, people["auditor"])
    rows = client_for(drawn.users[Role.SUPERVISOR]).get("/api/supervision/samples?month=2025-03").json()
    assert rows and all(r["phone"] == "" and r["address"] == "" for r in rows)


def test_the_rule_base_page_speaks_of_parameters_by_name_and_takes_modes_as_choices(home, auditor):
    """The finding: rule codes and parameter keys on the supervision pages (`distance_m = 300`)."""
    page = auditor.get("/supervision/rules/").content.decode()
    shown = re.sub(r"<form.*?</form>|<[^>]*>", "", page, flags=re.S)  # what is read, not forms or tags
    for code in ("checkin_far", "distance_m", "min_share", "allowed_modes", "home_combined"):
        assert code not in shown, code
    assert "距居所距离上限（米）：300" in page and "允许并用的护理方式：上门照护+亲情照护" in page
    r = auditor.post("/supervision/rules/", {"rule": "home_and_family_same_day", "enabled": "on",
                                             "param_allowed_modes": ["home_combined", "home_visit"],
                                             "valid_from": "2025-01-01", "reason": "两种方式均可并用"}, follow=True)
    assert "已保存" in r.content.decode()
    assert rulebase.effective("xuzhou", date(2025, 3, 1))["home_and_family_same_day"].params == {
        "allowed_modes": ["home_combined", "home_visit"]}
    history = r.content.decode().split("设置记录")[1]
    assert "同日既有上门服务又有亲情照护" in history and "上门照护+亲情照护、上门护理" in history
