"""Supervision over JSON: hits, the screening run, the rule base and the region's settings, cases
(open, assign, decide with evidence), sanctions, random samples and the institutions' ranking.
ID numbers are masked in every answer; a refused step answers 409 (StepRefused)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from ltci.accounts.roles import CASE_DECIDE, SAMPLE_CHECK, SANCTION_APPLY, SUPERVISION_MANAGE, SUPERVISION_VIEW
from ltci.accounts.models import User
from ltci.accounts.scope import all_visible_or_404, get_visible_or_404, require, visible
from ltci.audit.models import Action
from ltci.audit.recorder import record, record_view
from ltci.core.api import RunOut, run_out
from ltci.providers.models import Carer
from ltci.core.money import MoneyText
from ltci.dualcontrol.api import DualRequestOut, request_out
from ltci.dualcontrol.models import Request as DualRequest
from ltci.settlement.run import parse_month_text

from . import cases, ranking, rulebase, sampling, sanctions, screening
from .models import Case, CaseStatus, Hit, Sample, SampleOutcome, Sanction
from .views import filtered_hits, item_names

router = Router(tags=["基金监管"])


def _person(p) -> dict | None:
    return {"id": p.pk, "name": p.name, "masked_id": p.masked_id} if p is not None else None


class HitOut(Schema):
    id: int
    month: date
    rule: str
    rule_name: str
    severity: str
    day: date | None
    description: str
    person: dict | None
    institution_id: int | None
    institution: str | None
    carer_id: int | None
    carer: str | None
    records: dict
    detail: dict
    params: dict
    status: str
    case_id: int | None


def _hit(h: Hit) -> dict:
    return {"id": h.pk, "month": h.month, "rule": h.rule,
            "rule_name": rulebase.RULES[h.rule].name if h.rule in rulebase.RULES else h.rule,
            "severity": h.severity, "day": h.day, "description": rulebase.describe(h.rule, h.detail, h.params),
            "person": _person(h.person), "institution_id": h.institution_id,
            "institution": h.institution.name if h.institution_id else None, "carer_id": h.carer_id,
            "carer": h.carer.name if h.carer_id else None, "records": h.records, "detail": h.detail,
            "params": h.params, "status": h.status, "case_id": h.case_id}


@router.get("/supervision/hits", response=list[HitOut], summary="疑点（按规则、月份、状态、机构筛选）")
def hits(request, rule: str = "", month: str = "", status: str = "", institution: str = "", offset: int = 0,
         limit: int = 20):
    require(request.user, SUPERVISION_VIEW)
    if month:
        parse_month_text(month)  # a bad month is an error here, not an empty list
    qs = filtered_hits(request.user, {"rule": rule, "month": month, "status": status, "institution": institution})
    rows = [_hit(h) for h in qs[max(offset, 0):max(offset, 0) + min(max(limit, 1), 1000)]]
    record(Action.VIEW_HEALTH, object_type_="supervision.hit", user=request.user,
           detail={"filters": {"rule": rule, "month": month, "status": status, "institution": institution},
                   "shown": len(rows)})
    return rows


@router.get("/supervision/hits/{pk}", response=HitOut, summary="疑点详情")
def hit(request, pk: int):
    require(request.user, SUPERVISION_VIEW)
    h = get_visible_or_404(Hit.objects.select_related("person", "institution", "carer"), request.user, pk=pk)
    record_view("health", h, what="supervision_hit")
    return _hit(h)


class MonthIn(Schema):
    month: str


@router.post("/supervision/screenings", response={202: RunOut}, summary="执行疑点筛查（返回任务）")
def start_screening(request, body: MonthIn):
    require(request.user, SUPERVISION_MANAGE)
    job = screening.start_screening(request.user.region, body.month, user=request.user,
                                    background=settings.JOBS_IN_BACKGROUND)
    return Status(202, run_out(job))


class RuleOut(Schema):
    code: str
    name: str
    basis: str
    enabled: bool
    severity: str
    params: dict
    defaults: dict
    setting_id: int | None


class RulesOut(Schema):
    on: date
    rules: list[RuleOut]
    sampling_share: Decimal


@router.get("/supervision/rules", response=RulesOut, summary="疑点规则库与本地区生效设置")
def rules(request, on: date | None = None):
    require(request.user, SUPERVISION_VIEW)
    from django.utils import timezone

    on = on or timezone.localdate()
    region = request.user.region_id
    effective = rulebase.effective(region, on) if region else {}
    return {"on": on, "sampling_share": rulebase.sampling_share(region, on) if region else Decimal(0),
            "rules": [{"code": e.rule.code, "name": e.rule.name, "basis": e.rule.basis, "enabled": e.enabled,
                       "severity": e.severity, "params": e.params, "defaults": e.rule.params,
                       "setting_id": e.setting_id} for e in effective.values()]}


class SettingIn(Schema):
    rule: str
    enabled: bool = True
    severity: str | None = None
    params: dict = {}
    valid_from: str
    reason: str


class SettingOut(Schema):
    id: int
    rule: str
    enabled: bool
    severity: str
    params: dict
    valid_from: date
    reason: str


@router.post("/supervision/rules/settings", response={201: SettingOut},
             summary="调整规则设置（启停、严重程度、参数；rule=sampling 为抽查比例）")
def change_setting(request, body: SettingIn):
    require(request.user, SUPERVISION_MANAGE)
    valid_from = sanctions.parse_date(body.valid_from, "valid_from")
    if valid_from is None:
        raise ValidationError({"valid_from": "请填写生效日期"})
    s = rulebase.change_setting(request.user.region_id, body.rule, request.user, enabled=body.enabled,
                                severity=body.severity, params=body.params, valid_from=valid_from, reason=body.reason)
    return Status(201, {"id": s.pk, "rule": s.rule, "enabled": s.enabled, "severity": s.severity, "params": s.params,
                        "valid_from": s.valid_from, "reason": s.reason})


class SanctionOut(Schema):
    id: int
    kind: str
    amount: Decimal | None
    starts_on: date | None
    ends_on: date | None
    carer_id: int | None
    reason: str
    effects: dict
    applied_by: str
    applied_at: datetime


def _sanction(s: Sanction) -> dict:
    return {"id": s.pk, "kind": s.kind, "amount": s.amount, "starts_on": s.starts_on, "ends_on": s.ends_on,
            "carer_id": s.carer_id, "reason": s.reason, "effects": s.effects, "applied_by": s.applied_by.username,
            "applied_at": s.applied_at}


class CaseOut(Schema):
    id: int
    number: str
    month: date
    title: str
    status: str
    institution_id: int | None
    institution: str | None
    assigned_to: str | None
    opened_at: datetime
    finding: str
    has_evidence: bool
    decided_by: str | None
    decided_at: datetime | None
    hits: list[int]
    held_lines: list[int] = []
    sanctions: list[SanctionOut] = []


def _case(c: Case, *, full: bool = False, hits: list[int] | None = None) -> dict:
    out = {"id": c.pk, "number": c.number, "month": c.month, "title": c.title, "status": c.status,
           "institution_id": c.institution_id, "institution": c.institution.name if c.institution_id else None,
           "assigned_to": c.assigned_to.username if c.assigned_to_id else None, "opened_at": c.opened_at,
           "finding": c.finding, "has_evidence": bool(c.evidence),
           "decided_by": c.decided_by.username if c.decided_by_id else None, "decided_at": c.decided_at,
           "hits": hits if hits is not None else list(c.hits.order_by("id").values_list("pk", flat=True))}
    if full:
        out["held_lines"] = list(cases.case_lines(c).filter(holds__released_at__isnull=True, holds__isnull=False)
                                 .values_list("pk", flat=True).distinct())
        out["sanctions"] = [_sanction(s) for s in c.sanctions.select_related("applied_by")]
    return out


def _cases_qs(user):
    return visible(Case.objects.select_related("institution", "assigned_to", "decided_by"), user)


@router.get("/supervision/cases", response=list[CaseOut], summary="稽核案件")
def case_list(request, status: str = "", offset: int = 0, limit: int = 20):
    require(request.user, SUPERVISION_VIEW)
    qs = _cases_qs(request.user)
    if status:
        if status not in CaseStatus.values:
            raise ValidationError({"status": "状态须为 open、confirmed 或 dismissed"})
        qs = qs.filter(status=status)
    page = list(qs[max(offset, 0):max(offset, 0) + min(max(limit, 1), 1000)])
    hits: dict[int, list[int]] = {c.pk: [] for c in page}  # one query for the page, not one a case
    # Sorted here, not in SQL: ordered by id, SQLite scans every hit rather than use the case index.
    for case_id, pk in sorted(Hit.objects.filter(case_id__in=list(hits)).order_by().values_list("case_id", "pk")):
        hits[case_id].append(pk)
    return [_case(c, hits=hits[c.pk]) for c in page]


def _auditor(user, raw: int | None):
    """The user named to take a case or a sample: a user of one's own scope (404 otherwise), who
    must be one of the region's auditors (422 otherwise)."""
    if raw is None:
        return None
    named = get_visible_or_404(User.objects.all(), user, pk=raw)
    found = cases.auditors(user.region_id).filter(pk=named.pk).first()
    if found is None:
        raise ValidationError({"assigned_to": "承办人须为本地区在职的稽核人员"})
    return found


