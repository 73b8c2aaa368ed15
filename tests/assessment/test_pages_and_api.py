"""Each role's pages and endpoints: the insured apply, the clerk handles, the assessor records on a
phone form, the experts decide blind; each sees only their own."""

import json
from datetime import date, timedelta

import pytest

from ltci.accounts.roles import Role
from ltci.assessment import services
from ltci.assessment.flow import State
from ltci.assessment.models import Application, Review
from ltci.audit.models import AuditEvent

from .conftest import ALL_DEPENDENT, SEVERE_1, make_pool, pdf, png, walk


def apply_form(**overrides):
    data = {"applicant_name": "王小明", "applicant_relation": "child", "applicant_phone": "13800000000",
            "disabled_since": "2025-01-01", "pledge_signed": "on", "file_discharge_summary": pdf(),
            **{f"sa_{k}": v for k, v in ALL_DEPENDENT.items()}}
    data.update(overrides)
    return data


def test_the_insured_applies_online_and_follows_the_application(world, pool, applicant, client_for):
    client = client_for(world["home"].users[Role.INSURED])
    response = client.post("/assessment/apply/", apply_form())
    app = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/assessment/{app.pk}/"
    assert app.channel == "online" and app.person == applicant and app.materials.count() == 1
    page = client.get(f"/assessment/{app.pk}/").content.decode()
    assert app.number in page and "已提交，待受理" in page and "撤回申请" in page and ">受理<" not in page


def test_a_failing_pre_check_on_the_page_lists_the_reasons_and_saves_nothing(world, pool, applicant, client_for):
    client = client_for(world["home"].users[Role.INSURED])
    response = client.post("/assessment/apply/", apply_form(
        disabled_since=(date.today() - timedelta(days=20)).isoformat(), pledge_signed=""))
    assert response.status_code == 422 and "须签署诚信承诺书" in response.content.decode()
    response = client.post("/assessment/apply/", apply_form(
        disabled_since=(date.today() - timedelta(days=20)).isoformat()))
    page = response.content.decode()
    assert response.status_code == 422 and "预审未通过" in page and "失能状态须持续满6个月" in page
    assert not Application.objects.exists()


def test_a_clerk_takes_an_application_at_the_counter_and_handles_it_on_the_page(world, pool, applicant, client_for):
    client = client_for(world["home"].users[Role.CLERK])
    response = client.post("/assessment/apply/", apply_form(id_number=applicant.id_number, acceptance_point="彭城社区卫生服务中心"))
    app = Application.objects.get()
    assert response.status_code == 302 and app.channel == "counter" and app.acceptance_point
    client.post(f"/assessment/{app.pk}/accept")
    client.post(f"/assessment/{app.pk}/assign")
    app.refresh_from_db()
    assert app.state == State.ASSIGNED
    response = client.post(f"/assessment/{app.pk}/certify", follow=True)
    assert "不能公示期满，出具结论" in response.content.decode()  # refused with the reason, nothing changed
    assert Application.objects.get(pk=app.pk).state == State.ASSIGNED


def test_the_assessor_records_the_scale_on_the_phone_form_and_sees_only_own_tasks(world, pool, applicant, client_for):
    app = walk(world, pool, applicant, to="assigned")
    task = app.site_assessments.get()
    mine = client_for(task.first.user)
    outsider = next(e for e in pool.assessors + pool.experts if e.pk not in (task.first_id, task.second_id))
    assert client_for(outsider.user).get(f"/assessment/site/{task.pk}/").status_code == 404
    assert client_for(task.first.user).get(f"/assessment/{app.pk}/").status_code == 403  # no reach to applications
    page = mine.get("/assessment/").content.decode()
    assert app.number in page and "开始评估" in page
    form = mine.get(f"/assessment/site/{task.pk}/").content.decode()
    assert "较大或完全依赖，或有留置营养管" in form and 'capture="environment"' in form
    data = {f"{ind}.{item}": str(score) for ind, items in SEVERE_1.items() for item, score in items.items()}
    data.update(guardian="王小明", latitude="34.261", longitude="117.188", photo=png())
    response = mine.post(f"/assessment/site/{task.pk}/", data)
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.state == State.IN_REVIEW and app.site_assessments.get().proposed_grade == "severe_1"


