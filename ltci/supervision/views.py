"""Supervision pages: the month's hits and the screening run, the rule base and the region's
settings, cases with their decision and sanctions, random samples (the auditor's phone page) and
the institutions' ranking. Institution staff see none of it (no SUPERVISION_VIEW)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ltci.accounts.roles import CASE_DECIDE, DUAL_CHECK, SAMPLE_CHECK, SANCTION_APPLY, SUPERVISION_MANAGE, SUPERVISION_VIEW
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.audit.models import Action
from ltci.audit.recorder import record, record_view
from ltci.care import holds
from ltci.care.models import Visit
from ltci.core import confirm
from ltci.core.errors import reasons
from ltci.core.models import Job, JobKind
from ltci.core.money import yuan_text
from ltci.core.paging import filters, page_of, querystring_without_page
from ltci.dualcontrol import services as dual
from ltci.dualcontrol.models import Request as DualRequest, RequestKind
from ltci.dualcontrol.threshold import threshold
from ltci.providers.catalogue import items_of
from ltci.providers.models import Institution
from ltci.settlement.api import line_status
from ltci.settlement.run import parse_month_text
from ltci.settlement.views import STATUS_LABELS

from . import cases, ranking, rulebase, sampling, sanctions, screening
from .models import Case, CaseStatus, Hit, HitStatus, Sample, SampleMethod, SampleOutcome, SanctionKind, Severity

RECORD_LABELS = {"visit": "上门服务", "stay": "机构入住", "family_day": "亲情照护", "event": "事件记录",
                 "plan": "护理计划", "application": "评估申请", "suspension": "暂停记录", "care_choice": "护理方式"}


def last_month(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def _month(text: str | None, default: date) -> date:
    if not text:
        return default
    try:
        return parse_month_text(text)
    except ValidationError:
        return default


def describe(hit: Hit) -> str:
    return rulebase.describe(hit.rule, hit.detail, hit.params)


def rule_name(code: str) -> str:
    return rulebase.RULES[code].name if code in rulebase.RULES else code


def _yuan(pair):
    """(amount, why) with the amount written for the page: 50,000.00."""
    return yuan_text(pair[0]), pair[1]


def _fail(request, exc: ValidationError):
    messages.error(request, reasons(exc))


# The month's hits and the screening run ---------------------------------------------------------

@login_required
def index(request):
    require(request.user, SUPERVISION_VIEW)
    if request.method == "POST":
        require(request.user, SUPERVISION_MANAGE)
        try:
            job = screening.start_screening(request.user.region, request.POST.get("month", ""), user=request.user,
                                            background=settings.JOBS_IN_BACKGROUND)
        except ValidationError as exc:
            _fail(request, exc)
            return redirect("supervision:index")
        return redirect("job_detail", job.pk)
    hits = visible(Hit.objects.all(), request.user)
    latest = hits.order_by("-month").values_list("month", flat=True).first()
    month = _month(request.GET.get("month"), latest or last_month())
    of_month = hits.filter(month=month).order_by()
    by_rule = Counter(dict(of_month.values_list("rule").annotate(n=Count("id"))))
    by_status = Counter(dict(of_month.values_list("status").annotate(n=Count("id"))))
    rows = [{"code": code, "name": rule_name(code), "n": n} for code, n in by_rule.most_common()]
    runs = visible(Job.objects.filter(kind=JobKind.SCREENING), request.user)[:12]
    month_end = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return render(request, "supervision/index.html", {
        "month": month, "rows": rows, "total": sum(by_rule.values()),
        "held": holds.decision_counts(visible(Visit.objects.all(), request.user), month, month_end),
        "statuses": [(label, by_status.get(value, 0)) for value, label in HitStatus.choices],
        "runs": runs, "may_manage": request.user.can(SUPERVISION_MANAGE), "default_month": last_month()})


# Hits -----------------------------------------------------------------------------------------

def filtered_hits(user, params):
    """The user's hits under the list's filters; a filter given badly is ignored."""
    qs = visible(Hit.objects.select_related("person", "institution", "carer", "case"), user)
    if params.get("rule"):
        qs = qs.filter(rule=params["rule"])
    if params.get("month"):
        try:
            qs = qs.filter(month=parse_month_text(params["month"]))
        except ValidationError:
            qs = qs.none()
    if params.get("status") in HitStatus.values:
        qs = qs.filter(status=params["status"])
    institution = params.get("institution", "")
    if institution:
        qs = qs.filter(institution_id=int(institution)) if str(institution).isdigit() else qs.none()
    return qs.order_by("-month", "rule", "id")


# What a row of the list shows (templatetags/hit_rows.py): the related rows' other columns (an
# address, a case's finding) are neither read nor turned into attributes.
HIT_ROW_FIELDS = ("region_id", "month", "day", "rule", "severity", "status", "detail", "params", "person__name",
                  "person__id_number", "institution__name", "carer__name", "case__number")


@login_required
def hit_list(request):
    require(request.user, SUPERVISION_VIEW)
    qs = filtered_hits(request.user, request.GET).only(*HIT_ROW_FIELDS)
    page = page_of(qs, request)
    rows = [{"hit": h, "text": describe(h), "rule": rule_name(h.rule)} for h in page]
    record(Action.VIEW_HEALTH, object_type_="supervision.hit", user=request.user,
           detail={"filters": {k: request.GET.get(k, "") for k in ("rule", "month", "status", "institution")},
                   "shown": len(rows)})
    return render(request, "supervision/hits.html", {
        "rows": rows, "page": page, "querystring": querystring_without_page(request.GET), "f": filters(request.GET),
        "rules": sorted(rulebase.rules_for(request.user.region_id) if request.user.region_id else [],
                        key=lambda r: r.code),
        "statuses": HitStatus.choices,
        "institutions": visible(Institution.objects.order_by("name"), request.user).values_list("pk", "name"),
        "may_manage": request.user.can(SUPERVISION_MANAGE),
        "auditors": cases.auditors(request.user.region_id) if request.user.can(SUPERVISION_MANAGE) else []})


def hit_records(hit: Hit) -> list[dict]:
    from ltci.care.models import Visit

    out = []
    for kind, ids in (hit.records or {}).items():
        entry = {"kind": kind, "label": RECORD_LABELS.get(kind, kind), "ids": ids, "visits": []}
        if kind == "visit":
            entry["visits"] = list(Visit.objects.filter(pk__in=ids, region_id=hit.region_id)
                                   .select_related("carer", "institution").order_by("checkin_at"))
        out.append(entry)
    return out


@login_required
def hit_detail(request, pk: int):
    require(request.user, SUPERVISION_VIEW)
    hit = get_visible_or_404(Hit.objects.select_related("person", "institution", "carer", "case"), request.user, pk=pk)
    record_view("health", hit, what="supervision_hit")
    return render(request, "supervision/hit_detail.html", {
        "hit": hit, "text": describe(hit), "rule": rulebase.RULES.get(hit.rule), "records": hit_records(hit),
        "params": [rulebase.shown(k, v) for k, v in sorted((hit.params or {}).items())],
        "detail": [rulebase.shown(k, v) for k, v in sorted((hit.detail or {}).items())]})


# Rules ----------------------------------------------------------------------------------------

LIST_PARAMS = frozenset(k for r in rulebase.RULES.values() for k, v in r.params.items() if isinstance(v, list))


def _param_field(key: str, value) -> dict:
    """A parameter as its form field: a list of care modes as checkboxes, anything else as text."""
    from ltci.care.models import Mode

    field = {"key": key, "label": rulebase.LABELS.get(key, "参数"), "value": value, "options": None}
    if isinstance(value, list):
        field["options"] = [(code, label, code in value) for code, label in Mode.choices]
    return field


@login_required
def rule_list(request):
    require(request.user, SUPERVISION_VIEW)
    region = request.user.region_id
    if request.method == "POST":
        require(request.user, SUPERVISION_MANAGE)
        code = request.POST.get("rule", "")
        try:
            valid_from = sanctions.parse_date(request.POST.get("valid_from"), "valid_from")
            if valid_from is None:
                raise ValidationError({"valid_from": "请填写生效日期"})
            params = {k[len("param_"):]: (request.POST.getlist(k) if k[len("param_"):] in LIST_PARAMS else v)
                      for k, v in request.POST.items() if k.startswith("param_") and v != ""}
            rulebase.change_setting(region, code, request.user, enabled=request.POST.get("enabled") == "on",
                                    severity=request.POST.get("severity") or None, params=params,
                                    valid_from=valid_from, reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            _fail(request, exc)
        else:
            messages.success(request, f"已保存规则{rule_name(code) if code != rulebase.SAMPLING else '随机抽查比例'}的设置")
        return redirect("supervision:rules")
    today = timezone.localdate()
    effective = rulebase.effective(region, today) if region else {}
    history = visible(rulebase.RuleSetting.objects.select_related("changed_by"), request.user)[:50]
    return render(request, "supervision/rules.html", {
        "rules": [{"e": e, "params": [_param_field(k, v) for k, v in sorted(e.params.items())],
                   "shown": [rulebase.shown(k, v) for k, v in sorted(e.params.items())]} for e in effective.values()],
        "share": rulebase.sampling_share(region, today) if region else None,
        "history": [{"s": s, "rule": rule_name(s.rule) if s.rule != rulebase.SAMPLING else "随机抽查比例",
                     "shown": [rulebase.shown(k, v) for k, v in sorted(s.params.items())]} for s in history],
        "severities": Severity.choices, "today": today, "may_manage": request.user.can(SUPERVISION_MANAGE),
        "sampling": rulebase.SAMPLING})


# Cases ----------------------------------------------------------------------------------------

@login_required
def case_list(request):
    require(request.user, SUPERVISION_VIEW)
    qs = visible(Case.objects.select_related("institution", "assigned_to"), request.user)
    status = request.GET.get("status", "")
    if status in CaseStatus.values:
        qs = qs.filter(status=status)
    if request.GET.get("mine") and request.user.can(CASE_DECIDE):
        qs = qs.filter(assigned_to=request.user)
    page = page_of(qs, request)
    return render(request, "supervision/cases.html", {
        "page": page, "status": status, "statuses": CaseStatus.choices,
        "querystring": querystring_without_page(request.GET), "may_manage": request.user.can(SUPERVISION_MANAGE),
        "auditors": cases.auditors(request.user.region_id) if request.user.can(SUPERVISION_MANAGE) else [],
        "default_month": last_month()})


def _auditor(request, field: str = "assigned_to"):
    raw = request.POST.get(field, "")
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationError({field: "承办人无效"})
    return cases.auditors(request.user.region_id).filter(pk=int(raw)).first() or _bad_auditor(field)


def _bad_auditor(field):
    raise ValidationError({field: "承办人须为本地区在职的稽核人员"})


@login_required
@require_POST
def case_open(request):
    """Opens a case from the hits ticked on the hit list."""
    require(request.user, SUPERVISION_MANAGE)
    try:
        ids = [int(i) for i in request.POST.getlist("hits") if i.isdigit()]
        case = cases.open_case(request.user.region_id, ids, request.user, title=request.POST.get("title", ""),
                               assigned_to=_auditor(request))
    except ValidationError as exc:
        _fail(request, exc)
        return redirect("supervision:hits")
    messages.success(request, f"已立案 {case.number}")
    return redirect("supervision:case", case.pk)


@login_required
@require_POST
def case_open_month(request):
    """One case per institution (or person) for a month's new hits."""
    require(request.user, SUPERVISION_MANAGE)
    try:
        month = parse_month_text(request.POST.get("month", ""))
        made = cases.open_cases_for_month(request.user.region_id, month, request.user, assigned_to=_auditor(request))
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, f"已立案 {len(made)} 件")
    return redirect("supervision:cases")