class OpenIn(Schema):
    hits: list[int]
    title: str = ""
    assigned_to: int | None = None


@router.post("/supervision/cases", response={201: CaseOut}, summary="对所选疑点立案")
def open_case(request, body: OpenIn):
    require(request.user, SUPERVISION_MANAGE)
    all_visible_or_404(Hit.objects.all(), request.user, body.hits)
    c = cases.open_case(request.user.region_id, body.hits, request.user, title=body.title,
                        assigned_to=_auditor(request.user, body.assigned_to))
    return Status(201, _case(_cases_qs(request.user).get(pk=c.pk)))


class OpenMonthIn(Schema):
    month: str
    assigned_to: int | None = None


@router.post("/supervision/cases/from-month", response={201: list[CaseOut]},
             summary="按月批量立案（每个机构一案，无机构的按参保人）")
def open_month(request, body: OpenMonthIn):
    require(request.user, SUPERVISION_MANAGE)
    made = cases.open_cases_for_month(request.user.region_id, parse_month_text(body.month), request.user,
                                      assigned_to=_auditor(request.user, body.assigned_to))
    return Status(201, [_case(c) for c in _cases_qs(request.user).filter(pk__in=[c.pk for c in made])])


@router.get("/supervision/cases/{pk}", response=CaseOut, summary="案件详情（含暂缓的结算明细与处理决定）")
def case_detail(request, pk: int):
    require(request.user, SUPERVISION_VIEW)
    c = get_visible_or_404(_cases_qs(request.user), request.user, pk=pk)
    return _case(c, full=True)


