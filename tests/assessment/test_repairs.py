"""When people are missing, unavailable or in conflict, and when a conclusion is challenged after
delivery: the flow is repaired by a clerk, never stuck, and never leaks a decision."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from ltci.accounts.roles import Role
from ltci.assessment import services
from ltci.assessment.flow import State
from ltci.assessment.models import Application, Certificate, Evaluator, Recusal, Round
from ltci.audit.models import AuditEvent

from .conftest import (
    ALL_DEPENDENT,
    decide_all,
    make_pool,
    pdf,
    submit,
    visit,
    walk,
)


def clerk_of(world):
    return world["home"].users[Role.CLERK]


def test_a_clerk_reassigns_a_visit_to_a_new_pair_and_the_old_one_loses_the_task(world, pool, applicant):
    from ltci.assessment import tasks

    app = walk(world, pool, applicant, to="assigned")
    old = app.site_assessments.get()
    with pytest.raises(ValidationError):
        services.reassign(app, clerk_of(world), reason="")
    new = services.reassign(app, clerk_of(world), reason="评估员病假")
    old.refresh_from_db()
    assert old.replaced_at and old.replaced_reason == "评估员病假"
    assert not {new.first_id, new.second_id} & {old.first_id, old.second_id}
    assert not tasks.site_tasks_for(old.first.user).exists() and tasks.site_tasks_for(new.first.user).exists()
    assert Application.objects.get(pk=app.pk).state == State.ASSIGNED
    visit(app, new.second.user)
    assert Application.objects.get(pk=app.pk).state == State.IN_REVIEW


def test_a_small_pool_keeps_the_visit_and_the_clerk_draws_the_missing_experts_later(world, applicant):
    region = world["home"].region
    pool = make_pool(region, assessors=1, experts=1, committee=0)  # both go on site: no expert left
    app = walk(world, pool, applicant, to="in_review")
    assert app.experts_missing == 2 and not app.reviews.exists()
    with pytest.raises(ValidationError):
        services.redraw(app, clerk_of(world), reason="补抽")  # the pool is still too small: nothing changes
    app.refresh_from_db()
    assert app.experts_missing == 2 and app.state == State.IN_REVIEW
    make_pool(region, assessors=0, experts=1, committee=0, prefix="more")
    services.redraw(app, clerk_of(world), reason="专家库已补充一名")
    app.refresh_from_db()
    assert app.experts_missing == 1
    decide_all(app, "severe_1")
    assert app.state == State.IN_REVIEW  # waits for the second expert
    make_pool(region, assessors=0, experts=1, committee=0, prefix="again")
    services.redraw(app, clerk_of(world), reason="专家库又补充一名")
    decide_all(app, "severe_1")
    assert app.state == State.IN_PUBLICITY and app.experts_missing == 0


def test_an_undecided_expert_is_replaced_and_can_no_longer_decide(world, pool, applicant):
    app = walk(world, pool, applicant, to="in_review")
    first, second = app.reviews.select_related("expert__user")
    services.redraw(app, clerk_of(world), reason="专家出差", review=second)
    second.refresh_from_db()
    assert second.replaced_at
    with pytest.raises(services.NotAllowed):
        services.decide(second, second.expert.user, grade="severe_1")
    replacement = services.open_reviews(app).exclude(pk=first.pk).get()
    assert replacement.expert_id not in (first.expert_id, second.expert_id)
    decide_all(app, "severe_1")
    assert app.state == State.IN_PUBLICITY and app.reviews.count() == 3


def test_an_expert_taken_out_of_the_pool_or_in_conflict_cannot_decide(world, pool, applicant):
    app = walk(world, pool, applicant, to="in_review")
    first, second = app.reviews.select_related("expert__user")
    Evaluator.objects.filter(pk=first.expert_id).update(active=False)
    with pytest.raises(services.NotAllowed):
        services.decide(first, first.expert.user, grade="severe_1")
    Recusal.objects.create(evaluator=second.expert, person=applicant, reason="邻居")
    with pytest.raises(services.NotAllowed):
        services.decide(second, second.expert.user, grade="severe_1")


def test_an_objection_after_delivery_is_decided_once_and_finally(world, pool, applicant):
    app = walk(world, pool, applicant)
    old = app.certificate
    insured = world["home"].users[Role.INSURED]
    services.object_to(app, insured, reason="送达后发现等级偏低", on=old.valid_from)
    app.refresh_from_db()
    assert app.state == State.IN_DISPUTE
    dispute = app.reviews.get(round=Round.DISPUTE)
    services.decide(dispute, dispute.expert.user, grade="severe_2", reason="复核维持异议", on=old.valid_from + timedelta(days=3))
    app.refresh_from_db()
    old.refresh_from_db()
    new = app.certificate
    assert app.state == State.CERTIFIED and new.grade == "severe_2" and new.pk != old.pk
    assert old.ended_on == new.valid_from - timedelta(days=1)
    with pytest.raises(services.NotAllowed) as exc:
        services.object_to(app, insured, reason="再次异议", on=new.valid_from)
    assert "终局" in exc.value.messages[0]


def test_the_dispute_review_comes_from_another_assessment_body(world, applicant):
    region = world["home"].region
    pool = make_pool(region, assessors=2, experts=4, committee=2)
    for e in pool.assessors + pool.experts:
        e.body = "第一评估中心"
        e.save()
    pool.committee[0].body = "第一评估中心"
    pool.committee[0].save()
    pool.committee[1].body = "第二评估中心"
    pool.committee[1].save()
    app = walk(world, pool, applicant, to="in_publicity")
    services.object_to(app, world["home"].users[Role.INSURED], reason="等级偏低")
    assert app.reviews.get(round=Round.DISPUTE).expert == pool.committee[1]


def test_deadlines_in_a_year_the_calendar_does_not_cover_are_marked_provisional(world, pool, applicant):
    app = walk(world, pool, applicant, to="submitted")
    assert not app.dates_provisional
    services.accept(app, clerk_of(world), on=date(2031, 6, 2))
    app.refresh_from_db()
    assert app.dates_provisional


@pytest.mark.parametrize("field,overrides", [
    ("applicant_relation", {"applicant_relation": "nonsense-relation-longer-than-16"}),
    ("applicant_name", {"applicant_name": "王" * 65}),
    ("acceptance_point", {"acceptance_point": "中心" * 60}),
    ("disabled_since", {"disabled_since": date(1900, 1, 1)}),
])
def test_fields_are_checked_before_anything_is_saved(world, pool, applicant, field, overrides):
    with pytest.raises(ValidationError) as exc:
        submit(applicant, clerk_of(world), **overrides)
    assert field in exc.value.message_dict and not Application.objects.exists()


def test_changning_counter_applications_name_the_community_health_centre(db):
    from tests.conftest import build_region_world

    from .conftest import paid_up

    cn = build_region_world("changning")
    Certificate.objects.filter(region=cn.region).delete()
    Application.objects.filter(region=cn.region).delete()
    paid_up(cn.person)
    with pytest.raises(ValidationError) as exc:
        services.submit(user=cn.users[Role.CLERK], person=cn.person, channel="counter", applicant_name="王小明",
                        applicant_relation="child", applicant_phone="13800000000", disabled_since=date(2025, 1, 1),
                        self_assessment=ALL_DEPENDENT, pledge_signed=True, materials=[("discharge_summary", pdf())])
    assert "社区卫生服务中心" in exc.value.message_dict["acceptance_point"][0]


def test_the_decision_api_returns_only_the_experts_own_decision(world, pool, applicant, client_for):
    app = walk(world, pool, applicant, to="in_review")
    first, second = app.reviews.select_related("expert__user")
    services.decide(first, first.expert.user, grade="severe_2")
    body = client_for(second.expert.user).post(f"/api/assessment/reviews/{second.pk}/decision",
                                               {"grade": "severe_1"}, content_type="application/json").json()
    assert set(body) == {"id", "round", "grade", "decided_at"} and body["grade"] == "severe_1"


def test_listing_reviews_and_reading_a_certificate_are_audited(world, pool, applicant, client_for):
    app = walk(world, pool, applicant, to="in_review")
    review = app.reviews.select_related("expert__user").first()
    before = AuditEvent.objects.filter(action="view_health").count()
    client_for(review.expert.user).get("/api/assessment/reviews")
    assert AuditEvent.objects.filter(action="view_health").count() == before + 1


@pytest.mark.parametrize("query", ["?person=abc", "?institution=1x", "?start=2025-05-01&end=2024-01-01",
                                   "?start=yesterday"])
def test_bad_report_filters_are_answered_not_crashed(world, client_for, query):
    response = client_for(world["home"].users[Role.CLERK]).get("/assessment/ranking/" + query)
    assert response.status_code in (200, 422)


def test_a_bad_institution_on_the_apply_page_is_a_field_error(world, pool, applicant, client_for):
    from .test_pages_and_api import apply_form

    response = client_for(world["home"].users[Role.INSURED]).post("/assessment/apply/",
                                                                  apply_form(serving_institution="abc"))
    assert response.status_code == 422 and "请从列表中选择机构" in response.content.decode()


def test_jiaxing_draws_only_experts_of_intermediate_title_or_above(db):
    from tests.conftest import build_region_world

    from .conftest import paid_up

    jx = build_region_world("jiaxing")
    Certificate.objects.filter(region=jx.region).delete()
    Application.objects.filter(region=jx.region).delete()
    pool = make_pool(jx.region, assessors=1, experts=4, committee=0)
    junior = pool.experts[0]
    junior.title, junior.title_rank = "护师", "junior"
    junior.save()
    paid_up(jx.person)
    world = {"home": jx}
    app = walk(world, pool, jx.person, to="in_review")
    task = app.site_assessments.get()
    involved = {task.first_id, task.second_id} | set(app.reviews.values_list("expert_id", flat=True))
    assert junior.pk not in involved