@login_required
def case_detail(request, pk: int):
    require(request.user, SUPERVISION_VIEW)
    case = get_visible_or_404(Case.objects.select_related("institution", "assigned_to", "decided_by", "opened_by",
                                                          "region"), request.user, pk=pk)
    record_view("health", case, what="supervision_case")
    hits = [{"hit": h, "text": describe(h), "rule": rule_name(h.rule)}
            for h in case.hits.select_related("person", "institution", "carer").order_by("month", "id")]
    lines = [{"line": ln, "status": STATUS_LABELS.get(line_status(ln), line_status(ln))}
             for ln in cases.case_lines(case).select_related("person", "claim", "approval")
             .prefetch_related("holds", "disputes").order_by("service_month", "person_id", "id")[:200]]
    user = request.user
    today = timezone.localdate()
    months = {k: sanctions.default_months(case.region_id, k, today)
              for k in ("carer_suspension", "institution_suspension")}
    made = list(case.sanctions.select_related("applied_by", "carer", "withdrawal__withdrawn_by"))
    for sanction in made:
        sanction.effect_lines = [(EFFECT_LABELS.get(k, k), v) for k, v in sanction.effects.items()]
    return render(request, "supervision/case_detail.html", {
        "case": case, "hits": hits, "lines": lines, "sanctions": made,
        "waiting_fines": dual.pending(RequestKind.FINE, case.region_id).filter(subject=sanctions.fine_subject(case))
        .select_related("made_by"),
        "fine_ceiling": _yuan(sanctions.fine_ceiling(case)), "fined": yuan_text(sanctions.fined_so_far(case)),
        "dual_threshold": _yuan(threshold(case.region_id, today)),
        "may_assign": user.can(SUPERVISION_MANAGE) and case.status == CaseStatus.OPEN, "may_dual": user.can(DUAL_CHECK),
        "may_decide": user.can(CASE_DECIDE) and case.status == CaseStatus.OPEN and case.assigned_to_id == user.pk,
        "may_sanction": user.can(SANCTION_APPLY) and case.status == CaseStatus.CONFIRMED
        and user.pk not in (case.decided_by_id, case.assigned_to_id),
        "may_withdraw": user.can(SANCTION_APPLY) and user.pk not in (case.decided_by_id, case.assigned_to_id),
        "withdrawable": sanctions.WITHDRAWABLE,
        "auditors": cases.auditors(case.region_id), "kinds": SanctionKind.choices,
        "carers": sanctions.case_carers(case), "today": today, "months": months,
        "max_finding": cases.FINDING_MAX})