class AssignIn(Schema):
    assigned_to: int


@router.post("/supervision/cases/{pk}/assign", response=CaseOut, summary="派案")
def assign(request, pk: int, body: AssignIn):
    require(request.user, SUPERVISION_MANAGE)
    c = get_visible_or_404(Case.objects.all(), request.user, pk=pk)
    auditor = _auditor(request.user, body.assigned_to)
    cases.assign(c, auditor, request.user)
    return _case(_cases_qs(request.user).get(pk=pk))


@router.post("/supervision/cases/{pk}/decision", response=CaseOut,
             summary="查实或排除（承办人本人；multipart，查实须附证据材料）")
def decide(request, pk: int, decision: Form[str], finding: Form[str] = "", evidence: File[UploadedFile] = None):
    require(request.user, CASE_DECIDE)
    c = get_visible_or_404(Case.objects.all(), request.user, pk=pk)
    if decision not in ("confirm", "dismiss"):
        raise ValidationError({"decision": "结论须为 confirm（查实）或 dismiss（排除）"})
    cases.decide(c, request.user, confirm=decision == "confirm", finding=finding, evidence=evidence)
    return _case(_cases_qs(request.user).get(pk=pk), full=True)


class SanctionIn(Schema):
    kind: str
    reason: str
    amount: MoneyText | None = None  # fines only
    starts_on: str | None = None
    ends_on: str | None = None
    carer_id: int | None = None


