"""The carer's phone page: today's visits, check in at a beneficiary's home, check out with the items
of the person's plan done and the face check's result. Each form carries a request id made when the
page was drawn, so a double tap or a resubmission is the same request, never a second visit. A visit
away from the home or without a location is recorded and the carer told at once that it waits for
the agency, which decides on the acceptance pages."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ltci.accounts.roles import CARE_CHANGE, CARE_VIEW, VISIT_ACCEPT, VISIT_RECORD
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.assessment.services import grade_on
from ltci.core.errors import error_pairs, reasons
from ltci.policy.errors import PolicyError
from ltci.policy.plans import plan_limit
from ltci.providers.catalogue import items_of

from . import holds, plans, visits
from .clients import clients_of
from .choices import mode_on
from .models import VISITED_MODES, CarePlan, FaceCheck, PlanStatus, Visit

# The face check's answers as the carer picks one: 未核验 first and preselected, so that 通过 is
# always the carer's own choice (the external verifier's result, when there is one).
FACE_CHECKS = [(FaceCheck.NOT_DONE.value, FaceCheck.NOT_DONE.label), (FaceCheck.PASSED.value, FaceCheck.PASSED.label),
               (FaceCheck.FAILED.value, FaceCheck.FAILED.label)]
NO_LOCATION = ("未取得手机位置。请在手机设置和浏览器中允许本网站使用位置信息后重试；仍无法定位时，"
               "可点「不定位{what}」，本次服务记为未定位异常，经办机构受理后才纳入结算。")


def _whole(value: str) -> bool:
    """ASCII digits only, at most nine (str.isdigit also takes "²" and other digits int() refuses)."""
    return bool(re.fullmatch(r"[0-9]{1,9}", value or ""))


@login_required
def today(request):
    require(request.user, VISIT_RECORD)
    return _today_page(request)


def _today_page(request, kept: dict | None = None, status: int = 200):
    """The page; after a refusal, with what the carer chose in the refused form (`kept`) and 422."""
    from .ratings import recent_for_carer

    day = timezone.localdate()
    names = dict(items_of(request.user.region_id, day).values_list("code", "name"))
    rows = list(visits.today_for(request.user))
    for v in rows:
        v.item_names = [names.get(code, code) for code in v.items]
        v.notice = holds.notice(v)
        if v.checkout_at is None:  # the check-out offers the items of the plan confirmed for that day
            plan = plans.plan_on(v.person, timezone.localtime(v.checkin_at).date())
            v.plan_items = list(plan.items.select_related("item").order_by("item__code")) if plan else []
    return render(request, "care/today.html", {
        "visits": rows, "people": visits.beneficiaries_for(request.user, day),
        "ratings": recent_for_carer(visits.carer_of(request.user)),
        "request_id": uuid.uuid4().hex, "face_checks": FACE_CHECKS, "today": day, "kept": kept or {},
    }, status=status)


def _refused(request, exc_or_text, **kept):
    messages.error(request, exc_or_text if isinstance(exc_or_text, str) else reasons(exc_or_text))
    return _today_page(request, kept, status=422)


def _located(request) -> bool:
    """Whether the form may go on: it has a location, or the carer chose to go on without one."""
    if (request.POST.get("latitude") or "").strip() or (request.POST.get("longitude") or "").strip():
        return True
    return request.POST.get("no_location") == "1"


def _told(request, visit: Visit, done: str) -> None:
    """The carer's answer: what was recorded, and at once whether it waits for the agency and why."""
    messages.success(request, done)
    if notice := holds.notice(visit):
        messages.warning(request, notice)


@login_required
@require_POST
def check_in(request):
    require(request.user, VISIT_RECORD)
    carer = visits.carer_of(request.user)
    raw = request.POST.get("person") or ""
    person = (clients_of(carer.institution_id).filter(pk=int(raw), region_id=carer.region_id).first()
              if _whole(raw) else None)
    if not _located(request):
        return _refused(request, NO_LOCATION.format(what="签到"), person=raw, checkin_help=True)
    try:
        if person is None:
            raise ValidationError({"person": "请选择本机构的服务对象"})
        visit = visits.check_in(request.user, person=person, request_id=request.POST.get("request_id", ""),
                                latitude=request.POST.get("latitude", ""), longitude=request.POST.get("longitude", ""))
    except ValidationError as exc:
        return _refused(request, exc, person=raw)
    else:
        distance = (f"，距居所 {visit.checkin_distance_m} 米" if visit.checkin_distance_m is not None
                    else "，未定位" if visit.checkin_latitude is None else "")
        _told(request, visit, f"已签到：{person.name} {timezone.localtime(visit.checkin_at):%H:%M}{distance}")
    return redirect("care:today")


