"""The fund's books over JSON: balances and the trial balance, journals, periods and their closing,
the budget, fees, the cover ratio and the public report. A user sees only their own region's books;
a platform administrator names the region with `region`."""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from ltci.accounts.roles import DISCLOSURE_VIEW, LEDGER_MANAGE, LEDGER_VIEW
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.core.money import MoneyText
from ltci.dualcontrol.api import DualRequestOut, request_out
from ltci.dualcontrol.models import Request as DualRequest
from ltci.regions.models import Region

from . import budget, cover, fees, ledger, periods
from .disclosure import disclosure, disclosure_pdf, parse_month
from .models import Fee, Journal

router = Router(tags=["基金账务"])


def _region(request, code: str = "") -> Region:
    if request.user.region_id:
        return request.user.region
    region = Region.objects.filter(pk=code).first() if code and request.user.is_superuser else None
    if region is None:
        raise ValidationError({"region": "请指定统筹地区"})
    return region


class BalanceOut(Schema):
    account: str
    name: str
    party: str
    party_name: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


class TrialRowOut(Schema):
    account: str
    name: str
    debit: Decimal
    credit: Decimal
    debit_balance: Decimal
    credit_balance: Decimal


class TrialOut(Schema):
    rows: list[TrialRowOut]
    debit: Decimal
    credit: Decimal
    debit_balance: Decimal
    credit_balance: Decimal
    balanced: bool


class BalancesOut(Schema):
    region: str
    on: date
    accounts: list[BalanceOut]
    trial_balance: TrialOut
    fund_balance: Decimal


class PostingOut(Schema):
    account: str
    name: str
    party: str
    debit: Decimal
    credit: Decimal

    @staticmethod
    def resolve_name(obj) -> str:
        return ledger.NAMES.get(obj.account, obj.account)


class JournalOut(Schema):
    id: int
    key: str
    posted_on: date
    kind: str
    memo: str
    source_type: str
    source_id: str
    created_at: datetime
    postings: list[PostingOut]


class PeriodOut(Schema):
    month: str
    closed: bool
    journals: int
    closed_at: datetime | None
    closed_by: str | None


class CloseIn(Schema):
    month: str  # YYYY-MM


class BudgetIn(Schema):
    year: int
    lines: dict[str, MoneyText]  # account → yuan


class BudgetLineOut(Schema):
    account: str
    name: str
    budget: Decimal | None
    actual: Decimal
    rate: Decimal | None  # percent
    remaining: Decimal | None


class AgencyRoomOut(Schema):
    rate: Decimal
    clause: str
    premium_income: Decimal
    limit: Decimal
    spent: Decimal
    left: Decimal


class BudgetOut(Schema):
    year: int
    through: date
    income: list[BudgetLineOut]
    expenditure: list[BudgetLineOut]
    income_total: BudgetLineOut
    expenditure_total: BudgetLineOut
    agency_fee_cap: AgencyRoomOut | None


class FeeIn(Schema):
    kind: str  # agency | assessment
    amount: MoneyText
    on: date
    memo: str
    reference: str = ""


class FeeOut(Schema):
    id: int
    kind: str
    amount: Decimal
    paid_on: date
    memo: str
    reference: str


class CoverMonthOut(Schema):
    month: str
    spending: Decimal


class CoverOut(Schema):
    on: date
    bank: Decimal
    average: Decimal | None
    ratio: Decimal | None
    threshold: Decimal
    basis: str
    warning: bool
    months: list[CoverMonthOut]


class DisclosureLineOut(Schema):
    account: str
    name: str
    amount: Decimal


class DisclosureOut(Schema):
    region: str
    title: str
    start: str
    end: str
    income: list[DisclosureLineOut]
    income_total: Decimal
    expenditure: list[DisclosureLineOut]
    expenditure_total: Decimal
    surplus: Decimal
    opening: Decimal
    closing: Decimal
    bank: Decimal
    payable: Decimal
    open_months: list[str]