DONE = {"assign": "已派案", "confirm": "已查实，相关未审核结算明细已暂缓支付", "dismiss": "已排除",
        "sanction": "处理决定已执行", "withdraw_sanction": "处理决定已撤销"}
# How a sanction's record of what it did reads on the page.
EFFECT_LABELS = {"ledger": "记账", "recovery_lines": "追回明细", "recovered_lines": "被追回的明细",
                 "carer_suspension": "护理员暂停记录", "carer": "护理员", "institution": "定点机构",
                 "suspended_until": "暂停至", "terminated_on": "解除日期", "dual_control": "双人复核事项编号",
                 "approved_by": "复核人"}


@login_required
@require_POST
def case_action(request, pk: int):
    require(request.user, SUPERVISION_VIEW)
    case = get_visible_or_404(Case.objects.all(), request.user, pk=pk)
    action = request.POST.get("action", "")
    permission = {"assign": SUPERVISION_MANAGE, "confirm": CASE_DECIDE, "dismiss": CASE_DECIDE,
                  "sanction": SANCTION_APPLY, "withdraw_sanction": SANCTION_APPLY}.get(action)
    if permission is None:
        raise Http404("unknown action")
    require(request.user, permission)
    p = request.POST
    try:
        if action == "assign":
            cases.assign(case, _auditor(request) or _bad_auditor("assigned_to"), request.user)
        elif action == "withdraw_sanction":
            raw = p.get("sanction", "")
            sanction = case.sanctions.filter(pk=int(raw)).first() if raw.isascii() and raw.isdigit() else None
            if sanction is None:
                raise Http404("no sanction")
            done = confirm.run(request, lambda: sanctions.withdraw(sanction, request.user, reason=p.get("reason", "")),
                               withdrawal_summary)
            if isinstance(done, confirm.Asked):
                return confirm.page(request, done, back=reverse("supervision:case", args=[case.pk]))
        elif action in ("confirm", "dismiss"):
            cases.decide(case, request.user, confirm=action == "confirm", finding=p.get("finding", ""),
                         evidence=request.FILES.get("evidence"))
        else:
            made = confirm.run(request, lambda: sanctions.apply(
                case, request.user, p.get("kind", ""), reason=p.get("reason", ""), amount=p.get("amount"),
                starts_on=p.get("starts_on"), ends_on=p.get("ends_on"), carer_id=p.get("carer") or None),
                sanction_summary)
            if isinstance(made, confirm.Asked):
                return confirm.page(request, made, back=reverse("supervision:case", args=[case.pk]))
            if isinstance(made, DualRequest):
                messages.warning(request, f"{made.reason}，已提交双人复核（第 {made.pk} 号），复核通过后记录：{made.summary}")
                return redirect("supervision:case", case.pk)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, DONE[action])
    return redirect("supervision:case", case.pk)


