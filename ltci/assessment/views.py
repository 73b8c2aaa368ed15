"""Pages of the assessment flow, one per role's work: the workbench, applying, an application with
the actions its state allows, the assessor's phone form, the blind review, publicity, certificates,
and the agency's reports. Views are thin: services decide."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ltci.accounts.roles import (
    APPLICATION_HANDLE,
    APPLICATION_SUBMIT,
    APPLICATION_VIEW,
    ASSESSMENT_REPORT,
    CERTIFICATE_VIEW,
    COMMITTEE_DECIDE,
    REVIEW_DECIDE,
    SITE_ASSESS,
)
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.core import confirm
from ltci.core.errors import error_pairs
from ltci.core.errors import reasons as reasons_of
from ltci.core.values import BadValue, parse_date
from ltci.core.paging import page_of, querystring_without_page
from ltci.enrolment.models import Person
from ltci.policy.scale import load_scale
from ltci.policy.self_assessment import activities as self_assessment_activities
from ltci.providers.models import Institution

from . import blind, discovery, reports, services, tasks
from .flow import FINAL, OPEN, STEPS, State
from .models import (
    Channel,
    LeadSource,
    LeadStatus,
    Material,
    MaterialKind,
    Relation,
    Reminder,
    Trigger,
)
from .pdf import certificate_pdf

# The steps that take a note on the page: (its label, whether it is required).
NOTES = {"refuse": ("不予受理原因", True), "screen_pass": ("说明", False), "screen_stop": ("终止原因", True),
         "object": ("异议理由", True), "withdraw": ("说明", False), "reassign": ("改派原因", True)}

UPLOAD_KINDS = [MaterialKind.DISCHARGE_SUMMARY, MaterialKind.OUTPATIENT_RECORD, MaterialKind.DISABILITY_CERTIFICATE,
                MaterialKind.PLEDGE, MaterialKind.SELF_ASSESSMENT]


@login_required
def workbench(request):
    """Each role's queue: the agency's applications by state, an evaluator's tasks, an expert's
    reviews, the insured's own applications and certificates."""
    user = request.user
    context = {"today": services.today(), "may_see_publicity": user.can(CERTIFICATE_VIEW)}
    if user.can(APPLICATION_VIEW):
        apps = tasks.applications_for(user)
        state = request.GET.get("state", "")
        queue = tasks.queue_counts(apps, context["today"])
        # The open states with their counts, the final ones (never a clerk's work) without.
        context["states"] = [(s.value, f"{s.label}（{queue.by_state[s.value]}）") for s in State
                             if queue.by_state.get(s.value)] + [(s.value, s.label) for s in State if s in FINAL]
        listed = apps.filter(state=state) if state else apps
        context["page"] = page_of(listed.order_by("-id"), request, capped=state not in OPEN,
                                  count=tasks.listed_count(apps, queue, state))
        context["state"], context["querystring"] = state, querystring_without_page(request.GET)
        context["overdue_intake"], context["overdue_conclusion"] = queue.overdue_intake, queue.overdue_conclusion
        context["certificates"] = tasks.certificates_for(user).order_by("-valid_from")[:10]
        # From the few reminders to their certificates, not through a city's every certificate (0027).
        context["reminders"] = tasks.certificates_for(user).filter(
            pk__in=Reminder.objects.values("certificate_id"), ended_on__isnull=True, valid_until__gte=context["today"])
    if user.can(SITE_ASSESS):
        context["site_tasks"] = tasks.site_tasks_for(user)
        context["site_done"] = tasks.site_tasks_for(user, done=True)[:10]
    if user.can(REVIEW_DECIDE):
        context["reviews"] = tasks.reviews_for(user)
        context["reviews_done"] = tasks.reviews_for(user, done=True)[:10]
    context["may_apply"] = user.can(APPLICATION_SUBMIT)
    context["may_report"] = user.can(ASSESSMENT_REPORT)
    if user.region_id:
        context["rules"] = services.rules(user.region_id, context["today"])
    return render(request, "assessment/workbench.html", context)


def _ratings(post) -> dict:
    return {a: post.get(f"sa_{a}", "") for a in self_assessment_activities()}