def test_the_review_page_is_blind(world, pool, applicant, client_for):
    app = walk(world, pool, applicant, to="in_review")
    first, second = app.reviews.select_related("expert__user")
    services.decide(first, first.expert.user, grade="severe_2", reason="第一位专家的理由")
    task = app.site_assessments.get()
    client = client_for(second.expert.user)
    page = client.get(f"/assessment/reviews/{second.pk}/").content.decode()
    assert "系统初评" in page and "重度失能Ⅰ级" in page and "日常生活活动能力" in page
    for hidden in (task.first.user.get_full_name(), task.second.user.get_full_name(), "第一位专家的理由",
                   applicant.name, applicant.id_number):
        assert hidden not in page
    assert client_for(first.expert.user).get(f"/assessment/reviews/{second.pk}/").status_code == 404
    response = client.post(f"/assessment/reviews/{second.pk}/", {"grade": "severe_2"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.state == State.IN_PUBLICITY and app.decided_grade == "severe_2"


def test_publicity_masks_names_and_the_insured_objects_on_the_page(world, pool, applicant, client_for):
    app = walk(world, pool, applicant, to="in_publicity")
    client = client_for(world["home"].users[Role.INSURED])
    page = client.get("/assessment/publicity/").content.decode()
    assert "王*英" in page and applicant.name not in page and applicant.id_number not in page
    client.post(f"/assessment/{app.pk}/object", {"note": "等级偏低，请复核"})
    app.refresh_from_db()
    assert app.state == State.IN_DISPUTE and app.objections.get().reason == "等级偏低，请复核"


def test_the_certificate_pdf_is_served_and_its_view_audited(world, pool, applicant, client_for):
    app = walk(world, pool, applicant)
    client = client_for(world["home"].users[Role.INSURED])
    response = client.get(f"/assessment/certificates/{app.certificate.pk}.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="view_health", object_id=str(app.certificate.pk)).exists()
    other = client_for(world["away"].users[Role.INSURED])
    assert other.get(f"/assessment/certificates/{app.certificate.pk}.pdf").status_code == 404


def test_materials_are_downloaded_only_by_those_who_may_see_the_case(world, pool, applicant, client_for):
    app = walk(world, pool, applicant, to="in_review")
    material = app.materials.get()
    review = app.reviews.select_related("expert__user").first()
    assert client_for(review.expert.user).get(f"/assessment/materials/{material.pk}").status_code == 200
    assert client_for(world["home"].users[Role.CLERK]).get(f"/assessment/materials/{material.pk}").status_code == 200
    idle = make_pool(world["home"].region, assessors=0, experts=1, committee=0, prefix="idle").experts[0]
    assert client_for(idle.user).get(f"/assessment/materials/{material.pk}").status_code == 404
    assert client_for(world["home"].users[Role.CARER]).get(f"/assessment/materials/{material.pk}").status_code == 404


# The API ----------------------------------------------------------------------------------------

def test_the_api_walks_an_application_to_a_certificate(world, pool, applicant, client_for):
    clerk = client_for(world["home"].users[Role.CLERK])
    response = clerk.post("/api/applications", {
        "person_id": applicant.pk, "applicant_name": "王小明", "applicant_relation": "child",
        "applicant_phone": "13800000000", "disabled_since": "2025-01-01", "pledge_signed": "true",
        "self_assessment": json.dumps(ALL_DEPENDENT), "discharge_summary": pdf()})
    assert response.status_code == 201, response.content
    app_id = response.json()["id"]
    assert response.json()["allowed_actions"] == ["accept", "refuse", "withdraw"]
    assert clerk.post(f"/api/applications/{app_id}/accept").json()["state"] == "accepted"
    assert clerk.post(f"/api/applications/{app_id}/assign").json()["state"] == "assigned"
    refused = clerk.post(f"/api/applications/{app_id}/assign")
    assert refused.status_code == 409 and refused.json()["code"] == "not_allowed"
    task = Application.objects.get(pk=app_id).site_assessments.get()
    assessor = client_for(task.second.user)
    assert [t["id"] for t in assessor.get("/api/assessment/tasks").json()] == [task.pk]
    response = assessor.post(f"/api/assessment/tasks/{task.pk}/visit", {
        "scores": json.dumps(SEVERE_1), "guardian": "王小明", "latitude": "34.26", "longitude": "117.18",
        "photo": png()})
    assert response.status_code == 201 and response.json()["proposed_grade"] == "severe_1"
    for review in Review.objects.filter(application_id=app_id).select_related("expert__user"):
        expert = client_for(review.expert.user)
        listed = expert.get("/api/assessment/reviews").json()
        assert [r["id"] for r in listed] == [review.pk]
        assert "name" not in json.dumps(listed[0]["case"]["site"] or {})
        assert expert.post(f"/api/assessment/reviews/{review.pk}/decision", {"grade": "severe_1"},
                           content_type="application/json").status_code == 200
    detail = clerk.get(f"/api/applications/{app_id}").json()
    assert detail["state"] == "in_publicity" and detail["decided_grade"] == "severe_1"
    too_early = clerk.post(f"/api/applications/{app_id}/certify")
    assert too_early.status_code == 409 and "公示期至" in too_early.json()["message"]
    assert client_for(world["home"].users[Role.CLERK]).get("/api/assessment/publicity").json()[0]["name"] == "王*英"


def test_a_failing_pre_check_answers_422_with_dated_reasons(world, pool, applicant, client_for):
    insured = client_for(world["home"].users[Role.INSURED])
    response = insured.post("/api/applications", {
        "applicant_name": "王小明", "applicant_relation": "self", "applicant_phone": "13800000000",
        "disabled_since": (date.today() - timedelta(days=10)).isoformat(), "pledge_signed": "true",
        "self_assessment": json.dumps(ALL_DEPENDENT), "outpatient_record": pdf()})
    body = response.json()
    assert response.status_code == 422 and body["code"] == "precheck_failed"
    assert body["reasons"][0]["code"] == "disability_under_6_months" and body["reasons"][0]["until"]
    assert not Application.objects.exists()


def test_the_insured_cannot_apply_for_someone_else(world, pool, applicant, client_for):
    insured = client_for(world["home"].users[Role.INSURED])
    response = insured.post("/api/applications", {
        "person_id": world["home"].other_person.pk, "applicant_name": "王小明", "applicant_relation": "self",
        "applicant_phone": "13800000000", "disabled_since": "2025-01-01", "pledge_signed": "true",
        "self_assessment": json.dumps(ALL_DEPENDENT), "outpatient_record": pdf()})
    # Nobody but oneself exists for the insured: another person's id answers 404 (tests/accounts/test_body_ids).
    assert response.status_code == 404 and not Application.objects.exists()


@pytest.mark.parametrize("role", [Role.CARER, Role.INSTITUTION_ADMIN, Role.ASSESSOR])
def test_roles_outside_the_flow_see_no_applications(world, pool, applicant, client_for, role):
    walk(world, pool, applicant, to="submitted")
    client = client_for(world["home"].users[role])
    assert client.get("/api/applications").status_code == 403


def test_the_other_regions_clerk_never_sees_the_application(world, pool, applicant, client_for):
    app = walk(world, pool, applicant, to="submitted")
    away = client_for(world["away"].users[Role.CLERK])
    assert away.get("/api/applications").json() == []
    assert away.get(f"/api/applications/{app.pk}").status_code == 404
    assert away.post(f"/api/applications/{app.pk}/accept").status_code == 404
    assert Application.objects.get(pk=app.pk).state == State.SUBMITTED


def test_the_api_list_reads_each_applications_actions_without_a_query_a_row(world, pool, applicant, client_for):
    """A city lists thousands: the buttons a row offers come from the list's prefetch, the same as the
    detail's, and the queries do not grow with the rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import make_person

    from .conftest import paid_up

    clerk = client_for(world["home"].users[Role.CLERK])
    walk(world, pool, applicant)  # certified: the objection's checks read reviews and the certificate
    with CaptureQueriesContext(connection) as one:
        listed = clerk.get("/api/applications").json()
    for seq in (7, 8):
        other = make_person(world["home"].region, seq)
        paid_up(other)
        walk(world, pool, other, to="in_review" if seq == 7 else "certified")
    with CaptureQueriesContext(connection) as three:
        listed = clerk.get("/api/applications").json()
    def reads(ctx):  # the session's renewal writes once in a while: not the list's
        return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]

    assert len(listed) == 3 and len(reads(three)) == len(reads(one)) == 5
    for row in listed:
        assert row["allowed_actions"] == clerk.get(f"/api/applications/{row['id']}").json()["allowed_actions"]
    assert {tuple(r["allowed_actions"]) for r in listed} != {()}


def test_the_clerks_list_shows_each_applications_state_and_what_it_waits_for(world, pool, applicant, client_for):
    """The rows built in Python (templatetags/workbench.py) say what the template said: the link, the
    masked ID, the state, the publicity's end, the intake due and whether it is late."""
    app = walk(world, pool, applicant, to="in_publicity")
    clerk = client_for(world["home"].users[Role.CLERK])

    def row() -> str:
        page = clerk.get("/assessment/").content.decode()
        assert applicant.id_number not in page
        found = page[page.index(f'href="/assessment/{app.pk}/">{app.number}</a>'):]
        return found[:found.index("</tr>")]

    shown = row()
    assert applicant.masked_id in shown and "公示中" in shown and f"公示至 {app.publicity_until:%Y-%m-%d}" in shown
    assert "已超时" not in shown
    Application.objects.filter(pk=app.pk).update(state=State.SUBMITTED, intake_due=date(2020, 1, 6))
    shown = row()
    assert "已提交，待受理" in shown and '受理 2020-01-06 <span class="warn">已超时</span>' in shown


def test_the_clerks_list_counts_the_open_states_and_the_late_and_pages_the_final_ones_to_the_cap(
        world, pool, applicant, client_for, monkeypatch):
    from ltci.core import paging

    app = walk(world, pool, applicant, to="certified")
    clerk = client_for(world["home"].users[Role.CLERK])
    page = clerk.get("/assessment/").content.decode()
    cert = app.certificate
    assert '?state=certified">已出具评估结论</a>' in page and "第 1 / 1 页" in page
    assert (f"<td>{cert.number}</td><td>{applicant.name}</td><td>{cert.get_grade_label()}</td>"
            f"<td>{cert.valid_from:%Y-%m-%d} 至 {cert.valid_until:%Y-%m-%d}</td>"
            f'<td><a href="/assessment/certificates/{cert.pk}.pdf">通知书 PDF</a></td>') in page
    # Two more conclusions past a cap of 1, and two applications waiting for intake, one of them late:
    # the open state is counted and its late one said; the list of all, and of the final state,
    # says "more than".
    for n in range(4):
        clone = Application.objects.get(pk=app.pk)
        clone.pk, clone.number = None, f"{app.number}-{n}"
        clone.save()
    Application.objects.filter(number__in=[f"{app.number}-0", f"{app.number}-1"]).update(
        state=State.SUBMITTED, intake_due=date.today() + timedelta(days=5))
    Application.objects.filter(number=f"{app.number}-0").update(intake_due=date(2020, 1, 6))
    monkeypatch.setattr(paging.CappedPaginator, "cap", 1)
    page = clerk.get("/assessment/").content.decode()
    assert '?state=submitted">已提交，待受理（2）</a>' in page and "超过受理时限 1 件；超过结论时限 0 件" in page
    assert "共 1 页以上" in page
    assert "共 1 页以上" in clerk.get("/assessment/?state=certified").content.decode()
    waiting = clerk.get("/assessment/?state=submitted").content.decode()
    assert f">{app.number}-0</a>" in waiting and f">{app.number}-1</a>" in waiting and f">{app.number}</a>" not in waiting
