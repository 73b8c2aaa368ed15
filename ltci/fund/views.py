"""Pages: the fund's books (balances, trial balance, periods, cover ratio, budget, fees), the journals,
and the public report of income and expenditure with its PDF."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ltci.accounts.roles import DISCLOSURE_VIEW, DUAL_CHECK, LEDGER_MANAGE, LEDGER_VIEW
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.core import confirm
from ltci.core.errors import reasons
from ltci.core.paging import page_of, querystring_without_page
from ltci.core.money import yuan_text
from ltci.core.values import BadValue, parse_date
from ltci.dualcontrol.models import Request as DualRequest, RequestKind, RequestStatus
from ltci.dualcontrol.threshold import threshold
from ltci.regions.models import Region

from . import budget, cover, fees, ledger, periods
from .disclosure import disclosure, disclosure_pdf, parse_month
from .accounts import BANK, NAMES
from .models import Fee, FeeKind, Journal, Reversal


def _region(request) -> Region | None:
    """The user's region; a platform administrator (no region) picks one with ?region=."""
    if request.user.region_id:
        return request.user.region
    code = (request.GET.get("region") or request.POST.get("region")) if request.user.is_superuser else None
    return Region.objects.filter(pk=code).first() if code else None


def _pick_region(request, template: str):
    return render(request, template, {"regions": Region.objects.all(), "region": None})


def _back(request, region: Region, **params) -> str:
    if not request.user.region_id:
        params["region"] = region.pk
    return reverse("fund:ledger") + (f"?{urlencode(params)}" if params else "")


def _day(value: str, default: date) -> date:
    try:
        return parse_date(value) if value else default
    except BadValue:
        return default


def _year(value: str, default: int) -> int:
    return int(value) if value.isascii() and value.isdigit() and 2000 <= int(value) <= 2100 else default


@login_required
def ledger_page(request):
    require(request.user, LEDGER_VIEW)
    region = _region(request)
    if region is None:
        return _pick_region(request, "fund/ledger.html")
    today = timezone.localdate()
    on = _day(request.GET.get("on", ""), today)
    year = _year(request.GET.get("year", ""), on.year)
    rows = ledger.balances(region.pk, on)
    totals = ledger.by_account(rows)
    names = ledger.party_names(b.party for b in rows if b.party)
    months = periods.months(region.pk, today)
    # Months close in order: the close button goes on the earliest month that has ended and is open.
    waiting = [n for n, m in enumerate(months) if m["ended"] and not m["closed"]]
    return render(request, "fund/ledger.html", {
        "region": region, "on": on, "year": year, "today": today,
        "balances": [{"b": b, "party_name": names.get(b.party, b.party)} for b in rows],
        "trial": ledger.trial_balance(region.pk, on, totals), "fund_balance": ledger.fund_balance(region.pk, on, totals),
        "cover": cover.cover_ratio(region.pk, on),
        "months": months[:max(24, waiting[-1] + 1 if waiting else 0)],  # the month to close next stays on the page
        "closable": months[waiting[-1]]["month"] if waiting else None,
        "report": budget.budget_vs_actual(region.pk, year, on), "room": fees.agency_room(region.pk, year),
        "fees": _with_reversals(visible(Fee.objects.filter(region=region)
                                        .select_related("recorded_by", "approved_by"), request.user)[:10]),
        "waiting_fees": visible(DualRequest.objects.filter(region=region, kind=RequestKind.FEE,
                                                           status=RequestStatus.PENDING), request.user)
        .select_related("made_by"),
        "fee_kinds": FeeKind.choices, "may_manage": request.user.can(LEDGER_MANAGE),
        "dual_threshold": (yuan_text(threshold(region.pk, today)[0]), threshold(region.pk, today)[1]),
        "may_dual": request.user.can(DUAL_CHECK),
        "region_param": "" if request.user.region_id else region.pk,
    })


def _with_reversals(fees_) -> list[Fee]:
    """The fees with their reversal (冲销) if any, for the page."""
    fees_ = list(fees_)
    found = {r.original.key: r for r in Reversal.objects.filter(original__key__in=[f"fee:{f.pk}" for f in fees_])
             .select_related("original", "journal", "reversed_by")}
    for fee in fees_:
        fee.reversal = found.get(f"fee:{fee.pk}")
    return fees_