class SanctionWithdrawalIn(Schema):
    reason: str


class SanctionWithdrawalOut(Schema):
    id: int
    sanction: int
    reason: str
    effects: dict
    withdrawn_by: str
    withdrawn_at: datetime


@router.post("/supervision/sanctions/{pk}/withdrawal", response={201: SanctionWithdrawalOut},
             summary="撤销处理决定（罚款、暂停接收新参保人、解除协议；原决定保留）")
def withdraw_sanction(request, pk: int, body: SanctionWithdrawalIn):
    require(request.user, SANCTION_APPLY)
    s = get_visible_or_404(Sanction.objects.all(), request.user, pk=pk)
    w = sanctions.withdraw(s, request.user, reason=body.reason)
    return Status(201, {"id": w.pk, "sanction": s.pk, "reason": w.reason, "effects": w.effects,
                        "withdrawn_by": request.user.username, "withdrawn_at": w.withdrawn_at})


@router.post("/supervision/cases/{pk}/sanctions", response={201: SanctionOut, 202: DualRequestOut},
             summary="作出处理（追回、罚款、暂停护理员结算、暂停接收新参保人、解除协议；超过双人复核限额的罚款待复核）")
def apply_sanction(request, pk: int, body: SanctionIn):
    """201: applied. 202: a fine above the region's dual-control threshold, waiting for a second person
    (recorded when approved at /api/dual-control/requests/{id}/approve)."""
    require(request.user, SANCTION_APPLY)
    c = get_visible_or_404(Case.objects.all(), request.user, pk=pk)
    if body.carer_id is not None:
        get_visible_or_404(Carer.objects.all(), request.user, pk=body.carer_id)
    s = sanctions.apply(c, request.user, body.kind, reason=body.reason, amount=body.amount,
                        starts_on=body.starts_on, ends_on=body.ends_on, carer_id=body.carer_id)
    if isinstance(s, DualRequest):
        return Status(202, request_out(s))
    return Status(201, _sanction(s))


class SampleOut(Schema):
    id: int
    month: date
    visit_id: int
    person: dict
    phone: str
    address: str
    visit_start: datetime
    visit_end: datetime | None
    institution: str
    carer: str
    items: list[str]
    assigned_to: str | None
    method: str
    outcome: str
    note: str
    latitude: Decimal | None
    longitude: Decimal | None
    checked_at: datetime | None


def _sample(s: Sample, names: dict | None = None, *, contact: bool = False) -> dict:
    """A sample; the person's phone and address only for the auditor who is to call or visit."""
    v, p = s.visit, s.visit.person
    return {"id": s.pk, "month": s.month, "visit_id": v.pk, "person": _person(p),
            "phone": (p.phone or "") if contact else "", "address": (p.address or p.district or "") if contact else "",
            "visit_start": v.checkin_at, "visit_end": v.checkout_at,
            "institution": v.institution.name, "carer": v.carer.name,
            "items": [(names or {}).get(code, code) for code in v.items],
            "assigned_to": s.assigned_to.username if s.assigned_to_id else None, "method": s.method,
            "outcome": s.outcome, "note": s.note, "latitude": s.latitude, "longitude": s.longitude,
            "checked_at": s.checked_at}


def _samples_qs(user):
    return visible(Sample.objects.select_related("visit__person", "visit__institution", "visit__carer",
                                                 "assigned_to"), user)


class DrawOut(Schema):
    month: date
    drawn: int
    samples: list[int]
    share: Decimal
    seed: str