def sanction_summary(made) -> confirm.Summary:
    """What a sanction will do, with the amounts and the people it concerns."""
    if isinstance(made, DualRequest):
        return confirm.Summary("确认提交罚款", [("罚款", made.summary), ("办理方式", f"{made.reason}，提交双人复核，复核通过后才记录")],
                               button="确认提交双人复核")
    case = made.case
    lines = [("稽核案件", case.number), ("处理方式", made.get_kind_display()), ("处理依据", made.reason)]
    items = []
    if made.kind == SanctionKind.RECOVERY:
        from ltci.settlement.models import Line

        recovered = Line.objects.filter(pk__in=made.effects["recovery_lines"]).select_related("person", "claim")
        lines += [("追回明细", f"{len(recovered)} 条"), ("追回合计", f"{yuan_text(made.amount)} 元"),
                  ("记入", "首个未结账月份的结算，从应付待遇中抵扣")]
        items = [f"{ln.person.name} {ln.service_month:%Y年%m月}：追回 {yuan_text(-ln.fund)} 元" for ln in recovered]
    elif made.kind == SanctionKind.FINE:
        lines += [("罚款金额", f"{yuan_text(made.amount)} 元"), ("记账", "罚款缴入国库，不记入长护险基金")]
    elif made.kind == SanctionKind.CARER_SUSPENSION:
        lines += [("护理员", made.carer.name),
                  ("暂停结算期间", f"{made.starts_on:%Y-%m-%d} 至 {made.ends_on:%Y-%m-%d}")]
    elif made.kind == SanctionKind.INSTITUTION_SUSPENSION:
        lines += [("定点机构", case.institution.name), ("暂停接收新参保人", f"自今天起至 {made.ends_on:%Y-%m-%d}")]
    else:
        lines += [("定点机构", case.institution.name), ("解除服务协议日期", f"{made.starts_on:%Y-%m-%d}")]
    return confirm.Summary("确认作出处理决定", lines, items=items, button=f"确认{made.get_kind_display()}",
                           warning="处理决定作出后即执行，记录不能删除。")