@login_required
@require_POST
def close_period(request):
    require(request.user, LEDGER_MANAGE)
    region = _region(request)
    if region is None:
        return redirect("fund:ledger")
    try:
        month = parse_month(request.POST.get("month", ""), "month")
        done = confirm.run(request, lambda: periods.close(region.pk, month, request.user),
                           lambda period: _close_summary(region, month))
    except ValidationError as exc:
        messages.error(request, reasons(exc))
    else:
        if isinstance(done, confirm.Asked):
            return confirm.page(request, done, back=_back(request, region))
        messages.success(request, f"{periods.month_label(month)}已结账。")
    return redirect(_back(request, region))


def _close_summary(region: Region, month: date) -> confirm.Summary:
    """Closing a month cannot be undone: what it holds is shown first."""
    end = periods.month_end(month)
    journals = Journal.objects.filter(region=region, posted_on__gte=month, posted_on__lte=end).count()
    return confirm.Summary(f"确认结账{periods.month_label(month)}", [
        ("会计期间", periods.month_label(month)), ("本月凭证", f"{journals} 张"),
        ("本月末银行存款余额", f"{yuan_text(ledger.account_balance(region.pk, BANK, end))} 元"),
        ("本月末滚存结余", f"{yuan_text(ledger.fund_balance(region.pk, end))} 元"),
    ], warning="结账后该月不再记账，也不能反结账；之后到账或更正的款项记入第一个未结账月份。", button="确认结账")


@login_required
@require_POST
def set_budget(request):
    require(request.user, LEDGER_MANAGE)
    region = _region(request)
    if region is None:
        return redirect("fund:ledger")
    year = _year(request.POST.get("year", ""), 0)
    try:
        lines = {account: raw for account in budget.LINES if (raw := request.POST.get(f"line_{account}", "").strip())}
        changed = budget.set_budget(region.pk, year, lines, request.user)
    except ValidationError as exc:
        messages.error(request, reasons(exc))
    else:
        messages.success(request, f"{year}年预算已保存，{changed} 个科目有变动。")
    return redirect(_back(request, region, year=year) if year else _back(request, region))


def _fee_summary(made) -> confirm.Summary:
    """What paying a fee does: the money out of the bank and the balance after it, or the request."""
    if isinstance(made, DualRequest):
        return confirm.Summary("确认提交费用", [("费用", made.summary), ("办理方式", f"{made.reason}，提交双人复核，复核通过后才支付并记账")],
                               button="确认提交双人复核")
    account = ledger.FEE_ACCOUNT[made.kind]
    return confirm.Summary("确认支付费用并记账", [
        ("费用类别", made.get_kind_display()), ("金额", f"{yuan_text(made.amount)} 元"),
        ("支付日期", f"{made.paid_on:%Y-%m-%d}"), ("摘要", made.memo), ("凭证号", made.reference or "无"),
        ("记账", f"借 {NAMES[account]}，贷 {NAMES[BANK]}，各 {yuan_text(made.amount)} 元"),
    ], notes=[("支付后银行存款余额", f"{yuan_text(ledger.account_balance(made.region_id, BANK))} 元")], warning="记账后凭证不能修改或删除；如有差错，只能由基金财务人员冲销（另记一张相反的凭证）。", button="确认支付并记账")


@login_required
@require_POST
def post_fee(request):
    require(request.user, LEDGER_MANAGE)
    region = _region(request)
    if region is None:
        return redirect("fund:ledger")

    def act():
        try:
            on = parse_date(request.POST.get("on", ""))
        except BadValue as exc:
            raise ValidationError({"on": str(exc)}) from None
        return fees.post_fee(region, request.POST.get("kind", ""), request.POST.get("amount", ""), on,
                             request.POST.get("memo", ""), request.user, reference=request.POST.get("reference", ""))

    try:
        made = confirm.run(request, act, _fee_summary)
    except ValidationError as exc:
        messages.error(request, reasons(exc))
        return redirect(_back(request, region))
    if isinstance(made, confirm.Asked):
        return confirm.page(request, made, back=_back(request, region))
    if isinstance(made, DualRequest):
        messages.warning(request, f"{made.reason}，已提交双人复核（第 {made.pk} 号），复核通过后支付并记账：{made.summary}")
    else:
        messages.success(request, f"已记账：{made.paid_on:%Y-%m-%d} {made.get_kind_display()} {yuan_text(made.amount)} 元")
    return redirect(_back(request, region))


