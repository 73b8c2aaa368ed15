"""The portal's pages and API for the insured: each action's happy path and its refusals; other
accounts refused, another person's rows absent; views of health data on the trail."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ltci.accounts.roles import Role
from ltci.assessment.models import Application, Material, Objection
from ltci.audit.models import Action, AuditEvent
from ltci.care.models import CarePlan, VisitRating
from ltci.providers.models import InstitutionReview
from ltci.settlement.models import Claim, Line
from tests.assessment.conftest import PDF, paid_up

pytestmark = pytest.mark.django_db


def _in_publicity(person, clerk, *, until):
    return Application.objects.create(
        region_id=person.region_id, person=person, number=f"P{person.pk}-{until:%m%d}", channel="counter",
        applicant_name="王小明", applicant_relation="child", applicant_phone="13800000000",
        disabled_since=date(2024, 1, 1), self_assessment_letter="G", pledge_signed=True, state="in_publicity",
        decided_grade="severe_2", submitted_on=until - timedelta(days=20), intake_due=until - timedelta(days=15),
        publicity_from=until - timedelta(days=6), publicity_until=until, created_by=clerk)


def _line(person, institution, month: date, fund="840.00", personal="0.00"):
    claim, _ = Claim.objects.get_or_create(region_id=person.region_id, month=month, institution=institution,
                                           defaults={"payee_kind": "institution", "number": f"JS{month:%Y%m}-1"})
    return Line.objects.create(
        claim=claim, person=person, service_month=month, kind="regular", payee="institution", mode="home_visit",
        grade="severe_1", part_from=month, part_to=month + timedelta(days=29), eligible_days=30,
        units={"visits": 12}, cost=Decimal(fund) + Decimal(personal), fund=Decimal(fund), personal=Decimal(personal),
        explanation=[{"what": "上门护理 12 次，按月度限额 <b>840</b> 元支付", "clause": "xuzhou 五(三)2",
                      "fund": fund, "personal": personal}],
        policy_version="xuzhou-2022")


# Home -------------------------------------------------------------------------------------------

def test_home_sums_up_what_there_is_to_do(portal, client_for):
    client = client_for(portal["insured"])
    body = client.get("/my/").content.decode()
    person = portal["person"]
    assert person.masked_id in body and person.id_number not in body
    assert "重度失能Ⅰ级" in body  # the certificate
    assert f"/my/plans/{portal['draft'].pk}/" in body  # the plan to confirm
    assert "待评价的上门服务" in body and "去评价" in body
    assert AuditEvent.objects.filter(action=Action.VIEW_HEALTH, object_id=str(person.pk),
                                     detail__what="portal_home").exists()
    data = client.get("/api/my").json()
    assert data["id_number_masked"] == person.masked_id and person.id_number not in str(data)
    assert [p["id"] for p in data["plans_to_confirm"]] == [portal["draft"].pk]
    assert {v["id"] for v in data["visits_to_rate"]} == {v.pk for v in portal["visits"]}


@pytest.mark.parametrize("role", [r for r in Role if r != Role.INSURED])
def test_the_portal_is_for_insured_accounts_only(portal, client_for, role):
    client = client_for(portal["home"].users[role])
    assert client.get("/my/").status_code == 403
    response = client.get("/api/my")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert client.post(f"/api/my/visits/{portal['visits'][0].pk}/rating", {"score": 5},
                       content_type="application/json").status_code == 403


# Applying ---------------------------------------------------------------------------------------

FORM = {"applicant_name": "王小明", "applicant_relation": "child", "applicant_phone": "13800000000",
        "disabled_since": "2025-01-01", "pledge_signed": "on",
        **{f"sa_{a}": "dependent" for a in ("eating", "bowel_bladder", "bathing", "dressing", "toilet", "transfer")}}


def test_apply_with_materials_on_the_page(portal, client_for):
    paid_up(portal["person"])
    client = client_for(portal["insured"])
    response = client.post("/my/apply/", {**FORM, "file_discharge_summary": SimpleUploadedFile(
        "出院小结.pdf", PDF, "application/pdf")})
    app = Application.objects.exclude(pk=portal["home"].application.pk).get(person=portal["person"])
    assert response.status_code == 302 and response["Location"] == f"/my/applications/{app.pk}/"
    assert app.channel == "online" and app.created_by == portal["insured"]
    assert list(app.materials.values_list("kind", "content_type")) == [("discharge_summary", "application/pdf")]
    body = client.get(response["Location"]).content.decode()
    assert "已提交，待受理" in body and "出院小结.pdf" in body


@pytest.mark.parametrize("upload, message", [
    (SimpleUploadedFile("scan.exe", b"MZ\x90\x00", "application/pdf"), "只接受"),
    (SimpleUploadedFile("scan.pdf", b"MZ\x90\x00not a pdf", "application/pdf"), "不符"),
    (SimpleUploadedFile("scan.pdf", b"%PDF-1.4" + b"0" * (10 * 1024 * 1024), "application/pdf"), "超过"),
])
def test_a_bad_upload_is_refused_and_nothing_is_saved(portal, client_for, upload, message):
    paid_up(portal["person"])
    client = client_for(portal["insured"])
    before = Application.objects.count()
    response = client.post("/my/apply/", {**FORM, "file_discharge_summary": upload})
    assert response.status_code == 422 and message in response.content.decode()
    page = response.content.decode()
    assert re.search(r'<span class="field-error" role="alert">[^<]*' + message, page)  # beside the materials
    assert "请重新选择材料文件" in page and "materials" not in page.split("<form")[0]
    assert 'value="dependent" checked' in response.content.decode()  # the form comes back filled in
    assert Application.objects.count() == before and not Material.objects.exists()
    upload.seek(0)
    response = client.post("/api/my/applications", {
        **{k: v for k, v in FORM.items() if not k.startswith("sa_")}, "pledge_signed": "true",
        "self_assessment": '{"eating": "dependent", "bowel_bladder": "dependent", "bathing": "dependent", '
                           '"dressing": "dependent", "toilet": "dependent", "transfer": "dependent"}',
        "discharge_summary": upload})
    assert response.status_code == 422 and response.json()["field"] == "materials"
    assert Application.objects.count() == before and not Material.objects.exists()


def test_apply_over_the_api(portal, client_for):
    paid_up(portal["person"])
    client = client_for(portal["insured"])
    response = client.post("/api/my/applications", {
        "applicant_name": "王小明", "applicant_relation": "child", "applicant_phone": "13800000000",
        "disabled_since": "2025-01-01", "pledge_signed": "true",
        "self_assessment": '{"eating": "dependent", "bowel_bladder": "dependent", "bathing": "dependent", '
                           '"dressing": "dependent", "toilet": "dependent", "transfer": "dependent"}',
        "discharge_summary": SimpleUploadedFile("d.pdf", PDF, "application/pdf")})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == "submitted" and data["materials"][0]["kind"] == "discharge_summary"
    assert [s["label"] for s in data["steps"]] == ["提交申请"]


# Following the application and objecting ------------------------------------------------------

def test_another_persons_application_is_not_there(portal, client_for):
    client = client_for(portal["insured"])
    others = [portal["home"].other_application.pk]
    for pk in others:
        assert client.get(f"/my/applications/{pk}/").status_code == 404
        assert client.get(f"/api/my/applications/{pk}").status_code == 404
        assert client.post(f"/api/my/applications/{pk}/objection", {"reason": "不服"},
                           content_type="application/json").status_code == 404
    assert [a["id"] for a in client.get("/api/my/applications").json()] == [portal["home"].application.pk]
    assert AuditEvent.objects.filter(action=Action.DENIED, object_id=str(others[0])).exists()


def test_an_objection_during_publicity(portal, client_for):
    today = portal["today"]
    app = _in_publicity(portal["person"], portal["clerk"], until=today + timedelta(days=2))
    client = client_for(portal["insured"])
    body = client.get(f"/my/applications/{app.pk}/").content.decode()
    assert "提出异议" in body and "重度失能Ⅱ级" in body
    assert AuditEvent.objects.filter(action=Action.VIEW_HEALTH, object_id=str(app.pk)).exists()
    response = client.post(f"/my/applications/{app.pk}/objection", {"reason": "<script>alert(1)</script>等级偏低"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.state == "in_dispute" and Objection.objects.get().filed_by == portal["insured"]
    body = client.get(f"/my/applications/{app.pk}/").content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;等级偏低" in body


def test_an_objection_after_publicity_is_refused(portal, client_for):
    app = _in_publicity(portal["person"], portal["clerk"], until=portal["today"] - timedelta(days=1))
    client = client_for(portal["insured"])
    assert "提交异议" not in client.get(f"/my/applications/{app.pk}/").content.decode()
    response = client.post(f"/api/my/applications/{app.pk}/objection", {"reason": "等级偏低"},
                           content_type="application/json")
    assert response.status_code == 409 and "公示期已于" in response.json()["message"]
    response = client.post(f"/my/applications/{app.pk}/objection", {"reason": "等级偏低"}, follow=True)
    assert "公示期已于" in response.content.decode()
    app.refresh_from_db()
    assert app.state == "in_publicity" and not Objection.objects.exists()


def test_an_objection_needs_a_reason_of_at_most_500_characters(portal, client_for):
    app = _in_publicity(portal["person"], portal["clerk"], until=portal["today"] + timedelta(days=2))
    client = client_for(portal["insured"])
    for reason in ("", "异" * 501):
        response = client.post(f"/api/my/applications/{app.pk}/objection", {"reason": reason},
                               content_type="application/json")
        assert response.status_code == 422 and response.json()["field"] == "reason"
    assert not Objection.objects.exists()


# Care plans -------------------------------------------------------------------------------------

def test_confirm_a_plan_on_the_page(portal, client_for):
    client = client_for(portal["insured"])
    draft = portal["draft"]
    body = client.get(f"/my/plans/{draft.pk}/").content.decode()
    assert "确认护理计划" in body and "沐浴 × 每月 10 次" in body
    assert client.post(f"/my/plans/{draft.pk}/confirm").status_code == 302
    draft.refresh_from_db()
    assert draft.status == "confirmed" and draft.confirmed_by == portal["insured"]
    response = client.post(f"/api/my/care-plans/{draft.pk}/confirm")  # a second time
    assert response.status_code == 422 and response.json()["field"] == "status"


def test_another_persons_plan_is_not_there(portal, client_for):
    theirs = CarePlan.objects.filter(person=portal["home"].other_person).get()
    client = client_for(portal["insured"])
    assert client.get(f"/my/plans/{theirs.pk}/").status_code == 404
    assert client.post(f"/my/plans/{theirs.pk}/confirm").status_code == 404
    assert client.post(f"/api/my/care-plans/{theirs.pk}/confirm").status_code == 404
    assert [p["id"] for p in client.get("/api/my/care-plans").json()] == [
        portal["draft"].pk, CarePlan.objects.get(person=portal["person"], status="confirmed").pk]


# Visits and ratings -----------------------------------------------------------------------------

def test_rate_a_visit_with_htmx_and_the_api(portal, client_for):
    client = client_for(portal["insured"])
    first, second = portal["visits"]
    body = client.get("/my/care/").content.decode()
    assert f'id="visit-{first.pk}"' in body and "提交评价" in body
    response = client.post(f"/my/visits/{first.pk}/rating", {"score": "5", "comment": "<b>很好</b>"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    part = response.content.decode()
    assert "感谢您的评价" in part and "★★★★★" in part and "&lt;b&gt;很好&lt;/b&gt;" in part and "<b>很好" not in part
    again = client.post(f"/my/visits/{first.pk}/rating", {"score": "1"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 409 and "只能评价一次" in again.content.decode()
    response = client.post(f"/api/my/visits/{second.pk}/rating", {"score": 4, "comment": "准时"},
                           content_type="application/json")
    assert response.status_code == 201 and response.json()["score"] == 4
    response = client.post(f"/api/my/visits/{second.pk}/rating", {"score": 1}, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "refused"
    assert sorted(VisitRating.objects.values_list("visit_id", "score")) == sorted([(first.pk, 5), (second.pk, 4)])
    rows = {v["id"]: v for v in client.get("/api/my/visits").json()}
    assert rows[first.pk]["rating"]["score"] == 5 and rows[first.pk]["rateable"] is False


def test_rating_refusals_change_nothing(portal, client_for):
    client = client_for(portal["insured"])
    visit = portal["visits"][0]
    theirs = portal["other_visit"]
    assert client.post(f"/my/visits/{theirs.pk}/rating", {"score": "5"}).status_code == 404
    assert client.post(f"/api/my/visits/{theirs.pk}/rating", {"score": 5},
                       content_type="application/json").status_code == 404
    response = client.post(f"/api/my/visits/{visit.pk}/rating", {"score": 5, "comment": "好" * 201},
                           content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "comment"
    response = client.post(f"/api/my/visits/{visit.pk}/rating", {"score": 9}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "score"
    response = client.post(f"/my/visits/{visit.pk}/rating", {"score": "5", "comment": "好" * 201},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "不能超过200个字" in response.content.decode()
    assert not VisitRating.objects.exists()


def test_the_carer_sees_the_rating_of_their_visit(portal, client_for):
    from ltci.care import ratings

    ratings.rate_visit(portal["visits"][0], portal["insured"], score=4, comment="<i>手法轻柔</i>")
    body = client_for(portal["carer_user"]).get("/care/visits/").content.decode()
    assert "★★★★☆" in body and "&lt;i&gt;手法轻柔&lt;/i&gt;" in body


def test_review_the_institution_once_a_month(portal, client_for):
    client = client_for(portal["insured"])
    institution = portal["institution"]
    assert "评价机构" in client.get("/my/care/").content.decode()
    response = client.post(f"/api/my/institutions/{institution.pk}/reviews", {"score": 5, "comment": "满意"},
                           content_type="application/json")
    assert response.status_code == 201
    response = client.post(f"/api/my/institutions/{institution.pk}/reviews", {"score": 1},
                           content_type="application/json")
    assert response.status_code == 409 and "本月已评价" in response.json()["message"]
    assert client.post(f"/my/institutions/{institution.pk}/review", {"score": "1"}).status_code == 302
    assert list(InstitutionReview.objects.values_list("score", flat=True)) == [5]
    assert "本月已评价：5 星" in client.get("/my/care/").content.decode()
    other = portal["home"].other_institution  # never served the person
    assert client.post(f"/my/institutions/{other.pk}/review", {"score": "5"}).status_code == 404
    assert client.post(f"/api/my/institutions/{other.pk}/reviews", {"score": 5},
                       content_type="application/json").status_code == 404


# The month's benefit ----------------------------------------------------------------------------

def test_the_months_benefit_with_its_explanation(portal, client_for):
    month = (portal["today"].replace(day=1) - timedelta(days=1)).replace(day=1)
    _line(portal["person"], portal["institution"], month)
    _line(portal["home"].other_person, portal["institution"], month, fund="999.99")
    client = client_for(portal["insured"])
    assert "840.00" in client.get("/my/").content.decode()
    body = client.get("/my/benefits/").content.decode()
    assert "840.00" in body and "999.99" not in body
    assert "按月度限额 &lt;b&gt;840&lt;/b&gt; 元支付（徐州市 五(三)2）" in body
    assert AuditEvent.objects.filter(action=Action.VIEW_HEALTH, detail__what="benefit_statement",
                                     detail__month=f"{month:%Y-%m}").exists()
    data = client.get(f"/api/my/benefits?month={month:%Y-%m}").json()
    assert data["fund"] == "840.00" and data["lines"][0]["explanation"][0]["clause"] == "xuzhou 五(三)2"
    response = client.get("/api/my/benefits?month=2025-13")
    assert response.status_code == 422 and response.json()["field"] == "month"
    assert client.get("/my/benefits/?month=abc").status_code == 422
    assert client.get("/api/my/benefits?month=2020-01").json()["lines"] == []


# Bed-days ---------------------------------------------------------------------------------------

def test_bed_days_count_as_settlement_counts_them(portal, client_for):
    from ltci.care.models import Stay
    from ltci.portal.services import bed_days

    def stay(admitted, discharged=None):
        return Stay(admitted_on=admitted, discharged_on=discharged)

    march, end, on = date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 20)
    assert bed_days(stay(date(2026, 2, 25)), march, end, on) == 20  # to the day it is asked
    assert bed_days(stay(date(2026, 3, 5), date(2026, 3, 10)), march, end, on) == 5  # not the discharge day
    assert bed_days(stay(date(2026, 3, 12), date(2026, 3, 12)), march, end, on) == 1  # a same-day stay
    assert bed_days(stay(date(2026, 2, 20), date(2026, 3, 1)), march, end, on) == 0
    assert bed_days(stay(date(2026, 3, 25)), march, end, on) == 0  # not yet

    first = portal["today"].replace(day=1)
    Stay.objects.create(region_id=portal["person"].region_id, person=portal["person"], institution=portal["institution"],
                        bed="201", admitted_on=first, entered_by=portal["clerk"])
    Stay.objects.create(region_id=portal["person"].region_id, person=portal["home"].other_person,
                        institution=portal["institution"], bed="202", admitted_on=first, entered_by=portal["clerk"])
    client = client_for(portal["insured"])
    rows = client.get("/api/my/stays").json()
    assert [(r["bed"], r["bed_days_this_month"]) for r in rows] == [("201", portal["today"].day)]
    assert f"本月 {portal['today'].day} 个床日" in client.get("/my/care/").content.decode()


# Found in review ---------------------------------------------------------------------------------

def test_the_list_of_applications_is_a_view_of_health_data(portal, client_for):
    """Each application's state, decided grade and publicity: /api/my/applications is on the trail."""
    client = client_for(portal["insured"])
    assert client.get("/api/my/applications").json()
    assert AuditEvent.objects.filter(action=Action.VIEW_HEALTH, object_id=str(portal["person"].pk),
                                     detail__what="applications").exists()