@login_required
@require_POST
def check_out(request, pk: int):
    require(request.user, VISIT_RECORD)
    visit = Visit.objects.filter(pk=pk, carer=visits.carer_of(request.user)).first()
    if visit is None:
        messages.error(request, "不是本人的服务记录")
        return redirect("care:today")
    items = request.POST.getlist("items")
    kept = {"visit": visit.pk, "items": items, "face_check": request.POST.get("face_check", FaceCheck.NOT_DONE),
            "notes": request.POST.get("notes", "")}
    if not _located(request):
        return _refused(request, NO_LOCATION.format(what="签退"), help=True, **kept)
    try:
        done = visits.check_out(request.user, visit, request_id=request.POST.get("request_id", ""),
                                latitude=request.POST.get("latitude", ""), longitude=request.POST.get("longitude", ""),
                                items=items, face_check=kept["face_check"], notes=kept["notes"])
    except ValidationError as exc:
        return _refused(request, exc, **kept)
    else:
        distance = f"，距居所 {done.checkout_distance_m} 米" if done.checkout_distance_m is not None else ""
        _told(request, done, f"已签退：{visit.person.name}{distance}")
    return redirect("care:today")


@login_required
def plan_list(request):
    """Plans the user may see: the agency's region, the institution's clients, the insured's own."""
    require(request.user, CARE_VIEW)
    rows = visible(CarePlan.objects.select_related("person", "institution"), request.user)[:200]
    may_draft = request.user.can(CARE_CHANGE)
    return render(request, "care/plan_list.html", {
        "plans": rows, "may_draft": may_draft,
        "awaiting": plans.awaiting(request.user, timezone.localdate()) if may_draft else []})


@login_required
def plan_new(request, person_id: int):
    """The plan editor: each catalogue item with its price and times a month; the limit and what is left."""
    require(request.user, CARE_CHANGE)
    person = plans.person_for_drafting(request.user, person_id)
    day = timezone.localdate()
    catalogue = list(items_of(person.region_id, day))
    for item in catalogue:  # a refused plan comes back with every number typed
        item.typed = request.POST.get(f"n_{item.code}", "")
    context = {"person": person, "catalogue": catalogue, "values": request.POST,
               "valid_from": request.POST.get("valid_from", day.isoformat())}
    choice = mode_on(person, day)
    cert = grade_on(person, day)
    if choice and cert and choice.mode in VISITED_MODES:
        try:
            context["limit"] = plan_limit(person.region_id, day, choice.mode, cert.grade)
        except PolicyError:
            context["limit"] = None
    if request.method == "POST":
        picked = []
        for item in context["catalogue"]:
            raw = (request.POST.get(f"n_{item.code}") or "").strip()
            if raw:
                picked.append((item.code, int(raw) if _whole(raw) else -1))
        raw_visits = (request.POST.get("visits_per_week") or "").strip()
        try:
            plan = plans.draft(person, request.user, valid_from=_day(request.POST.get("valid_from")), items=picked,
                               visits_per_week=int(raw_visits) if _whole(raw_visits) else None)
        except ValidationError as exc:
            context["errors"] = error_pairs(exc)
            return render(request, "care/plan_new.html", context, status=422)
        messages.success(request, f"护理计划已保存，月度合计 {plan.total} 元，待本人确认。")
        return redirect("care:plan_detail", plan.pk)
    return render(request, "care/plan_new.html", context)


def _day(value):
    from ltci.core.values import BadValue, parse_date

    try:
        return parse_date(value)
    except BadValue as exc:
        raise ValidationError({"valid_from": str(exc)}) from None


@login_required
def plan_detail(request, pk: int):
    require(request.user, CARE_VIEW)
    plan = get_visible_or_404(CarePlan.objects.select_related("person", "institution"), request.user, pk=pk)
    if request.method == "POST":
        try:
            plans.confirm(plan, request.user)
        except ValidationError as exc:
            messages.error(request, reasons(exc))
        else:
            messages.success(request, "护理计划已确认，机构可以按计划提供服务。")
        return redirect("care:plan_detail", plan.pk)
    may_confirm = plan.status == PlanStatus.DRAFT and plans.may_confirm(request.user, plan)
    return render(request, "care/plan_detail.html", {
        "plan": plan, "items": plan.items.select_related("item"), "remaining": plans.remaining(plan),
        "may_confirm": may_confirm, "may_open_person": _sees_people(request.user),
        "may_redraft": plan.status == PlanStatus.CONFIRMED and request.user.can(CARE_CHANGE)})


