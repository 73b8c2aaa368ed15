"""The flow from a request to a certificate, and every refusal on the way."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ltci.accounts.roles import Role
from ltci.assessment import services
from ltci.assessment.flow import STEPS, State
from ltci.assessment.models import Application, Certificate, Review, Round, Transition
from ltci.audit.models import AuditEvent

from .conftest import (
    ALL_INDEPENDENT,
    SEVERE_1,
    backdate,
    decide_all,
    make_pool,
    pdf,
    png,
    submit,
    visit,
    walk,
)


def test_an_application_walks_to_a_certificate_and_every_step_is_kept(world, pool, applicant):
    app = walk(world, pool, applicant)
    assert app.state == State.CERTIFIED and app.decided_grade == "severe_1"
    cert = app.certificate
    assert cert.qualifies and cert.totals == {"adl": 40, "cognition": 16, "perception": 12}
    assert cert.valid_from == app.publicity_until + timedelta(days=1)
    assert cert.valid_until == date(cert.valid_from.year + 2, cert.valid_from.month, cert.valid_from.day) - timedelta(days=1)
    steps = list(Transition.objects.filter(application=app).values_list("action", flat=True))
    assert steps == ["submit", "accept", "assign", "record_visit", "conclude", "certify"]
    assert AuditEvent.objects.filter(action="transition", object_id=str(app.pk)).count() >= 6 + 2  # + 2 reviews


def test_the_intake_and_conclusion_deadlines_count_working_days(world, pool, applicant):
    clerk = world["home"].users[Role.CLERK]
    # 2026-09-30 is a Wednesday before the National Day holiday (10-01 … 10-08).
    app = submit(applicant, clerk)
    services.accept(app, clerk, on=date(2026, 9, 30))
    app.refresh_from_db()
    assert app.conclusion_due > date(2026, 9, 30) + timedelta(days=42)  # 30 working days span the holiday


def test_a_failing_pre_check_saves_nothing_and_says_why_and_when(world, pool, applicant):
    clerk = world["home"].users[Role.CLERK]
    with pytest.raises(services.PrecheckFailed) as exc:
        submit(applicant, clerk, self_assessment=ALL_INDEPENDENT, disabled_since=date.today() - timedelta(days=30))
    codes = {r["code"] for r in exc.value.reasons}
    assert {"self_assessment_too_low", "disability_under_6_months"} <= codes
    until = next(r["until"] for r in exc.value.reasons if r["code"] == "disability_under_6_months")
    assert until > date.today()
    assert not Application.objects.exists()


def test_unpaid_contributions_and_an_open_application_stop_the_pre_check(world, pool, applicant):
    clerk = world["home"].users[Role.CLERK]
    with pytest.raises(services.PrecheckFailed) as exc:
        submit(world["home"].other_person, clerk)  # enrolled, nothing paid
    assert "unpaid" in {r["code"] for r in exc.value.reasons}
    submit(applicant, clerk)
    with pytest.raises(services.PrecheckFailed) as exc:
        submit(applicant, clerk)
    assert [r["code"] for r in exc.value.reasons] == ["open_application"]


@pytest.mark.parametrize("field,overrides", [
    ("pledge_signed", {"pledge_signed": False}),
    ("materials", {"materials": []}),
    ("materials", {"materials": [("discharge_summary", pdf("x.pdf", b"MZ\x90\x00 not a pdf"))]}),
    ("materials", {"materials": [("discharge_summary", pdf("x.exe"))]}),
    ("applicant_phone", {"applicant_phone": "call me"}),
    ("disabled_since", {"disabled_since": date.today() + timedelta(days=3)}),
])
def test_bad_input_is_refused_with_the_field_and_changes_nothing(world, pool, applicant, field, overrides):
    with pytest.raises(ValidationError) as exc:
        submit(applicant, world["home"].users[Role.CLERK], **overrides)
    assert field in exc.value.message_dict
    assert not Application.objects.exists()


def test_a_material_over_the_size_limit_is_refused(world, pool, applicant, settings):
    settings.MATERIAL_MAX_BYTES = 100
    with pytest.raises(ValidationError) as exc:
        submit(applicant, world["home"].users[Role.CLERK], materials=[("discharge_summary", pdf(content=b"%PDF" + b"0" * 200))])
    assert "MB" in exc.value.message_dict["materials"][0] or "超过" in exc.value.message_dict["materials"][0]


def test_actions_outside_the_flow_are_refused_with_the_reason(world, pool, applicant):
    clerk = world["home"].users[Role.CLERK]
    app = walk(world, pool, applicant, to="submitted")
    with pytest.raises(services.NotAllowed) as exc:
        services.assign(app, clerk)
    assert "已提交，待受理" in exc.value.messages[0] and "受理" in exc.value.messages[0]
    with pytest.raises(services.NotAllowed):
        services.certify(app, clerk)
    assert Application.objects.get(pk=app.pk).state == State.SUBMITTED


def test_every_step_names_a_known_state():
    for step in STEPS.values():
        assert (step.target is None or step.target in State.values) and step.sources <= set(State.values)


def test_two_evaluators_with_at_least_one_expert_the_least_loaded_first_none_in_conflict(world, applicant):
    region = world["home"].region
    pool = make_pool(region, assessors=2, experts=3, committee=1)
    clerk = world["home"].users[Role.CLERK]
    app = walk(world, pool, applicant, to="accepted")
    app.serving_institution = world["home"].institution
    app.save()
    busy, conflicted = pool.experts[0], pool.experts[1]
    conflicted.institution = world["home"].institution
    conflicted.save()
    from ltci.assessment.models import SiteAssessment

    other = walk(world, pool, world["home"].other_person, to="submitted") if False else None  # noqa: F841
    SiteAssessment.objects.create(application=app, first=busy, second=pool.assessors[1])  # an open task elsewhere
    Application.objects.filter(pk=app.pk).update(state=State.ASSIGNED)
    loads = services.workload([busy, pool.experts[2]])
    assert loads[busy.pk] == 1 and loads[pool.experts[2].pk] == 0
    Application.objects.filter(pk=app.pk).update(state=State.ACCEPTED)
    SiteAssessment.objects.filter(application=app).delete()
    task = services.assign(app, clerk)
    chosen = {task.first, task.second}
    assert conflicted not in chosen
    assert any(e.kind == "expert" for e in chosen) and len(chosen) == 2


def test_only_an_assigned_evaluator_records_the_visit_and_the_system_grades_it(world, pool, applicant):
    app = walk(world, pool, applicant, to="assigned")
    task = app.site_assessments.get()
    outsider = next(e for e in pool.assessors + pool.experts if e.pk not in (task.first_id, task.second_id))
    with pytest.raises(PermissionDenied):
        visit(app, outsider.user)
    bad = {**SEVERE_1, "adl": {**SEVERE_1["adl"], "walking": 7}}
    with pytest.raises(ValidationError) as exc:
        visit(app, task.second.user, scores=bad)
    assert "scale.adl.walking" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        visit(app, task.second.user, latitude="91")
    assert "latitude" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        visit(app, task.second.user, photo=png("a.png", b"GIF89a nope"))
    assert "photo" in exc.value.message_dict
    assert Application.objects.get(pk=app.pk).state == State.ASSIGNED and not Review.objects.exists()
    visit(app, task.second.user)
    task.refresh_from_db()
    assert task.proposed_grade == "severe_1" and task.totals["adl"] == 40
    reviews = list(app.reviews.all())
    assert len(reviews) == 2 and {r.round for r in reviews} == {Round.FIRST}
    assert not {r.expert_id for r in reviews} & {task.first_id, task.second_id}


def test_disagreement_goes_to_a_third_expert_then_the_committee(world, pool, applicant):
    app = walk(world, pool, applicant, to="in_review")
    first, second = app.reviews.select_related("expert__user")
    services.decide(first, first.expert.user, grade="severe_1")
    with pytest.raises(services.NotAllowed):
        services.decide(first, first.expert.user, grade="severe_2")  # a decision is never edited
    services.decide(second, second.expert.user, grade="severe_2")
    third = app.reviews.get(round=Round.THIRD)
    assert third.expert_id not in (first.expert_id, second.expert_id)
    services.decide(third, third.expert.user, grade="severe_3")
    app.refresh_from_db()
    assert app.state == State.IN_COMMITTEE
    committee = app.reviews.get(round=Round.COMMITTEE)
    assert committee.expert.committee
    with pytest.raises(ValidationError):
        services.decide(committee, committee.expert.user, grade="severe_2", reason="")
    services.decide(committee, committee.expert.user, grade="severe_2", reason="综合三位专家意见与现场记录")
    app.refresh_from_db()
    assert app.state == State.IN_PUBLICITY and app.decided_grade == "severe_2"
    assert app.reviews.count() == 4  # every decision kept


def test_a_third_expert_agreeing_with_one_decides_by_majority(world, pool, applicant):
    app = walk(world, pool, applicant, to="in_review")
    first, second = app.reviews.select_related("expert__user")
    services.decide(first, first.expert.user, grade="severe_1")
    services.decide(second, second.expert.user, grade="severe_2")
    third = app.reviews.get(round=Round.THIRD)
    services.decide(third, third.expert.user, grade="severe_2")
    app.refresh_from_db()
    assert app.state == State.IN_PUBLICITY and app.decided_grade == "severe_2"


def test_an_expert_cannot_decide_another_experts_review(world, pool, applicant):
    app = walk(world, pool, applicant, to="in_review")
    first, second = app.reviews.select_related("expert__user")
    with pytest.raises(PermissionDenied):
        services.decide(first, second.expert.user, grade="severe_1")


def test_publicity_lasts_working_days_and_an_objection_goes_to_a_final_dispute_review(world, pool, applicant):
    app = walk(world, pool, applicant, to="in_publicity")
    assert app.publicity_until >= app.publicity_from + timedelta(days=6)  # 5 working days span a weekend
    insured = world["home"].users[Role.INSURED]
    with pytest.raises(services.NotAllowed):
        services.certify(app, world["home"].users[Role.CLERK], on=app.publicity_until)
    with pytest.raises(services.NotAllowed):
        services.object_to(app, insured, reason="等级偏低", on=app.publicity_until + timedelta(days=1))
    services.object_to(app, insured, reason="等级偏低", on=app.publicity_until)
    app.refresh_from_db()
    assert app.state == State.IN_DISPUTE
    dispute = app.reviews.get(round=Round.DISPUTE)
    assert dispute.expert.committee
    services.decide(dispute, dispute.expert.user, grade="severe_2", reason="复核现场记录，维持异议")
    app.refresh_from_db()
    assert app.state == State.CERTIFIED and app.certificate.grade == "severe_2"
    with pytest.raises(services.NotAllowed):
        services.object_to(app, insured, reason="再次异议")


def test_the_daily_run_certifies_after_publicity_and_reminds_60_days_before_expiry(world, pool, applicant):
    app = walk(world, pool, applicant, to="in_publicity")
    region = world["home"].region.pk
    assert services.tick(region, on=app.publicity_until) == {"certified": 0, "reminders": 0}
    assert services.tick(region, on=app.publicity_until + timedelta(days=1))["certified"] == 1
    cert = Certificate.objects.get(application=app)
    assert services.tick(region, on=cert.valid_until - timedelta(days=61))["reminders"] == 0
    assert services.tick(region, on=cert.valid_until - timedelta(days=60))["reminders"] == 1
    assert services.tick(region, on=cert.valid_until - timedelta(days=59))["reminders"] == 0  # once


def test_a_lower_grade_on_reassessment_ends_the_old_certificate_the_day_before(world, pool, applicant):
    first = walk(world, pool, applicant)
    old = backdate(first.certificate)
    clerk = world["home"].users[Role.CLERK]
    # A change of condition found by a check: no six-month wait.
    app = submit(applicant, clerk, trigger="change")
    assert app.kind == "reassessment" and app.trigger == "change"
    services.accept(app, clerk)
    task = services.assign(app, clerk)
    mild = {**SEVERE_1, "adl": {k: 10 if k not in ("face_oral", "bathing") else 5 for k in SEVERE_1["adl"]}}
    mild["adl"]["walking"] = 15
    mild["adl"]["transfer"] = 15
    visit(app, task.first.user, scores=mild)
    decide_all(app, "normal")
    app.refresh_from_db()
    # Below the benefit grades: delivered at once, not published.
    assert app.state == State.CERTIFIED and app.publicity_from is None
    assert "normal" not in [r["grade_label"] for r in services.publicity_list(app.region_id)]
    new = Certificate.objects.get(application=app)
    assert new.valid_from == date.today() + timedelta(days=1) or new.valid_from == services.today() + timedelta(days=1)
    old.refresh_from_db()
    assert not new.qualifies
    assert old.ended_on == new.valid_from - timedelta(days=1) and old.end_reason == "superseded"
    assert services.grade_on(applicant, old.ended_on) == old
    assert services.grade_on(applicant, new.valid_from) == new


def test_reassessment_on_request_waits_six_months_and_says_from_when(world, pool, applicant):
    walk(world, pool, applicant)
    with pytest.raises(services.PrecheckFailed) as exc:
        submit(applicant, world["home"].users[Role.INSURED], trigger="request")
    reason = next(r for r in exc.value.reasons if r["code"] == "reassessment_too_soon")
    assert reason["until"] > date.today()


def test_expiry_reassessment_only_in_the_reminder_window_and_change_only_by_the_agency(world, pool, applicant):
    cert = backdate(walk(world, pool, applicant).certificate)
    with pytest.raises(ValidationError) as exc:
        submit(applicant, world["home"].users[Role.INSURED], trigger="expiry")
    assert "60" in exc.value.message_dict["trigger"][0]
    backdate(cert, date.today() - timedelta(days=700))  # 30 days left
    app = submit(applicant, world["home"].users[Role.INSURED], trigger="expiry")
    assert app.kind == "reassessment" and app.trigger == "expiry"
    with pytest.raises(ValidationError) as exc:
        submit(applicant, world["home"].users[Role.INSURED], trigger="change")
    assert "trigger" in exc.value.message_dict


def test_withdrawing_is_allowed_before_the_visit_only(world, pool, applicant):
    app = walk(world, pool, applicant, to="in_review")
    with pytest.raises(services.NotAllowed):
        services.withdraw(app, world["home"].users[Role.INSURED])
