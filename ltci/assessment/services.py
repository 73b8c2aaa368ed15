"""The use cases of the assessment flow. Each owns its transaction; each change of state goes through
`move`, which allows only the flow's transitions (flow.STEPS) and keeps every one."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.care.geo import point
from ltci.contributions.standing import policy_person
from ltci.core.uploads import save_upload
from ltci.enrolment.models import Person
from ltci.policy.assessment import ProcessRules, process_rules
from ltci.policy.errors import PolicyError
from ltci.policy.policies import region as region_of
from ltci.policy.precheck import precheck as policy_precheck
from ltci.policy.rules.eligibility import GRADE_LABELS
from ltci.policy.scale import load_scale

from .flow import OPEN, STEPS, State
from .models import (
    Application,
    Certificate,
    Channel,
    EndReason,
    Evaluator,
    EvaluatorKind,
    Kind,
    Material,
    MaterialKind,
    Objection,
    Relation,
    Reminder,
    Review,
    Round,
    SiteAssessment,
    TitleRank,
    Transition,
    Trigger,
)

MEDICAL_MATERIALS = (MaterialKind.DISCHARGE_SUMMARY, MaterialKind.OUTPATIENT_RECORD, MaterialKind.DISABILITY_CERTIFICATE)
DOCUMENTS = {".pdf": (b"%PDF",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",), ".png": (b"\x89PNG",)}
PHOTOS = {k: v for k, v in DOCUMENTS.items() if k != ".pdf"}
CONTENT_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


# Who reviews is drawn at random; `ltci demo` swaps in its seeded generator to stay reproducible.
DRAW = secrets.SystemRandom()


class NotAllowed(ValidationError):
    """An action the flow does not allow now; the message says why."""


def _unnumbered() -> str:
    """The number a record has for the instant before its id gives it its own: unique, and in words
    since the trail keeps it (the record's creation is logged under it)."""
    return f"待编号{secrets.randbelow(10**16):016d}"


def grade_label(grade: str) -> str:
    return GRADE_LABELS.get(grade, grade)


def rules(region: str, on: date) -> ProcessRules:
    return process_rules(region, on, carry_over=True)


def today() -> date:
    return timezone.localdate()


# The flow ---------------------------------------------------------------------------------------

def ensure(app: Application, action: str, user) -> None:
    """Refuses an action the flow does not allow from the application's state, or the user's role may not take."""
    step = STEPS[action]
    if app.state not in step.sources:
        allowed = "、".join(s.label for s in STEPS.values() if app.state in s.sources) or "无"
        raise NotAllowed(f"申请当前为「{app.state_label}」，不能{step.label}（当前可办理：{allowed}）")
    if step.permission and user is not None and not user.can(step.permission):
        raise PermissionDenied(step.permission)


def move(app: Application, action: str, user, note: str = "") -> Transition:
    """Moves an application along the flow, or refuses with the reason; records the step."""
    ensure(app, action, user)
    step = STEPS[action]
    source = app.state
    app.state = step.target or source
    app.save()
    done = Transition.objects.create(application=app, action=action, source=source, target=app.state, by=user,
                                     note=note[:500])
    record(Action.TRANSITION, app, user=user, detail={"action": action, "from": source, "to": app.state,
                                                      "note": note[:200]})
    return done


def _locked(app: Application) -> Application:
    """The application re-read under a row lock (PostgreSQL), so two clerks cannot both move it."""
    return Application.objects.select_for_update().select_related("person", "region").get(pk=app.pk)


# Application ------------------------------------------------------------------------------------

def precheck(person: Person, on: date, *, disabled_since: date, self_assessment: dict, trigger: str = "",
             exclude: int | None = None) -> list[dict]:
    """Every reason the application cannot be made now, each with the date it could pass if any."""
    question = policy_person(person, on, disabled_since=disabled_since)
    if question is None:
        return [{"code": "not_enrolled", "message": "无有效参保登记", "clause": "", "until": None}]
    open_apps = Application.objects.filter(person=person, state__in=OPEN)
    if exclude:
        open_apps = open_apps.exclude(pk=exclude)
    last = Certificate.objects.filter(person=person).order_by("-valid_from").first()
    # On expiry or a change of condition the six-month wait does not apply (管理办法 2023).
    last_assessed = last.valid_from if last and trigger in ("", Trigger.REQUEST) else None
    try:
        result = policy_precheck(person.region_id, on, question.person, self_assessment=self_assessment,
                                 open_application=open_apps.exists(), last_assessed=last_assessed, carry_over=True)
    except PolicyError as exc:
        raise ValidationError({exc.field.split(".")[-1] if exc.field else "precheck": exc.words()}) from exc
    out = [{**r, "until": None} for r in question.reasons]
    out += [{"code": r.code, "message": r.message, "clause": r.clause, "until": r.until} for r in result.reasons]
    return out


def _current_certificate(person: Person, on: date) -> Certificate | None:
    return next((c for c in Certificate.objects.filter(person=person, valid_from__lte=on).order_by("-valid_from")
                 if c.last_day >= on), None)


@transaction.atomic
def submit(*, user, person: Person, channel: str, applicant_name: str, applicant_relation: str,
           applicant_phone: str, disabled_since: date, self_assessment: dict, pledge_signed: bool,
           materials: list[tuple[str, object]], trigger: str = "", acceptance_point: str = "",
           serving_institution=None, on: date | None = None) -> Application:
    """Makes an application after the pre-check passes; a failing pre-check saves nothing and says
    why and from when it could pass."""
    on = on or today()
    # The person's row is locked: two submissions at once cannot both find no open application.
    person = Person.objects.select_for_update().get(pk=person.pk)
    rule = rules(person.region_id, on)
    errors = {}
    if not pledge_signed:
        errors["pledge_signed"] = "须签署诚信承诺书"
    if not (applicant_name or "").strip():
        errors["applicant_name"] = "请填写申请人姓名"
    elif len(applicant_name.strip()) > 64:
        errors["applicant_name"] = "申请人姓名不能超过64个字"
    if applicant_relation not in Relation.values:
        errors["applicant_relation"] = f"请选择与参保人的关系（{'、'.join(Relation.labels)}）"
    if len((acceptance_point or "").strip()) > 100:
        errors["acceptance_point"] = "受理机构名称不能超过100个字"
    elif rule.screening and channel == Channel.COUNTER and not (acceptance_point or "").strip():
        errors["acceptance_point"] = f"请填写受理的社区卫生服务中心（{rule.clauses['screening']}）"
    if not (applicant_phone or "").strip().isdigit() or not 7 <= len(applicant_phone.strip()) <= 15:
        errors["applicant_phone"] = "请填写7–15位数字的联系电话"
    if disabled_since > on:
        errors["disabled_since"] = "失能起始日期不能晚于今天"
    elif disabled_since < person.birth_date:
        errors["disabled_since"] = "失能起始日期不能早于出生日期"
    if not any(kind in MEDICAL_MATERIALS for kind, _ in materials):
        errors["materials"] = "请上传出院小结、门诊病历或残疾证之一"
    if serving_institution is not None and serving_institution.region_id != person.region_id:
        errors["serving_institution"] = "该机构不在参保人的统筹地区"
    current = _current_certificate(person, on)
    if trigger == Trigger.EXPIRY:
        if current is None or on < rule.reminder_from(current.valid_until):
            errors["trigger"] = (f"有效期届满前{rule.expiry_reminder_days}日内方可申请到期重新评估"
                                 if current else "没有有效的评估结论，请申请首次评估")
    elif trigger == Trigger.CHANGE and not user.can("application.handle"):
        errors["trigger"] = "状况变化的重新评估由经办机构核查后发起"
    elif trigger and trigger not in Trigger.values:
        errors["trigger"] = f"未知的重新评估原因：{trigger}"
    if errors:
        raise ValidationError(errors)
    reasons = precheck(person, on, disabled_since=disabled_since, self_assessment=self_assessment, trigger=trigger)
    if reasons:
        raise PrecheckFailed(reasons)
    has_certificate = Certificate.objects.filter(person=person).exists()
    intake = rule.intake_due(on)
    app = Application.objects.create(
        region_id=person.region_id, person=person, number=_unnumbered(),
        kind=Kind.REASSESSMENT if has_certificate else Kind.INITIAL,
        trigger=(trigger or Trigger.REQUEST) if has_certificate else "", channel=channel,
        acceptance_point=(acceptance_point or "").strip(), applicant_name=applicant_name.strip(),
        applicant_relation=applicant_relation, applicant_phone=applicant_phone.strip(),
        disabled_since=disabled_since, self_assessment=self_assessment,
        self_assessment_letter=_letter(self_assessment), pledge_signed=True,
        serving_institution=serving_institution, submitted_on=on, intake_due=intake.day,
        dates_provisional=intake.provisional, created_by=user)
    app.number = f"{region_of(person.region_id).division}{on:%Y%m%d}{app.pk:06d}"  # division, day, serial
    app.save(update_fields=["number"])
    for kind, upload in materials:
        add_material(app, kind, upload, user)
    Transition.objects.create(application=app, action="submit", source="", target=app.state, by=user)
    record(Action.TRANSITION, app, user=user, detail={"action": "submit", "to": app.state})
    return app


class PrecheckFailed(ValidationError):
    """The pre-check's reasons; nothing was saved."""

    def __init__(self, reasons: list[dict]):
        self.reasons = reasons
        super().__init__({"precheck": [r["message"] for r in reasons]})


def _letter(ratings: dict) -> str:
    from ltci.policy.self_assessment import rate

    return rate(ratings).letter


def add_material(app: Application, kind: str, upload, user) -> Material:
    if kind not in MaterialKind.values:
        raise ValidationError({"kind": f"未知的材料类型：{kind}"})
    path, digest = save_upload(upload, field="materials", allowed=DOCUMENTS, max_bytes=settings.MATERIAL_MAX_BYTES,
                               subdir="assessment")
    return Material.objects.create(
        application=app, kind=kind, name=(upload.name or "")[-200:], content_type=CONTENT_TYPES[path.suffix],
        size=upload.size, sha256=digest, path=str(path.relative_to(settings.UPLOAD_DIR)), uploaded_by=user)


# Intake -----------------------------------------------------------------------------------------

@transaction.atomic
def screen(app: Application, user, *, passed: bool, note: str) -> Application:
    app = _locked(app)
    if not rules(app.region_id, app.submitted_on).screening:
        raise NotAllowed(f"{app.region.name}不设预评估")
    if not passed and not note.strip():
        raise ValidationError({"note": "请写明预评估终止的原因"})
    move(app, "screen_pass" if passed else "screen_stop", user, note)
    return app


@transaction.atomic
def accept(app: Application, user, *, on: date | None = None) -> Application:
    on = on or today()
    app = _locked(app)
    ensure(app, "accept", user)
    rule = rules(app.region_id, on)
    if rule.screening and app.state == State.SUBMITTED:
        raise NotAllowed(f"{app.region.name}须先完成预评估，方可受理（{rule.clauses['screening']}）")
    due = rule.conclusion_due(on)
    app.accepted_on, app.conclusion_due = on, due.day
    app.dates_provisional |= due.provisional
    move(app, "accept", user)
    return app


@transaction.atomic
def refuse(app: Application, user, *, reason: str) -> Application:
    app = _locked(app)
    if not reason.strip():
        raise ValidationError({"reason": "请写明不予受理的原因"})
    app.note = reason.strip()[:500]
    move(app, "refuse", user, reason)
    return app


@transaction.atomic
def withdraw(app: Application, user, *, reason: str = "") -> Application:
    app = _locked(app)
    move(app, "withdraw", user, reason)
    return app


# Assignment and the site assessment -------------------------------------------------------------

def _conflicted(app: Application):
    """Evaluators who must step aside: a declared relation to the person, or working for the
    institution that serves them."""
    q = Q(recusals__person=app.person)
    if app.serving_institution_id:
        q |= Q(institution_id=app.serving_institution_id)
    return Evaluator.objects.filter(q).values("pk")


def _pool(app: Application, *kinds: str):
    """The region's active evaluators of these kinds with no conflict; experts below the region's
    lowest title rank (Jiaxing: intermediate) are not drawn."""
    qs = (Evaluator.objects.filter(region_id=app.region_id, active=True, kind__in=kinds)
          .exclude(pk__in=_conflicted(app)).select_related("user"))
    lowest = rules(app.region_id, today()).expert_min_title
    if lowest:
        ranks = TitleRank.values[TitleRank.values.index(lowest):]
        qs = qs.filter(Q(kind=EvaluatorKind.ASSESSOR) | Q(title_rank__in=ranks))
    return qs


def _may_still_serve(app: Application, evaluator: Evaluator) -> None:
    """An evaluator taken out of the pool, or with a conflict declared since being drawn, stops."""
    if not evaluator.active or _conflicted(app).filter(pk=evaluator.pk).exists():
        raise NotAllowed("您已不在评估人员库中或须回避本案，请联系经办机构改派")


def workload(evaluators) -> dict[int, int]:
    """Open site tasks per evaluator."""
    open_tasks = SiteAssessment.objects.filter(visited_at__isnull=True, replaced_at__isnull=True,
                                               application__state=State.ASSIGNED)
    load = {e.pk: 0 for e in evaluators}
    for field in ("first_id", "second_id"):
        for row in open_tasks.filter(**{f"{field}__in": list(load)}).values(field).annotate(n=Count("id")):
            load[row[field]] += row["n"]
    return load


def _pair(app: Application, *, exclude=()) -> tuple[Evaluator, Evaluator]:
    """Two evaluators, at least one an expert, those with the fewest open tasks first (ties drawn at
    random), none in conflict. Committee members stay out of site visits: they settle
    disagreements and disputes."""
    pool = [e for e in _pool(app, EvaluatorKind.ASSESSOR, EvaluatorKind.EXPERT).filter(committee=False)
            if e.pk not in exclude]
    load = workload(pool)
    ties = {e.pk: DRAW.random() for e in pool}  # equal loads: no one is always first
    by_load = sorted(pool, key=lambda e: (load[e.pk], ties[e.pk]))
    expert = next((e for e in by_load if e.kind == EvaluatorKind.EXPERT), None)
    other = next((e for e in by_load if e is not expert), None)
    if expert is None or other is None:
        raise ValidationError({"evaluators": "评估人员库中没有足够的无回避情形人员（须两人，其中至少一名评估专家）"})
    return expert, other


@transaction.atomic
def assign(app: Application, user) -> SiteAssessment:
    app = _locked(app)
    ensure(app, "assign", user)
    expert, other = _pair(app)
    move(app, "assign", user, f"{expert}、{other}")
    return SiteAssessment.objects.create(application=app, first=expert, second=other)


@transaction.atomic
def reassign(app: Application, user, *, reason: str) -> SiteAssessment:
    """A new pair for a visit not made yet (someone fell ill, left the pool, declared a conflict);
    the old task is kept, marked replaced, and its two evaluators are not drawn again."""
    app = _locked(app)
    ensure(app, "reassign", user)
    if not reason.strip():
        raise ValidationError({"note": "请写明改派原因"})
    old = open_site_assessment(app)
    expert, other = _pair(app, exclude={old.first_id, old.second_id} if old else ())
    if old:
        old.replaced_at, old.replaced_reason = timezone.now(), reason.strip()[:200]
        old.save()
    move(app, "reassign", user, f"{reason.strip()}：改派{expert}、{other}")
    return SiteAssessment.objects.create(application=app, first=expert, second=other)


def open_site_assessment(app: Application) -> SiteAssessment | None:
    return app.site_assessments.filter(visited_at__isnull=True, replaced_at__isnull=True).order_by("-id").first()


@transaction.atomic
def record_visit(app: Application, user, *, scores: dict | None = None, level: str = "", external_reference: str = "",
                 guardian: str, photo, latitude, longitude, visited_at: datetime | None = None) -> SiteAssessment:
    """The on-site record by one of the two assigned evaluators. The system scores the scale at once
    (系统自动初评) and draws two experts for the double-blind review."""
    app = _locked(app)
    ensure(app, "record_visit", user)
    task = open_site_assessment(app)
    if task is None or user.pk not in (task.first.user_id, task.second.user_id):
        raise PermissionDenied("not assigned")
    _may_still_serve(app, task.first if task.first.user_id == user.pk else task.second)
    rule = rules(app.region_id, app.accepted_on or app.submitted_on)
    errors = {}
    if not (guardian or "").strip():
        errors["guardian"] = "须记录在场的监护人或代理人"
    elif len(guardian.strip()) > 64:
        errors["guardian"] = "不能超过64个字"
    visited_at = visited_at or timezone.now()
    if visited_at > timezone.now() + timedelta(minutes=5):
        errors["visited_at"] = "评估时间不能晚于现在"
    if errors:
        raise ValidationError(errors)
    lat, lon = point(latitude, longitude)
    if rule.scale:
        try:
            graded = load_scale(rule.scale).grade(scores or {})
        except PolicyError as exc:
            raise ValidationError({exc.field or "scores": exc.words("评估量表有漏填或不在选项内的答案，请逐项核对")}) from exc
        task.scores, task.totals, task.levels = scores, graded.scores, graded.levels
        task.proposed_grade = graded.grade
        task.explanation = [ln.as_dict() for ln in graded.lines]
    else:
        if level not in rule.grades:
            raise ValidationError({"level": f"请选择市级统一需求评估的等级（{'、'.join(map(grade_label, rule.grades))}）"})
        if not external_reference.strip() or len(external_reference.strip()) > 64:
            raise ValidationError({"external_reference": "请填写市级评估结果编号（不超过64个字符）"})
        task.proposed_grade = level
        task.external_reference = external_reference.strip()
        task.explanation = [{"what": f"登记市级老年照护统一需求评估结果：{grade_label(level)}",
                             "clause": rule.clauses["grades"]}]
    path, _ = save_upload(photo, field="photo", allowed=PHOTOS, max_bytes=settings.MATERIAL_MAX_BYTES,
                          subdir="assessment")
    task.photo = str(path.relative_to(settings.UPLOAD_DIR))
    task.latitude, task.longitude, task.guardian = lat, lon, guardian.strip()
    task.visited_at, task.recorded_by = visited_at, user
    task.save()
    move(app, "record_visit", user, f"系统初评：{grade_label(task.proposed_grade)}")
    _draw(app, Round.FIRST, 2)
    return task


# The double-blind review ------------------------------------------------------------------------

def _draw(app: Application, round_: str, count: int) -> list[Review]:
    """Experts drawn at random among those without a conflict who have not taken part in this
    application yet (on site, or in a review, replaced ones included). A dispute review also
    leaves out the assessment body that visited. A pool too small does not undo what the caller
    did: the application notes how many are missing, for a clerk to draw when the pool allows."""
    committee = round_ in (Round.COMMITTEE, Round.DISPUTE)
    pool = _drawable(app, round_, count)
    drawn = DRAW.sample(pool, min(count, len(pool)))
    app.experts_missing = count - len(drawn)
    app.missing_round = round_ if app.experts_missing else ""
    app.save(update_fields=["experts_missing", "missing_round"])
    if app.experts_missing:
        who = "评估专家委员会成员" if committee else "评估专家"
        record(Action.TRANSITION, app, detail={"action": "draw_short", "round": round_, "missing": app.experts_missing})
        Transition.objects.create(application=app, action="draw_short", source=app.state, target=app.state,
                                  note=f"专家库中无回避情形的{who}不足，待补抽{app.experts_missing}名")
    return [Review.objects.create(application=app, expert=e, round=round_) for e in drawn]


def _drawable(app: Application, round_: str, count: int) -> list[Evaluator]:
    involved = set(app.reviews.values_list("expert_id", flat=True))
    bodies = set()
    for task in app.site_assessments.select_related("first", "second"):
        involved |= {task.first_id, task.second_id}
        bodies |= {task.first.body, task.second.body} - {""}
    committee = round_ in (Round.COMMITTEE, Round.DISPUTE)
    candidates = _pool(app, EvaluatorKind.EXPERT).filter(committee=committee)
    if round_ == Round.DISPUTE:
        candidates = candidates.exclude(body__in=bodies)
    pool = [e for e in candidates if e.pk not in involved]
    if committee is False and len(pool) < count:  # a small pool lends committee members to reviews
        pool += [e for e in _pool(app, EvaluatorKind.EXPERT).filter(committee=True) if e.pk not in involved]
    return pool


def open_reviews(app: Application):
    return app.reviews.filter(decided_at__isnull=True, replaced_at__isnull=True)


def _reviews_prefetched(app: Application) -> list[Review] | None:
    """A list's prefetched reviews of the application (`with_action_facts`), else None: then ask the database."""
    if "reviews" in getattr(app, "_prefetched_objects_cache", {}):
        return list(app.reviews.all())
    return None


def _has_open_review(app: Application) -> bool:
    reviews = _reviews_prefetched(app)
    if reviews is None:
        return open_reviews(app).exists()
    return any(r.decided_at is None and r.replaced_at is None for r in reviews)


def _has_dispute_review(app: Application) -> bool:
    reviews = _reviews_prefetched(app)
    if reviews is None:
        return app.reviews.filter(round=Round.DISPUTE).exists()
    return any(r.round == Round.DISPUTE for r in reviews)


def with_action_facts(qs):
    """What `actions_for` reads of each application, fetched for a whole list in two queries rather
    than two a row (the API's list of a city's applications)."""
    return qs.prefetch_related("certificates", "reviews")


@transaction.atomic
def redraw(app: Application, user, *, reason: str, review: Review | None = None) -> list[Review]:
    """Draws the experts still missing, or replaces one who has not decided (kept, marked replaced)."""
    app = _locked(app)
    ensure(app, "redraw", user)
    if not reason.strip():
        raise ValidationError({"note": "请写明重新抽取的原因"})
    if review is not None:
        review = open_reviews(app).filter(pk=review.pk).first()
        if review is None:
            raise NotAllowed("该评定已提交或已被替换，不能重新抽取")
        review.replaced_at, review.replaced_reason = timezone.now(), reason.strip()[:200]
        review.save()
        round_, count = review.round, 1 + (app.experts_missing if app.missing_round == review.round else 0)
    elif app.experts_missing:
        round_, count = app.missing_round, app.experts_missing
    else:
        raise NotAllowed("没有待补抽的专家，也没有指定要替换的评定")
    if not _drawable(app, round_, count):
        raise ValidationError({"experts": "专家库中仍没有可抽取的无回避情形专家，请先补充专家库"})
    move(app, "redraw", user, reason)
    return _draw(app, round_, count)


@transaction.atomic
def decide(review: Review, user, *, grade: str, reason: str = "", on: date | None = None) -> Review:
    """One expert's grade; when a round is complete the flow goes on: agreement concludes,
    disagreement draws a third expert, then the committee."""
    app = _locked(Review.objects.select_related("application").get(pk=review.pk).application)
    # Locked after the application: a double submit waits here and then finds the decision made.
    review = Review.objects.select_for_update().select_related("expert").get(pk=review.pk)
    if review.expert.user_id != user.pk:
        raise PermissionDenied("not this expert's review")
    if review.decided_at:
        raise NotAllowed("该评定已提交，不能修改")
    if review.replaced_at:
        raise NotAllowed("该评定任务已改由其他专家承担")
    expected = {Round.FIRST: State.IN_REVIEW, Round.THIRD: State.IN_REVIEW, Round.COMMITTEE: State.IN_COMMITTEE,
                Round.DISPUTE: State.IN_DISPUTE}[review.round]
    if app.state != expected:
        raise NotAllowed(f"申请当前为「{app.state_label}」，不能提交{review.get_round_display()}")
    _may_still_serve(app, review.expert)
    rule = rules(app.region_id, on or today())
    if grade not in rule.grades:
        raise ValidationError({"grade": f"请选择等级：{'、'.join(map(grade_label, rule.grades))}"})
    if review.round in (Round.COMMITTEE, Round.DISPUTE) and not reason.strip():
        raise ValidationError({"reason": "委员会评定须写明理由"})
    review.grade, review.reason, review.decided_at = grade, reason.strip()[:500], timezone.now()
    review.save()
    record(Action.TRANSITION, app, user=user, detail={"action": "review", "round": review.round})
    _after_decision(app, review, user, on or today())
    return review


def _after_decision(app: Application, review: Review, user, on: date) -> None:
    if review.round == Round.DISPUTE:
        _finish(app, review.grade, user, on + timedelta(days=1), action="settle_dispute",
                note=f"争议复核结论：{grade_label(review.grade)}")
        return
    if review.round == Round.COMMITTEE:
        _conclude(app, review.grade, on, "委员会评定")
        return
    reviews = list(app.reviews.filter(round__in=[Round.FIRST, Round.THIRD], replaced_at__isnull=True))
    decided = [r for r in reviews if r.decided_at]
    if len(decided) < len(reviews) or app.experts_missing:
        return  # waiting for another expert
    grades = [r.grade for r in decided]
    majority = next((g for g in grades if grades.count(g) >= 2), None)
    if majority:
        _conclude(app, majority, on, "专家评定一致" if len(decided) == 2 else "三名专家多数意见")
    elif len(decided) == 2:
        _draw(app, Round.THIRD, 1)
    else:
        move(app, "to_committee", None, "三名专家意见不一致")
        _draw(app, Round.COMMITTEE, 1)


def _conclude(app: Application, grade: str, on: date, why: str) -> None:
    """A grade that reaches a benefit is published for the region's working days; one that does not
    is delivered at once (管理办法 2023: only benefit conclusions are published), and may still be
    objected to after delivery."""
    rule = rules(app.region_id, on)
    app.decided_grade = grade
    if grade not in rule.benefit_grades:
        _finish(app, grade, None, on + timedelta(days=1), action="deliver",
                note=f"{why}：{grade_label(grade)}，未达待遇等级，不公示，直接送达")
        return
    ends = rule.publicity_ends(on)
    app.publicity_from, app.publicity_until = on, ends.day
    app.dates_provisional |= ends.provisional
    move(app, "conclude", None, f"{why}：{grade_label(grade)}，公示至{app.publicity_until:%Y-%m-%d}")


# Publicity, objections and the certificate ------------------------------------------------------

def _objection_refused(app: Application, on: date) -> str | None:
    """Why an objection cannot be made now, if it cannot: after publicity ended it goes against the
    delivered certificate, while that is in force and was not settled by a dispute review already."""
    if app.state == State.IN_PUBLICITY:
        return f"公示期已于{app.publicity_until:%Y-%m-%d}结束，不能再提出异议" if on > app.publicity_until else None
    if app.state == State.CERTIFIED:
        if _has_dispute_review(app):
            return "争议复核结论为终局结论，不能再提出异议"
        cert = app.certificate
        if cert is None or cert.last_day < on:
            return "该评估结论已不在有效期内"
    return None


@transaction.atomic
def object_to(app: Application, user, *, reason: str, on: date | None = None) -> Objection:
    on = on or today()
    app = _locked(app)
    ensure(app, "object", user)
    if not reason.strip():
        raise ValidationError({"reason": "请写明异议理由"})
    if len(reason.strip()) > 500:
        raise ValidationError({"reason": "异议理由不能超过500个字"})
    refused = _objection_refused(app, on)
    if refused:
        raise NotAllowed(refused)
    objection = Objection.objects.create(application=app, reason=reason.strip(), filed_by=user)
    move(app, "object", user, reason)
    _draw(app, Round.DISPUTE, 1)
    return objection


@transaction.atomic
def certify(app: Application, user, *, on: date | None = None) -> Certificate:
    on = on or today()
    app = _locked(app)
    ensure(app, "certify", user)
    if on <= app.publicity_until:
        raise NotAllowed(f"公示期至{app.publicity_until:%Y-%m-%d}，期满后方可出具结论")
    return _finish(app, app.decided_grade, user, app.publicity_until + timedelta(days=1), action="certify")


def _finish(app: Application, grade: str, user, valid_from: date, *, action: str, note: str = "") -> Certificate:
    app.decided_grade = grade
    move(app, action, user, note)
    return issue_certificate(app, grade, valid_from)


def issue_certificate(app: Application, grade: str, valid_from: date) -> Certificate:
    """The certificate; a current one of the person (an earlier one of the same application too,
    after a dispute review) ends the day before it takes effect, so a lower grade ends the benefits
    it no longer supports on that date."""
    rule = rules(app.region_id, valid_from)
    task = app.site_assessments.exclude(visited_at__isnull=True).order_by("-id").first()
    for old in Certificate.objects.filter(person=app.person, valid_from__lt=valid_from, ended_on__isnull=True,
                                          valid_until__gte=valid_from):
        old.ended_on, old.end_reason = valid_from - timedelta(days=1), EndReason.SUPERSEDED
        old.save()
    cert = Certificate.objects.create(
        region_id=app.region_id, person=app.person, application=app, number=_unnumbered(),
        grade=grade, qualifies=grade in rule.benefit_grades, totals=task.totals if task else {},
        levels=task.levels if task else {}, valid_from=valid_from, valid_until=rule.valid_until(valid_from))
    cert.number = f"评估{region_of(app.region_id).division}-{valid_from:%Y}-{cert.pk:06d}"
    cert.save(update_fields=["number"])
    return cert


def grade_on(person: Person, day: date) -> Certificate | None:
    """The certificate in force on a day, if any (what settlement asks)."""
    return _current_certificate(person, day)


# The daily run ----------------------------------------------------------------------------------

@transaction.atomic
def tick(region: str, on: date | None = None) -> dict[str, int]:
    """What the calendar decides: certificates after publicity ends, expiry reminders."""
    on = on or today()
    certified = 0
    for app in Application.objects.filter(region_id=region, state=State.IN_PUBLICITY, publicity_until__lt=on):
        certify(app, None, on=on)
        certified += 1
    reminded = 0
    reminder_days = rules(region, on).expiry_reminder_days
    due = Certificate.objects.filter(region_id=region, ended_on__isnull=True, reminder__isnull=True,
                                     valid_until__gte=on, valid_until__lte=on + timedelta(days=reminder_days))
    for cert in due:
        Reminder.objects.create(certificate=cert, due_on=on)
        reminded += 1
    return {"certified": certified, "reminders": reminded}


# What pages and the API show -------------------------------------------------------------------

def actions_for(app: Application, user, on: date | None = None) -> list[str]:
    """The actions this user may take on the application now (the buttons a page shows)."""
    on = on or today()
    rule = rules(app.region_id, app.submitted_on)
    out = []
    for step in STEPS.values():
        if app.state not in step.sources or step.permission is None or not user.can(step.permission):
            continue
        if step.action in ("screen_pass", "screen_stop") and not rule.screening:
            continue
        if step.action == "accept" and rule.screening and app.state == State.SUBMITTED:
            continue
        if step.action == "certify" and on <= app.publicity_until:
            continue
        if step.action == "object" and _objection_refused(app, on):
            continue
        if step.action == "redraw" and not (app.experts_missing or _has_open_review(app)):
            continue
        if step.action in ("record_visit", "settle_dispute"):
            continue  # taken on the evaluator's own task page
        out.append(step.action)
    return out


def record_health_view(obj) -> None:
    """An application or certificate holds health data: every view of one is on the trail."""
    from ltci.audit.recorder import record_view

    record_view("health", obj)


def record_lead_view(region: str, rows: int) -> None:
    """Discovery leads name diagnoses and hardship: a listing of them is a view of health data."""
    record(Action.VIEW_HEALTH, object_type_="assessment.lead", region=region, detail={"rows": rows})


def publicity_list(region: str) -> list[dict]:
    """Conclusions in publicity that reach a benefit grade (管理办法 2023), names and numbers masked."""
    from ltci.audit.masking import mask_name

    out = []
    for app in (Application.objects.filter(region_id=region, state=State.IN_PUBLICITY).select_related("person")
                .order_by("publicity_until", "number")):
        if app.decided_grade in rules(region, app.publicity_from).benefit_grades:
            out.append({"number": app.number, "name": mask_name(app.person.name),
                        "id_number_masked": app.person.masked_id, "grade_label": grade_label(app.decided_grade),
                        "publicity_from": app.publicity_from, "publicity_until": app.publicity_until})
    return out