@login_required
def apply(request):
    user = request.user
    require(user, APPLICATION_SUBMIT)
    chosen = _ratings(request.POST)  # a refused form comes back with every answer chosen
    context = {"activities": {k: {**a, "chosen": chosen[k]} for k, a in self_assessment_activities().items()},
               "relations": Relation.choices,
               "kinds": [(k.value, k.label) for k in UPLOAD_KINDS], "triggers": Trigger.choices,
               "institutions": visible(Institution.objects.all(), user), "for_self": bool(user.person_id),
               "values": request.POST, "today": services.today()}
    if request.method == "POST":
        try:
            person = _person_for(request)
            materials = [(k.value, f) for k in UPLOAD_KINDS for f in request.FILES.getlist(f"file_{k.value}")]
            institution_id = request.POST.get("serving_institution") or None
            if institution_id is not None and not institution_id.isdigit():
                raise ValidationError({"serving_institution": "请从列表中选择机构"})
            app = services.submit(
                user=user, person=person, channel=Channel.ONLINE if user.person_id else Channel.COUNTER,
                applicant_name=request.POST.get("applicant_name", ""),
                applicant_relation=request.POST.get("applicant_relation", ""),
                applicant_phone=request.POST.get("applicant_phone", ""),
                disabled_since=_date(request.POST.get("disabled_since"), "disabled_since"),
                self_assessment=_ratings(request.POST), pledge_signed=request.POST.get("pledge_signed") == "on",
                materials=materials, trigger=request.POST.get("trigger", ""),
                acceptance_point=request.POST.get("acceptance_point", "") if not user.person_id else "",
                serving_institution=(get_visible_or_404(Institution.objects.all(), user, pk=institution_id)
                                     if institution_id else None))
        except services.PrecheckFailed as exc:
            context["precheck"] = exc.reasons
        except ValidationError as exc:
            context["errors"] = error_pairs(exc)
        else:
            messages.success(request, f"申请 {app.number} 已提交，受理时限 {app.intake_due:%Y-%m-%d}。")
            return redirect("assessment:detail", app.pk)
        return render(request, "assessment/apply.html", context, status=422)
    return render(request, "assessment/apply.html", context)


def _date(value, field) -> date:
    try:
        return parse_date(value)
    except BadValue as exc:
        raise ValidationError({field: str(exc)}) from None


def _person_for(request) -> Person:
    user = request.user
    if user.person_id:
        return user.person
    require(user, APPLICATION_HANDLE)
    number = (request.POST.get("id_number") or "").strip().upper()
    person = visible(Person.objects.all(), user).filter(id_number=number).first()
    if person is None:
        raise ValidationError({"id_number": "本地区参保登记中没有该证件号码"})
    return person


@login_required
def detail(request, pk: int):
    user = request.user
    require(user, APPLICATION_VIEW)
    app = get_visible_or_404(tasks.applications_for(user).prefetch_related("materials", "transitions__by"), user, pk=pk)
    services.record_health_view(app)
    site = app.site_assessments.select_related("first__user", "second__user").order_by("-id")
    return render(request, "assessment/detail.html", {
        "app": app, "site": site,
        "actions": [{"action": a, "label": STEPS[a].label, "note_label": NOTES.get(a, ("", False))[0],
                     "note_required": NOTES.get(a, ("", False))[1]} for a in services.actions_for(app, user)],
        "action_names": services.actions_for(app, user),
        "reviews": app.reviews.select_related("expert__user") if user.can(APPLICATION_HANDLE) else [],
        "open_reviews": services.open_reviews(app) if user.can(APPLICATION_HANDLE) else [],
        "objections": app.objections.all(), "certificate": getattr(app, "certificate", None),
        "grade_label": services.grade_label(app.decided_grade) if app.decided_grade else "",
        "may_handle": user.can(APPLICATION_HANDLE), "today": services.today(),
    })


@login_required
@require_POST
def act(request, pk: int, action: str):
    """One button of the application page; the service refuses what the flow does not allow."""
    user = request.user
    if action not in STEPS or STEPS[action].permission is None:
        raise Http404("unknown action")
    require(user, STEPS[action].permission)
    require(user, APPLICATION_VIEW)
    app = get_visible_or_404(tasks.applications_for(user), user, pk=pk)
    note = request.POST.get("note", "")
    handlers = {
        "accept": lambda: services.accept(app, user),
        "refuse": lambda: services.refuse(app, user, reason=note),
        "screen_pass": lambda: services.screen(app, user, passed=True, note=note),
        "screen_stop": lambda: services.screen(app, user, passed=False, note=note),
        "assign": lambda: services.assign(app, user),
        "reassign": lambda: services.reassign(app, user, reason=note),
        "redraw": lambda: services.redraw(app, user, reason=note, review=_review_of(app, request.POST.get("review"))),
        "withdraw": lambda: services.withdraw(app, user, reason=note),
        "object": lambda: services.object_to(app, user, reason=note),
        "certify": lambda: services.certify(app, user),
    }
    if action not in handlers:
        raise Http404("unknown action")
    try:
        if action == "certify":  # the conclusion decides benefits: shown before it is issued
            done = confirm.run(request, handlers[action], _certificate_summary)
            if isinstance(done, confirm.Asked):
                return confirm.page(request, done, back=reverse("assessment:detail", args=[app.pk]))
        else:
            handlers[action]()
    except ValidationError as exc:
        messages.error(request, reasons_of(exc))
    else:
        messages.success(request, f"已办理：{STEPS[action].label}")
    return redirect("assessment:detail", app.pk)