def withdrawal_summary(w) -> confirm.Summary:
    s = w.sanction
    done = {"fine": "该笔罚款不再计入本案罚款和机构排名",
            "institution": f"暂停接收新参保人（至{s.ends_on or ''}）：{w.effects.get('institution', '')}",
            "termination_withdrawn": "解除的服务协议恢复，机构恢复为终止前的状态"}
    return confirm.Summary("确认撤销处理决定", [
        ("稽核案件", s.case.number),
        ("处理决定", f"{s.get_kind_display()}（{timezone.localtime(s.applied_at):%Y-%m-%d}）：{s.reason}"),
        *((("金额", f"{yuan_text(s.amount)} 元"),) if s.amount is not None else ()),
        ("撤销理由", w.reason), ("撤销后", "；".join(done[k] for k in w.effects if k in done)),
    ], warning="原处理决定保留，并注明已撤销；每项处理决定只能撤销一次。", button="确认撤销")


@login_required
def case_evidence(request, pk: int):
    require(request.user, SUPERVISION_VIEW)
    case = get_visible_or_404(Case.objects.all(), request.user, pk=pk)
    path = cases.evidence_path(case)
    if path is None or not path.exists():
        raise Http404("no evidence")
    record_view("health", case, what="supervision_evidence")
    return FileResponse(path.open("rb"), content_type=cases.EVIDENCE_TYPES.get(path.suffix, "application/octet-stream"),
                        filename=f"{case.number}{path.suffix}")


# Samples --------------------------------------------------------------------------------------

@login_required
def sample_list(request):
    require(request.user, SUPERVISION_VIEW)
    month = _month(request.GET.get("month"), last_month())
    qs = (visible(Sample.objects.select_related("visit__person", "visit__institution", "visit__carer", "assigned_to"),
                  request.user).filter(month=month).order_by("outcome", "id"))
    page = page_of(qs, request)
    region = request.user.region_id
    counts = Counter(qs.values_list("outcome", flat=True))
    record(Action.VIEW_HEALTH, object_type_="supervision.sample", user=request.user,
           detail={"month": f"{month:%Y-%m}", "page": page.number})
    return render(request, "supervision/samples.html", {
        "page": page, "month": month, "querystring": querystring_without_page(request.GET),
        "share": rulebase.sampling_share(region, month) if region else None,
        "population": sampling.population(region, month).count() if region else 0,
        "counts": [(label, counts.get(value, 0)) for value, label in SampleOutcome.choices],
        "may_manage": request.user.can(SUPERVISION_MANAGE),
        "auditors": cases.auditors(region) if request.user.can(SUPERVISION_MANAGE) else []})