@login_required
def event_list(request):
    """Events that change benefits in the user's scope, and the imports of the medical insurance
    system's inpatient records and of civil affairs' deaths, each answered with its row-by-row report."""
    from django.db.models import Exists, OuterRef

    from ltci.core.uploads import save_upload

    from . import events
    from .models import CareEvent

    require(request.user, CARE_VIEW)
    imports = {"inpatient": ("住院数据", events.import_inpatient, events.INPATIENT_COLUMNS),
               "deaths": ("死亡数据", events.import_deaths, events.DEATH_COLUMNS)}
    context = {"may_import": request.user.can(CARE_CHANGE), "may_open_person": _sees_people(request.user),
               "imports": [(key, label, "、".join(c.header for c in columns)) for key, (label, _, columns) in imports.items()]}
    if request.method == "POST":
        require(request.user, CARE_CHANGE)
        which = request.POST.get("which", "")
        try:
            if which not in imports:
                raise ValidationError({"which": "请选择要导入的数据"})
            label, run, _ = imports[which]
            path, _ = save_upload(request.FILES.get("file"), subdir="care-events")
            context["report"] = run(request.user.region_id, path, request.user)
            context["report_label"] = label
        except ValidationError as exc:
            context["errors"] = error_pairs(exc)
    newer = CareEvent.objects.filter(corrects=OuterRef("pk"))
    context["events"] = (visible(CareEvent.objects.select_related("person", "entered_by"), request.user)
                         .annotate(corrected=Exists(newer)).order_by("-entered_at", "-id")[:200])
    return render(request, "care/events.html", context, status=422 if context.get("errors") else 200)


@login_required
def acceptance_list(request):
    """The agency's list of visits that wait for it (late, away from the home, no location), oldest first."""
    require(request.user, VISIT_ACCEPT)
    rows = list(visits.pending_acceptance(request.user)[:200])
    for v in rows:
        v.reasons = holds.reason_texts(v)
    radius, basis = holds.checkin_radius(request.user.region_id, timezone.localdate())
    return render(request, "care/acceptance_list.html", {"visits": rows, "limit_days": _limit_days(request.user),
                                                         "radius": radius, "radius_basis": basis})


@login_required
def acceptance_detail(request, pk: int):
    """One held visit with what is known of it and why it waits; the decision (or its reversal) is taken here."""
    require(request.user, VISIT_ACCEPT)
    visit = get_visible_or_404(Visit.objects.select_related("person", "carer", "institution", "acceptance_by"),
                               request.user, pk=pk)
    if request.method == "POST":
        accept = request.POST.get("decision") == "accept"
        try:
            visits.decide_acceptance(visit, request.user, accept=accept, note=request.POST.get("note", ""))
        except ValidationError as exc:
            messages.error(request, reasons(exc))
            return render(request, "care/acceptance_detail.html", _acceptance_context(request, visit), status=422)
        messages.success(request, f"已{'受理' if accept else '不予受理'}：{visit.person.name} "
                                  f"{timezone.localtime(visit.checkin_at):%Y-%m-%d %H:%M} 的上门服务")
        return redirect("care:acceptance_list")
    return render(request, "care/acceptance_detail.html", _acceptance_context(request, visit))


def _acceptance_context(request, visit: Visit) -> dict:
    radius, basis = holds.checkin_radius(visit.region_id, timezone.localtime(visit.checkin_at).date())
    return {"visit": visit, "late_by": _late_text(visit), "reasons": holds.reason_texts(visit),
            "radius": radius, "radius_basis": basis,
            "limit_days": _limit_days(request.user), "values": request.POST,
            "catalogue": {i.code: i.name for i in items_of(visit.region_id, timezone.localtime(visit.checkin_at).date())}}


def _limit_days(user) -> int:
    return visits.late_entry_limit(user.region_id, timezone.localdate()).days


def _late_text(visit: Visit) -> str:
    """How long after the visit its record was entered, in days and hours: the later of the check-in's
    and the check-out's delays (a check-out can come days after a timely check-in)."""
    gaps = [visit.entered_at - visit.checkin_at, timedelta(0)]
    if visit.checkout_at and visit.checkout_entered_at:
        gaps.append(visit.checkout_entered_at - visit.checkout_at)
    gap = max(gaps)
    days, hours = gap.days, gap.seconds // 3600
    return f"{days}天{hours}小时" if days else f"{hours}小时"