def _certificate_summary(cert) -> confirm.Summary:
    from .models import Certificate

    app = cert.application
    ended = Certificate.objects.filter(person=cert.person, ended_on=cert.valid_from - timedelta(days=1)).exclude(pk=cert.pk)
    lines = [("申请编号", app.number), ("参保人", f"{cert.person.name}（{cert.person.masked_id}）"),
             ("评估结论", services.grade_label(cert.grade)),
             ("长期护理保险待遇", "达到待遇等级，可享受待遇" if cert.qualifies else "未达到待遇等级，不享受待遇"),
             ("有效期", f"{cert.valid_from:%Y-%m-%d} 至 {cert.valid_until:%Y-%m-%d}")]
    lines += [("原评估结论", f"{services.grade_label(c.grade)}，于{c.ended_on:%Y-%m-%d}终止") for c in ended]
    return confirm.Summary("确认出具评估结论", lines, button="确认出具结论",
                           warning="结论出具后即生效，不能撤回；对结论有异议的，按复评程序办理。")


def _review_of(app, value):
    """The review a clerk asks to replace, if one is named (any other value names none)."""
    if not (value or "").isdigit():
        return None
    return app.reviews.filter(pk=int(value)).first()


@login_required
def site_task(request, pk: int):
    """The assessor's phone form: the full scale (or the municipal level), the guardian present,
    a photo and the location of the visit."""
    user = request.user
    require(user, SITE_ASSESS)
    task = get_visible_or_404(tasks.site_tasks_for(user), user, pk=pk)
    app = task.application
    rule = services.rules(app.region_id, services.today())
    scale = load_scale(rule.scale).form() if rule.scale else None
    if scale and request.method == "POST":  # a refused form comes back with every answer chosen
        for ind in scale:
            for item in ind["items"]:
                item["chosen"] = request.POST.get(f"{ind['id']}.{item['id']}", "")
    context = {"task": task, "app": app, "scale": scale, "rule": rule,
               "grades": [(g, services.grade_label(g)) for g in rule.grades], "values": request.POST}
    if request.method == "POST":
        try:
            scores = None
            if scale:
                scores = _scores(scale, request.POST)
            done = services.record_visit(
                app, user, scores=scores, level=request.POST.get("level", ""),
                external_reference=request.POST.get("external_reference", ""),
                guardian=request.POST.get("guardian", ""), photo=request.FILES.get("photo"),
                latitude=request.POST.get("latitude", ""), longitude=request.POST.get("longitude", ""))
        except ValidationError as exc:
            context["errors"] = error_pairs(exc)
            return render(request, "assessment/site_task.html", context, status=422)
        messages.success(request, f"现场评估已提交，系统初评：{services.grade_label(done.proposed_grade)}。")
        return redirect("assessment:workbench")
    services.record_health_view(app)
    return render(request, "assessment/site_task.html", context)


def _scores(scale, post) -> dict:
    """The scale's answers; every unanswered item is named at once, not the first only."""
    scores, missing = {}, {}
    for ind in scale:
        scores[ind["id"]] = {}
        for item in ind["items"]:
            try:
                scores[ind["id"]][item["id"]] = int(post.get(f"{ind['id']}.{item['id']}"))
            except (TypeError, ValueError):
                missing[f"scale.{ind['id']}.{item['id']}"] = f"请选择“{item['label']}”的得分"
    if missing:
        raise ValidationError(missing)
    return scores