def _reversal_summary(reversal: Reversal) -> confirm.Summary:
    original, fee = reversal.original, Fee.objects.get(pk=int(reversal.original.source_id))
    return confirm.Summary("确认冲销费用", [
        ("被冲销的费用", f"{fee.paid_on:%Y-%m-%d} {fee.get_kind_display()} {yuan_text(fee.amount)} 元 · {fee.memo}"),
        ("冲销凭证", f"{reversal.journal.posted_on:%Y-%m-%d} 记账：借 {NAMES[BANK]}，贷 {NAMES[ledger.FEE_ACCOUNT[fee.kind]]}，"
                 f"各 {yuan_text(fee.amount)} 元"),
        ("冲销理由", reversal.reason),
    ], notes=[("冲销后银行存款余额", f"{yuan_text(ledger.account_balance(original.region_id, BANK))} 元")], warning="原费用记录和原凭证保留不变；每笔费用只能冲销一次。", button="确认冲销")


@login_required
@require_POST
def reverse_fee(request, pk: int):
    """冲销: a fee paid in error taken back out of the books by a reversing journal, after asking."""
    require(request.user, LEDGER_MANAGE)
    fee = get_visible_or_404(Fee.objects.all(), request.user, pk=pk)
    return confirm.step(
        request, lambda: fees.reverse_fee(fee, request.user, reason=request.POST.get("reason", "")),
        _reversal_summary, back=_back(request, fee.region),
        done=lambda made: f"已冲销：{fee.paid_on:%Y-%m-%d} {fee.get_kind_display()} {yuan_text(fee.amount)} 元")


@login_required
def journal_list(request):
    require(request.user, LEDGER_VIEW)
    region = _region(request)
    if region is None:
        return _pick_region(request, "fund/journals.html")
    qs = visible(Journal.objects.filter(region=region).prefetch_related("postings"), request.user)
    kind, month = request.GET.get("kind", "").strip(), request.GET.get("month", "").strip()
    if kind:
        qs = qs.filter(kind=kind)
    if month:
        try:
            first = parse_month(month, "month")
        except ValidationError:
            messages.error(request, f"月份格式应为“年-月”，如 2026-01：{month}")
        else:
            qs = qs.filter(posted_on__gte=first, posted_on__lte=periods.month_end(first))
    page = page_of(qs.order_by("-posted_on", "-id"), request)
    reversals = {r.original_id: r for r in Reversal.objects.filter(original__in=list(page)).select_related("journal")}
    parties = ledger.party_names(p.party for j in page for p in j.postings.all() if p.party)
    for journal in page:
        journal.reversed_by = reversals.get(journal.pk)
        journal.lines = [(p, ledger.NAMES.get(p.account, p.account), parties.get(p.party, "") if p.party else "")
                         for p in journal.postings.all()]
        journal.kind_label = ledger.KIND_LABELS.get(journal.kind, journal.kind)
    return render(request, "fund/journals.html", {
        "region": region, "page": page, "kind": kind, "month": month,
        "kinds": [(k, ledger.KIND_LABELS.get(k, k)) for k in
                  Journal.objects.filter(region=region).order_by("kind").values_list("kind", flat=True).distinct()],
        "querystring": querystring_without_page(request.GET),
    })


def _span(request) -> tuple[date, date]:
    today = timezone.localdate()
    start = request.GET.get("start") or f"{today.year}-01"
    end = request.GET.get("end") or f"{today:%Y-%m}"
    return parse_month(start, "start"), parse_month(end, "end")


@login_required
def disclosure_page(request):
    require(request.user, DISCLOSURE_VIEW)
    region = _region(request)
    if region is None:
        return _pick_region(request, "fund/disclosure.html")
    context = {"region": region, "start": request.GET.get("start", ""), "end": request.GET.get("end", ""),
               "region_param": "" if request.user.region_id else region.pk}
    try:
        start, end = _span(request)
        context["d"] = disclosure(region, start, end)
        context["start"], context["end"] = f"{start:%Y-%m}", f"{end:%Y-%m}"
    except ValidationError as exc:
        context["error"] = reasons(exc)
    return render(request, "fund/disclosure.html", context, status=422 if "error" in context else 200)


@login_required
def disclosure_pdf_view(request):
    require(request.user, DISCLOSURE_VIEW)
    region = _region(request)
    if region is None:
        return redirect("fund:disclosure")
    try:
        start, end = _span(request)
        report = disclosure(region, start, end)
    except ValidationError as exc:
        messages.error(request, reasons(exc))
        return redirect("fund:disclosure")
    response = HttpResponse(disclosure_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="fund-{region.pk}-{start:%Y%m}-{end:%Y%m}.pdf"'
    return response