def _line(row: budget.BudgetRow) -> dict:
    return {"account": row.account, "name": row.name, "budget": row.budget, "actual": row.actual, "rate": row.rate,
            "remaining": row.remaining}


@router.get("/fund/balances", response=BalancesOut, summary="科目余额与试算平衡表（截至某日）")
def balances(request, on: date | None = None, region: str = ""):
    require(request.user, LEDGER_VIEW)
    reg = _region(request, region)
    on = on or timezone.localdate()
    rows = ledger.balances(reg.pk, on)
    totals = ledger.by_account(rows)
    names = ledger.party_names(b.party for b in rows if b.party)
    trial = ledger.trial_balance(reg.pk, on, totals)
    return {"region": reg.pk, "on": on, "fund_balance": ledger.fund_balance(reg.pk, on, totals),
            "accounts": [{"account": b.account, "name": b.name, "party": b.party, "party_name": names.get(b.party, ""),
                          "debit": b.debit, "credit": b.credit, "balance": b.balance} for b in rows],
            "trial_balance": {"rows": [r.__dict__ for r in trial.rows], "debit": trial.debit, "credit": trial.credit,
                              "debit_balance": trial.debit_balance, "credit_balance": trial.credit_balance,
                              "balanced": trial.balanced}}


@router.get("/fund/journals", response=list[JournalOut], summary="记账凭证（含分录，分页）")
@paginate
def journals(request, kind: str = "", start: date | None = None, end: date | None = None, region: str = ""):
    require(request.user, LEDGER_VIEW)
    reg = _region(request, region)
    qs = visible(Journal.objects.filter(region=reg).prefetch_related("postings").order_by("-posted_on", "-id"),
                 request.user)
    if kind:
        qs = qs.filter(kind=kind)
    if start:
        qs = qs.filter(posted_on__gte=start)
    if end:
        qs = qs.filter(posted_on__lte=end)
    return qs


@router.get("/fund/periods", response=list[PeriodOut], summary="会计期间（自首张凭证起，逐月）")
def period_list(request, region: str = ""):
    require(request.user, LEDGER_VIEW)
    reg = _region(request, region)
    return [{"month": f"{m['month']:%Y-%m}", "closed": m["closed"], "journals": m["journals"],
             "closed_at": m["closed_at"], "closed_by": m["closed_by"].username if m["closed_by"] else None}
            for m in periods.months(reg.pk)]


@router.post("/fund/periods/close", response=PeriodOut, summary="结账（按月依次；已结账月份不再记账）")
def close_period(request, payload: CloseIn, region: str = ""):
    require(request.user, LEDGER_MANAGE)
    reg = _region(request, region)
    period = periods.close(reg.pk, parse_month(payload.month, "month"), request.user)
    return {"month": f"{period.month:%Y-%m}", "closed": True, "closed_at": period.closed_at,
            "closed_by": request.user.username,
            "journals": Journal.objects.filter(region=reg, posted_on__gte=period.month,
                                               posted_on__lte=periods.month_end(period.month)).count()}


def _budget(reg: Region, year: int) -> dict:
    report = budget.budget_vs_actual(reg.pk, year)
    room = fees.agency_room(reg.pk, year)
    return {"year": year, "through": report.through, "income": [_line(r) for r in report.income],
            "expenditure": [_line(r) for r in report.expenditure], "income_total": _line(report.income_total),
            "expenditure_total": _line(report.expenditure_total),
            "agency_fee_cap": None if room is None else {
                "rate": room.cap.rate, "clause": room.cap.clause, "premium_income": room.premium_income,
                "limit": room.limit, "spent": room.spent, "left": room.left}}


@router.get("/fund/budget", response=BudgetOut, summary="年度预算与执行（实际数来自记账凭证）")
def budget_get(request, year: int | None = None, region: str = ""):
    require(request.user, LEDGER_VIEW)
    return _budget(_region(request, region), year or timezone.localdate().year)