@login_required
@require_POST
def sample_draw(request):
    require(request.user, SUPERVISION_MANAGE)
    month_text = request.POST.get("month", "")
    try:
        month = sampling.parse_month(month_text)
        made = sampling.draw(request.user.region_id, month, request.user)
    except ValidationError as exc:
        _fail(request, exc)
        return redirect("supervision:samples")
    messages.success(request, f"已抽取 {len(made)} 次上门服务" if made else "本月已按比例抽取，没有新增")
    return redirect(reverse("supervision:samples") + f"?month={month:%Y-%m}")


@login_required
@require_POST
def sample_assign(request):
    require(request.user, SUPERVISION_MANAGE)
    month_text = request.POST.get("month", "")
    try:
        month = parse_month_text(month_text)
        if request.POST.get("assigned_to") == "all":
            n = sampling.assign_evenly(request.user.region_id, month, request.user)
        else:
            ids = [int(i) for i in request.POST.getlist("samples") if i.isdigit()]
            n = sampling.assign(ids, _auditor(request) or _bad_auditor("assigned_to"), request.user,
                                region=request.user.region_id)
    except ValidationError as exc:
        _fail(request, exc)
        return redirect(reverse("supervision:samples") + (f"?month={month_text}" if month_text.isascii() else ""))
    messages.success(request, f"已分派 {n} 个抽查任务")
    return redirect(reverse("supervision:samples") + f"?month={month:%Y-%m}")


def item_names(region: str, on: date) -> dict[str, str]:
    return dict(items_of(region, on).values_list("code", "name"))


@login_required
def my_samples(request):
    """The auditor's phone page: the samples assigned to me, with the person's contact to call or visit."""
    require(request.user, SAMPLE_CHECK)
    qs = (visible(Sample.objects.select_related("visit__person", "visit__institution", "visit__carer"), request.user)
          .filter(assigned_to=request.user))
    pending = list(qs.filter(outcome=SampleOutcome.PENDING).order_by("month", "id")[:100])
    done = list(qs.exclude(outcome=SampleOutcome.PENDING).order_by("-checked_at")[:20])
    names = item_names(request.user.region_id, timezone.localdate()) if request.user.region_id else {}
    for s in pending:
        s.item_labels = [names.get(c, c) for c in s.visit.items]
        record_view("health", s.visit.person, what="supervision_sample", sample=s.pk)
    return render(request, "supervision/my_samples.html", {
        "pending": pending, "done": done, "methods": SampleMethod.choices,
        "outcomes": [c for c in SampleOutcome.choices if c[0] != SampleOutcome.PENDING],
        "note_max": sampling.NOTE_MAX})


@login_required
@require_POST
def sample_record(request, pk: int):
    require(request.user, SAMPLE_CHECK)
    sample = get_visible_or_404(Sample.objects.all(), request.user, pk=pk)
    p = request.POST
    try:
        sampling.record_outcome(sample, request.user, method=p.get("method", ""), outcome=p.get("outcome", ""),
                                note=p.get("note", ""), latitude=p.get("latitude"), longitude=p.get("longitude"))
    except ValidationError as exc:
        _fail(request, exc)
    else:
        sample.refresh_from_db()
        messages.success(request, f"已登记：{sample.visit.person.name} · {sample.get_outcome_display()}")
    return redirect("supervision:my_samples")


# Ranking --------------------------------------------------------------------------------------

@login_required
def ranking_page(request):
    require(request.user, SUPERVISION_VIEW)
    errors = ""
    try:
        start, end = ranking.period(request.GET.get("start"), request.GET.get("end"))
    except ValidationError as exc:
        errors = reasons(exc)
        start, end = ranking.period(None, None)
    rows = ranking.ranking(request.user.region_id, start, end) if request.user.region_id else []
    return render(request, "supervision/ranking.html", {"rows": rows, "start": start, "end": end, "errors": errors})