@pytest.mark.parametrize("answers", ['{"eating": ["dependent"]}', '{"eating": {"a": 1}}'])
def test_a_self_assessment_answer_that_is_not_text_is_refused_not_a_crash(portal, client_for, answers):
    paid_up(portal["person"])
    before = Application.objects.count()
    response = client_for(portal["insured"]).post("/api/my/applications", {
        **{k: v for k, v in FORM.items() if not k.startswith("sa_")}, "pledge_signed": "true",
        "self_assessment": answers, "discharge_summary": SimpleUploadedFile("d.pdf", PDF, "application/pdf")})
    assert response.status_code == 422 and response.json()["field"] == "self_assessment"
    assert Application.objects.count() == before


def test_the_applicant_does_not_learn_who_is_drawn_to_assess(portal, client_for):
    """The assign step's note names the two evaluators: the applicant sees the step, not the names
    (an applicant who knows them before the visit could approach them)."""
    from ltci.assessment import services as assessment
    from tests.assessment.conftest import make_pool

    pool = make_pool(portal["home"].region)
    app = _in_publicity(portal["person"], portal["clerk"], until=portal["today"] + timedelta(days=9))
    Application.objects.filter(pk=app.pk).update(state="accepted", decided_grade="", publicity_from=None,
                                                  publicity_until=None)
    app.refresh_from_db()
    task = assessment.assign(app, portal["clerk"])
    names = [e.user.get_full_name() for e in (task.first, task.second)]
    assert all(names) and all(e in pool.experts + pool.assessors for e in (task.first, task.second))
    client = client_for(portal["insured"])
    body = client.get(f"/my/applications/{app.pk}/").content.decode()
    assert "待现场评估" in body and not any(n in body for n in names)
    data = client.get(f"/api/my/applications/{app.pk}").json()
    assert data["steps"][-1]["state"] == "assigned" and not any(n in str(data) for n in names)


def test_the_number_of_files_of_one_application_is_limited(portal, client_for):
    """Each file is checked for kind and size, and one form does not store more than ten."""
    paid_up(portal["person"])
    client = client_for(portal["insured"])
    before = Application.objects.count()
    files = [SimpleUploadedFile(f"d{n}.pdf", PDF, "application/pdf") for n in range(11)]
    response = client.post("/my/apply/", {**FORM, "file_discharge_summary": files})
    assert response.status_code == 422 and "最多上传10个文件" in response.content.decode()
    assert Application.objects.count() == before and not Material.objects.exists()