@router.put("/fund/budget", response=BudgetOut, summary="编制年度预算（所给科目；其余科目不变）")
def budget_set(request, payload: BudgetIn, region: str = ""):
    require(request.user, LEDGER_MANAGE)
    reg = _region(request, region)
    budget.set_budget(reg.pk, payload.year, payload.lines, request.user)
    return _budget(reg, payload.year)


@router.post("/fund/fees", response={201: FeeOut, 200: FeeOut, 202: DualRequestOut},
             summary="支付经办服务费或评估费用并记账（须在预算、银行存款与南宁5%上限之内；超过双人复核限额的待复核后支付）")
def fee_post(request, payload: FeeIn, region: str = ""):
    """201: paid and posted. 202: above the region's dual-control threshold, recorded as waiting for a
    second person (paid when approved at /api/dual-control/requests/{id}/approve). The same
    `reference` again answers 200 with the fee (or 202 with the request) recorded the first time."""
    require(request.user, LEDGER_MANAGE)
    reg = _region(request, region)
    reference = payload.reference.strip()
    before = bool(reference) and Fee.objects.filter(region=reg, reference=reference).exists()
    made = fees.post_fee(reg, payload.kind, payload.amount, payload.on, payload.memo, request.user,
                         reference=reference)
    if isinstance(made, DualRequest):
        return Status(202, request_out(made))
    return Status(200 if before else 201, made)


class ReversalIn(Schema):
    reason: str


class ReversalOut(Schema):
    id: int
    fee: int
    original_journal: int
    journal: int
    posted_on: date
    amount: Decimal
    reason: str
    reversed_by: str


@router.post("/fund/fees/{pk}/reversal", response={201: ReversalOut},
             summary="冲销一笔费用（另记一张借贷相反的凭证，原记录保留；每笔只能冲销一次）")
def fee_reverse(request, pk: int, payload: ReversalIn):
    require(request.user, LEDGER_MANAGE)
    fee = get_visible_or_404(Fee.objects.all(), request.user, pk=pk)
    r = fees.reverse_fee(fee, request.user, reason=payload.reason)
    return Status(201, {"id": r.pk, "fee": fee.pk, "original_journal": r.original_id, "journal": r.journal_id,
                        "posted_on": r.journal.posted_on, "amount": fee.amount, "reason": r.reason,
                        "reversed_by": request.user.username})


@router.get("/fund/fees", response=list[FeeOut], summary="经办与评估费用记录")
@paginate
def fee_list(request, region: str = ""):
    require(request.user, LEDGER_VIEW)
    return visible(Fee.objects.filter(region=_region(request, region)).order_by("-paid_on", "-id"), request.user)


@router.get("/fund/cover-ratio", response=CoverOut, summary="基金可支付月数与预警")
def cover_ratio(request, on: date | None = None, region: str = ""):
    require(request.user, LEDGER_VIEW)
    c = cover.cover_ratio(_region(request, region).pk, on)
    return {"on": c.on, "bank": c.bank, "average": c.average, "ratio": c.ratio, "threshold": c.threshold,
            "basis": c.basis, "warning": c.warning,
            "months": [{"month": f"{m:%Y-%m}", "spending": v} for m, v in c.months]}


def _report(request, start: str, end: str, region: str):
    require(request.user, DISCLOSURE_VIEW)
    return disclosure(_region(request, region), parse_month(start, "start"), parse_month(end, "end"))


@router.get("/fund/disclosure", response=DisclosureOut, summary="基金收支公示（按月份区间）")
def disclosure_json(request, start: str, end: str, region: str = ""):
    return _report(request, start, end, region).as_dict()


@router.get("/fund/disclosure/pdf", summary="基金收支公示 PDF")
def disclosure_pdf_view(request, start: str, end: str, region: str = ""):
    report = _report(request, start, end, region)
    response = HttpResponse(disclosure_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="fund-{report.region_id}-{start}-{end}.pdf"'
    return response