@router.post("/supervision/samples/draw", response={201: DrawOut}, summary="按比例随机抽取本月上门服务（可复核，不重复抽取）")
def draw(request, body: MonthIn):
    require(request.user, SUPERVISION_MANAGE)
    month = sampling.parse_month(body.month)
    region = request.user.region_id
    made = sampling.draw(region, month, request.user)
    share = rulebase.sampling_share(region, month)
    return Status(201, {"month": month, "drawn": len(made), "samples": [s.pk for s in made],
                        "share": share.quantize(Decimal("0.0001")), "seed": sampling.seed_for(region, month)})


@router.get("/supervision/samples", response=list[SampleOut], summary="某月的抽查任务")
def samples(request, month: str = "", offset: int = 0, limit: int = 200):
    require(request.user, SUPERVISION_VIEW)
    qs = _samples_qs(request.user)
    if month:
        qs = qs.filter(month=parse_month_text(month))
    rows = list(qs.order_by("-month", "id")[max(offset, 0):max(offset, 0) + min(max(limit, 1), 1000)])
    record(Action.VIEW_HEALTH, object_type_="supervision.sample", user=request.user,
           detail={"month": month, "shown": len(rows)})
    return [_sample(s) for s in rows]


class AssignSamplesIn(Schema):
    samples: list[int] = []
    assigned_to: int | None = None
    month: str | None = None  # with no samples named: the month's unassigned ones, shared among the auditors


class CountOut(Schema):
    assigned: int


@router.post("/supervision/samples/assign", response=CountOut, summary="分派抽查任务")
def assign_samples(request, body: AssignSamplesIn):
    require(request.user, SUPERVISION_MANAGE)
    region = request.user.region_id
    if not body.samples and body.month:
        return {"assigned": sampling.assign_evenly(region, parse_month_text(body.month), request.user)}
    all_visible_or_404(Sample.objects.all(), request.user, body.samples)
    auditor = _auditor(request.user, body.assigned_to)
    if auditor is None:
        raise ValidationError({"assigned_to": "请选择核查人员"})
    return {"assigned": sampling.assign(body.samples, auditor, request.user, region=region)}


@router.get("/supervision/samples/mine", response=list[SampleOut], summary="分派给我的待核查任务")
def my_samples(request):
    require(request.user, SAMPLE_CHECK)
    rows = list(_samples_qs(request.user).filter(assigned_to=request.user, outcome=SampleOutcome.PENDING)
                .order_by("month", "id")[:500])
    from django.utils import timezone

    names = item_names(request.user.region_id, timezone.localdate()) if request.user.region_id else {}
    for s in rows:
        record_view("health", s.visit.person, what="supervision_sample", sample=s.pk)
    return [_sample(s, names, contact=True) for s in rows]


class OutcomeIn(Schema):
    method: str
    outcome: str
    note: str = ""
    latitude: str | None = None
    longitude: str | None = None


@router.post("/supervision/samples/{pk}/outcome", response=SampleOut, summary="登记核查结果（被分派人本人）")
def record_outcome(request, pk: int, body: OutcomeIn):
    require(request.user, SAMPLE_CHECK)
    s = get_visible_or_404(Sample.objects.all(), request.user, pk=pk)
    sampling.record_outcome(s, request.user, method=body.method, outcome=body.outcome, note=body.note,
                            latitude=body.latitude, longitude=body.longitude)
    return _sample(_samples_qs(request.user).get(pk=pk), contact=True)


class RankOut(Schema):
    rank: int
    institution_id: int
    institution: str
    cases: int
    hits: int
    recovered: Decimal
    fined: Decimal


class RankingOut(Schema):
    start: date
    end: date
    rows: list[RankOut]


@router.get("/supervision/ranking", response=RankingOut, summary="定点机构按查实情况排名")
def institution_ranking(request, start: str = "", end: str = ""):
    require(request.user, SUPERVISION_VIEW)
    first, last = ranking.period(start or None, end or None)
    rows = ranking.ranking(request.user.region_id, first, last) if request.user.region_id else []
    return {"start": first, "end": last,
            "rows": [{"rank": r.rank, "institution_id": r.institution.pk, "institution": r.institution.name,
                      "cases": r.cases, "hits": r.hits, "recovered": r.recovered, "fined": r.fined} for r in rows]}