@login_required
def person_care(request, pk: int):
    """A beneficiary's care on one page: the mode, the plans (and the link to draft one), the family
    carers and the days they cared, hospital stays and other events, each with the days they hold out
    of benefits; the agency records family-care days and events (admission, discharge…) by hand here."""
    from django.http import Http404

    from ltci.enrolment.models import Person

    from . import events, family
    from .models import CareEvent, EventKind, FamilyCareDay

    require(request.user, CARE_VIEW)
    person = get_visible_or_404(Person.objects.all(), request.user, pk=pk)
    day = timezone.localdate()
    may_change = request.user.can(CARE_CHANGE)
    context = {"person": person, "today": day, "may_change": may_change, "values": request.POST,
               "event_kinds": EventKind.choices}
    if request.method == "POST":
        require(request.user, CARE_CHANGE)
        try:
            if request.POST.get("action") == "carer":
                carer = family.register_family_carer(
                    person, request.user, name=request.POST.get("name", ""), id_number=request.POST.get("id_number", ""),
                    phone=request.POST.get("phone", ""), trained=request.POST.get("trained") == "1")
                messages.success(request, f"已登记亲情照护人员 {carer.name}（{carer.masked_id}）")
                return redirect(f"{request.path}#family")
            if request.POST.get("action") == "days":
                raw = request.POST.get("carer", "")
                carer = person.family_carers.filter(pk=int(raw)).first() if _whole(raw) else None
                if carer is None:
                    raise ValidationError({"carer": "请选择亲情照护人员"})
                first = _day_of(request.POST.get("first"), "first")
                last = _day_of(request.POST.get("last") or request.POST.get("first"), "last")  # one day: 至 left blank
                if last < first:
                    raise ValidationError({"last": "截止日期不能早于起始日期"})
                if (last - first).days >= family.MAX_DAYS:
                    raise ValidationError({"last": f"一次最多登记{family.MAX_DAYS}天"})
                days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
                count = family.record_days(person, request.user, carer=carer, days=days)
                messages.success(request, f"已登记亲情照护 {count} 天（{carer.name}，{first:%Y-%m-%d}至{last:%Y-%m-%d}）")
                return redirect(f"{request.path}#family")
            kind = request.POST.get("kind", "")
            if kind not in EventKind.values:
                raise ValidationError({"kind": "请选择事件"})
            event = events.record_event(person, request.user, kind=kind, on=_day_of(request.POST.get("on"), "on"),
                                        note=request.POST.get("note", ""))
            messages.success(request, f"已登记{event.get_kind_display()}：{event.on:%Y-%m-%d}")
            return redirect(f"{request.path}#events")
        except ValidationError as exc:
            context["errors"] = error_pairs(exc)
    choice = mode_on(person, day)
    stays = events.hospital_stays(person)
    try:
        plans.person_for_drafting(request.user, person.pk)
        may_draft = may_change and choice is not None and choice.mode in VISITED_MODES
    except Http404:
        may_draft = False
    care_days = list(FamilyCareDay.objects.filter(person=person).select_related("carer").order_by("-day")[:62])
    for d in care_days:
        d.held = events.suspended_on(stays, d.day)
    context.update({
        "choice": choice, "may_draft": may_draft,
        "plans": CarePlan.objects.filter(person=person).select_related("institution").order_by("-valid_from", "-id"),
        "family_carers": list(person.family_carers.order_by("-active", "name")),
        "care_days": care_days, "care_days_total": FamilyCareDay.objects.filter(person=person).count(),
        "hospital": [{"admitted": a, "discharged": b, "held_from": a + timedelta(days=1),
                      "held_days": ((b or day) - a).days} for a, b in reversed(stays)],
        "events": CareEvent.objects.filter(person=person).select_related("entered_by").order_by("-on", "-id"),
        "corrected": set(CareEvent.objects.filter(person=person, corrects__isnull=False)
                         .values_list("corrects_id", flat=True)),
    })
    return render(request, "care/person.html", context, status=422 if context.get("errors") else 200)


def _day_of(value, field: str):
    from ltci.core.values import BadValue, parse_date

    if not (value or "").strip():
        raise ValidationError({field: "请填写日期"})
    try:
        return parse_date(value)
    except BadValue as exc:
        raise ValidationError({field: str(exc)}) from None


def _sees_people(user) -> bool:
    """Whether the user's scope holds people's pages (the agency; an institution sees its clients'
    care through the plans, not the register)."""
    from ltci.accounts.roles import Reach

    return user.reach == Reach.REGION