@login_required
def review(request, pk: int):
    """The blind review: the case without the assessors' names or another expert's grade."""
    user = request.user
    require(user, REVIEW_DECIDE)
    item = get_visible_or_404(tasks.reviews_for(user).select_related("application"), user, pk=pk)
    if item.round in ("committee", "dispute"):
        require(user, COMMITTEE_DECIDE)
    rule = services.rules(item.application.region_id, services.today())
    context = {"review": item, "case": blind.case(item), "grades": [(g, services.grade_label(g)) for g in rule.grades],
               "values": request.POST}
    if request.method == "POST":
        try:
            services.decide(item, user, grade=request.POST.get("grade", ""), reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            context["errors"] = error_pairs(exc)
            return render(request, "assessment/review.html", context, status=422)
        messages.success(request, "评定已提交。")
        return redirect("assessment:workbench")
    services.record_health_view(item.application)
    return render(request, "assessment/review.html", context)


@login_required
def material(request, pk: int):
    """A material's file, to whoever may see the application or has a task on it; each download is
    a view of health data on the trail."""
    user = request.user
    item = Material.objects.select_related("application").filter(pk=pk).first()
    if item is None:
        raise Http404("not found")
    app = item.application
    may = (user.can(APPLICATION_VIEW) and tasks.applications_for(user).filter(pk=app.pk).exists()) or \
        tasks.reviews_for(user).filter(application=app).exists() or \
        tasks.site_tasks_for(user).filter(application=app).exists()
    if not may:
        get_visible_or_404(tasks.applications_for(user), user, pk=app.pk)  # records the denial, answers 404
    services.record_health_view(app)
    path = Path(settings.UPLOAD_DIR) / item.path
    return FileResponse(path.open("rb"), content_type=item.content_type, filename=item.name)


@login_required
def certificate(request, pk: int):
    require(request.user, CERTIFICATE_VIEW)
    cert = get_visible_or_404(tasks.certificates_for(request.user), request.user, pk=pk)
    services.record_health_view(cert)
    response = HttpResponse(certificate_pdf(cert), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{cert.number}.pdf"'
    return response


@login_required
def publicity(request):
    require(request.user, CERTIFICATE_VIEW)
    return render(request, "assessment/publicity.html", {"rows": services.publicity_list(request.user.region_id)})


@login_required
def ranking(request):
    """Changning 二(二)1: who asks for re-assessment most, and through which institution."""
    require(request.user, ASSESSMENT_REPORT)
    today = services.today()
    errors = {}
    try:
        start = parse_date(request.GET["start"]) if request.GET.get("start") else today - timedelta(days=365)
        end = parse_date(request.GET["end"]) if request.GET.get("end") else today
    except BadValue as exc:
        errors["period"] = str(exc)
        start, end = today - timedelta(days=365), today
    if end < start:
        errors["period"] = "结束日期不能早于开始日期"
        start, end = end, start
    region = request.user.region_id
    context = {"start": start, "end": end, "errors": errors,
               "ranking": reports.reassessment_ranking(region, start, end)}
    person_id, institution_id = (_id(request.GET.get(k)) for k in ("person", "institution"))
    if person_id or institution_id:
        context["drill"] = reports.ranking_drilldown(region, start, end, person_id=person_id,
                                                     institution_id=institution_id)
    return render(request, "assessment/ranking.html", context, status=422 if errors else 200)


def _id(value) -> int | None:
    return int(value) if (value or "").isdigit() else None


@login_required
def leads(request):
    """Jiaxing's active discovery: import another department's list, contact who may qualify."""
    user = request.user
    require(user, ASSESSMENT_REPORT)
    rule = services.rules(user.region_id, services.today())
    context = {"rule": rule, "sources": LeadSource.choices, "statuses": LeadStatus.choices,
               "may_handle": user.can(APPLICATION_HANDLE)}
    if request.method == "POST":
        require(user, APPLICATION_HANDLE)
        try:
            context["report"] = discovery.import_leads(user.region_id, request.POST.get("source", ""),
                                                       request.FILES.get("file"), user)
        except ValidationError as exc:
            context["errors"] = error_pairs(exc)
    context["page"] = page_of(discovery.leads_for(user.region_id), request)
    context["querystring"] = querystring_without_page(request.GET)
    services.record_lead_view(user.region_id, len(context["page"].object_list))
    return render(request, "assessment/leads.html", context, status=422 if context.get("errors") else 200)


@login_required
@require_POST
def mark_lead(request, pk: int):
    from .models import Lead

    require(request.user, APPLICATION_HANDLE)
    lead = get_visible_or_404(Lead.objects.all(), request.user, pk=pk)
    try:
        discovery.mark_lead(lead, request.user, request.POST.get("status", ""), request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, reasons_of(exc))
    return redirect("assessment:leads")


