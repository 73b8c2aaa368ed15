"""The insured's phone pages: home, apply, follow an application and object during publicity, care
(plans to confirm, visits to rate, bed-days, the institutions that serve them), choose an
institution, and the month's benefit with its explanation. Views are thin: services decide; every
page that shows health data goes on the trail."""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ltci.accounts.roles import (
    APPLICATION_SUBMIT,
    APPLICATION_VIEW,
    CARE_CHOOSE,
    CARE_RATE,
    CARE_VIEW,
    CLAIM_VIEW,
    OBJECTION_FILE,
)
from ltci.accounts.scope import get_visible_or_404
from ltci.assessment import services as assessment
from ltci.assessment.models import Channel, MaterialKind, Relation
from ltci.audit.recorder import record_view
from ltci.care import choices, plans, ratings
from ltci.care.geo import point
from ltci.care.models import CarePlan, PlanStatus, Visit
from ltci.core.errors import error_pairs, reasons
from ltci.core.values import BadValue, parse_date
from ltci.policy.self_assessment import activities as self_assessment_activities

from . import services

UPLOAD_KINDS = [MaterialKind.DISCHARGE_SUMMARY, MaterialKind.OUTPATIENT_RECORD, MaterialKind.DISABILITY_CERTIFICATE,
                MaterialKind.PLEDGE, MaterialKind.SELF_ASSESSMENT]
# Files of one application from the phone: each is checked for kind and size, and so is their number
# (else one form could store a hundred files of 10 MB each).
MAX_FILES = 10
STARS = [(n, "★" * n) for n in range(5, 0, -1)]


def _date(value, field) -> date:
    try:
        return parse_date(value)
    except BadValue as exc:
        raise ValidationError({field: str(exc)}) from None


def _int_or_none(value):
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value or "") else None


@login_required
def home(request):
    context = services.summary(request.user)
    record_view("health", context["person"], what="portal_home")
    return render(request, "portal/home.html", context)


@login_required
def apply(request):
    """The insured's online application: the applicant, the self-assessment, materials, the pledge."""
    person = services.insured(request.user, APPLICATION_SUBMIT)
    activities = self_assessment_activities()
    context = {"activities": activities, "relations": Relation.choices,
               # A form refused on the phone comes back filled in, the self-assessment's answers too.
               "questions": [(key, a["label"], request.POST.get(f"sa_{key}", "")) for key, a in activities.items()],
               "kinds": [(k.value, k.label) for k in UPLOAD_KINDS], "values": request.POST, "person": person,
               "today": services.today(), "max_files": MAX_FILES}
    if request.method == "POST":
        materials = [(k.value, f) for k in UPLOAD_KINDS for f in request.FILES.getlist(f"file_{k.value}")]
        try:
            if len(materials) > MAX_FILES:
                raise ValidationError({"materials": f"一次申请最多上传{MAX_FILES}个文件"})
            app = assessment.submit(
                user=request.user, person=person, channel=Channel.ONLINE,
                applicant_name=request.POST.get("applicant_name", ""),
                applicant_relation=request.POST.get("applicant_relation", ""),
                applicant_phone=request.POST.get("applicant_phone", ""),
                disabled_since=_date(request.POST.get("disabled_since"), "disabled_since"),
                self_assessment={a: request.POST.get(f"sa_{a}", "") for a in context["activities"]},
                pledge_signed=request.POST.get("pledge_signed") == "on",
                materials=materials,
                trigger=request.POST.get("trigger", "") if request.POST.get("trigger") == "expiry" else "")
        except assessment.PrecheckFailed as exc:
            context["precheck"] = exc.reasons
        except ValidationError as exc:
            context["errors"] = error_pairs(exc)
        else:
            messages.success(request, f"申请 {app.number} 已提交，受理时限 {app.intake_due:%Y-%m-%d}。")
            return redirect("portal:application", app.pk)
        return render(request, "portal/apply.html", context, status=422)
    return render(request, "portal/apply.html", context)


@login_required
def application(request, pk: int):
    """Where the application stands: each step with its date, publicity and the objection form."""
    services.insured(request.user, APPLICATION_VIEW)
    app = get_visible_or_404(services.applications(request.user, scoped=False).prefetch_related("transitions", "materials"),
                             request.user, pk=pk)
    assessment.record_health_view(app)
    actions = assessment.actions_for(app, request.user)
    return render(request, "portal/application.html", {
        "app": app, "may_object": "object" in actions and request.user.can(OBJECTION_FILE),
        "certificate": app.certificate,
        "grade_label": assessment.grade_label(app.decided_grade) if app.decided_grade else "",
        "objections": app.objections.all(), "today": services.today(), "timeline": services.timeline(app)})


@login_required
@require_POST
def object_to(request, pk: int):
    services.insured(request.user, OBJECTION_FILE)
    app = get_visible_or_404(services.applications(request.user, scoped=False), request.user, pk=pk)
    try:
        assessment.object_to(app, request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, reasons(exc))
    else:
        messages.success(request, "异议已提交，将由评估专家委员会复核。")
    return redirect("portal:application", app.pk)


@login_required
def care(request):
    """The care the person receives: the mode, plans, this month's bed-days, recent visits to rate,
    and the institutions that serve them, to review once a month."""
    person = services.insured(request.user, CARE_VIEW)
    on = services.today()
    record_view("health", person, what="portal_care")
    served = services.served_institutions(person, on)
    return render(request, "portal/care.html", {
        "person": person, "mode": choices.mode_on(person, on), "plans": services.plans(request.user)[:6],
        "visits": services.recent_visits(request.user, on), "stays": services.stays(request.user, on),
        "served": [{"institution": i, "reviewed": ratings.review_this_month(i, person.pk, on)} for i in served],
        "stars": STARS, "may_rate": request.user.can(CARE_RATE), "today": on,
        "comment_max": ratings.COMMENT_MAX})


@login_required
def plan(request, pk: int):
    services.insured(request.user, CARE_VIEW)
    item = get_visible_or_404(CarePlan.objects.select_related("institution"), request.user, pk=pk)
    record_view("health", item, what="care_plan")
    return render(request, "portal/plan.html", {
        "plan": item, "items": item.items.select_related("item"), "remaining": plans.remaining(item),
        "may_confirm": item.status == PlanStatus.DRAFT and plans.may_confirm(request.user, item)})


@login_required
@require_POST
def confirm_plan(request, pk: int):
    services.insured(request.user, CARE_VIEW)
    item = get_visible_or_404(CarePlan.objects.all(), request.user, pk=pk)
    try:
        plans.confirm(item, request.user)
    except ValidationError as exc:
        messages.error(request, reasons(exc))
    else:
        messages.success(request, "护理计划已确认，机构将按计划提供服务。")
    return redirect("portal:plan", item.pk)


@login_required
@require_POST
def rate_visit(request, pk: int):
    """A visit's stars and comment; under htmx the visit's card comes back in place (with the reason
    when refused), otherwise the care page."""
    services.insured(request.user, CARE_RATE)
    visit = get_visible_or_404(Visit.objects.select_related("carer", "institution"), request.user, pk=pk)
    htmx = request.headers.get("HX-Request") == "true"
    status, error = 200, None
    try:
        ratings.rate_visit(visit, request.user, score=request.POST.get("score", ""),
                           comment=request.POST.get("comment", ""))
    except ratings.Refused as exc:
        status, error = 409, reasons(exc)
    except ValidationError as exc:
        status, error = 422, reasons(exc)
    if not htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, "感谢您的评价。")
        return redirect("portal:care")
    rating = ratings.rating_of(visit)
    row = next((r for r in services.recent_visits(request.user, services.today()) if r.visit.pk == visit.pk), None) \
        or services.VisitRow(visit, rating, None if rating else ratings.why_not_rateable(visit), visit.items)
    return render(request, "portal/_visit.html", {"row": row, "error": error, "stars": STARS, "may_rate": True,
                                                  "comment_max": ratings.COMMENT_MAX, "values": request.POST,
                                                  "just_rated": error is None}, status=status)


@login_required
@require_POST
def review_institution(request, pk: int):
    """Only an institution that serves or served the person is there to review; others do not exist here."""
    person = services.insured(request.user, CARE_RATE)
    institution = services.reviewable_institution(person, pk)
    try:
        ratings.rate_institution(institution, request.user, score=request.POST.get("score", ""),
                                 comment=request.POST.get("comment", ""))
    except ValidationError as exc:
        messages.error(request, reasons(exc))
    else:
        messages.success(request, f"已评价{institution.name}，感谢您的反馈。")
    return redirect("portal:care")


@login_required
def institutions(request):
    """Jiaxing's service platform: the institutions the person may choose, most stars first, then
    nearest (to the phone's location when shared, else the recorded home)."""
    person = services.insured(request.user, CARE_CHOOSE)
    on = services.today()
    near, errors = None, []
    if request.GET.get("lat") or request.GET.get("lon"):
        try:
            near = point(request.GET.get("lat"), request.GET.get("lon"))
        except ValidationError as exc:
            errors = error_pairs(exc)
    offers = choices.offers(person, on, near=near)
    current = choices.mode_on(person, on)
    return render(request, "portal/institutions.html", {
        "offers": offers, "near": near, "home": choices.home_point(person), "current": current, "errors": errors,
        "tomorrow": on + timedelta(days=1), "values": request.POST}, status=422 if errors else 200)


@login_required
@require_POST
def choose(request):
    services.insured(request.user, CARE_CHOOSE)
    try:
        done = services.choose_institution(
            request.user, institution_id=_int_or_none(request.POST.get("institution")),
            mode=request.POST.get("mode", ""), effective_from=_date(request.POST.get("effective_from"), "effective_from"))
    except ValidationError as exc:
        messages.error(request, reasons(exc))
        return redirect("portal:institutions")
    messages.success(request, f"已选择{done.institution.name}（{done.get_mode_display()}），"
                              f"{done.effective_from:%Y-%m-%d}起生效。")
    return redirect("portal:care")


@login_required
def benefits(request):
    """A month's benefit: each line's days, amounts and the explanation of how it was computed."""
    person = services.insured(request.user, CLAIM_VIEW)
    raw = request.GET.get("month", "")
    month = services.last_month(services.today())
    error = None
    if raw:
        if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", raw):
            month = date(int(raw[:4]), int(raw[5:]), 1)
        else:
            error = "月份格式为 YYYY-MM"
    context = services.benefit(person, month)
    record_view("health", person, what="benefit_statement", month=f"{month:%Y-%m}")
    context.update({"months": services.benefit_months(person), "error": error})
    return render(request, "portal/benefits.html", context, status=422 if error else 200)
