"""Settlement pages: run a month (with its progress on the job page), claims and their lines with
the review steps, payables and payment batches, and statements as PDF."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ltci.accounts.roles import CLAIM_APPROVE, CLAIM_DISPUTE, CLAIM_REVIEW, CLAIM_VIEW, PAYMENT_MAKE, SETTLEMENT_RUN
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.assessment.services import grade_label
from ltci.audit.recorder import record_view
from ltci.core import confirm
from ltci.core.errors import reasons
from ltci.core.money import yuan_text
from ltci.core.models import Job, JobKind
from ltci.core.paging import page_of, querystring_without_page
from ltci.dualcontrol import services as dual
from ltci.dualcontrol.models import RequestKind
from ltci.enrolment.models import Person
from ltci.providers.models import Institution

from . import payments, review, run, statements
from .api import bank_file_response, line_status, lines_of
from .models import (Approval, ApprovalStatus, BatchCancellation, Claim, Dispute, Hold, Line, PayeeAccount, Payment,
                     PaymentBatch, mask_account)

STATUS_LABELS = {"waiting": "待审核", "held": "暂缓支付", "disputed": "异议处理中",
                 **{k: v for k, v in ApprovalStatus.choices}}


@login_required
def index(request):
    require(request.user, CLAIM_VIEW)
    if request.method == "POST":
        require(request.user, SETTLEMENT_RUN)
        try:
            job = run.start_settlement(request.user.region, request.POST.get("month", ""), user=request.user,
                                       background=settings.JOBS_IN_BACKGROUND)
        except ValidationError as exc:
            messages.error(request, reasons(exc))
            return redirect("settlement:index")
        return redirect("job_detail", job.pk)
    claims = (visible(Claim.objects.select_related("institution"), request.user)
              .order_by("-month", "payee_kind", "institution__name", "id"))
    page = page_of(claims, request)
    page.object_list = review.with_totals(list(page.object_list))
    own = None
    if request.user.reach == "self" and request.user.person_id:
        own = (Line.objects.filter(person_id=request.user.person_id).values("claim__month")
               .annotate(fund=Sum("fund"), personal=Sum("personal"), n=Count("id")).order_by("-claim__month"))
    runs = visible(Job.objects.filter(kind=JobKind.SETTLEMENT), request.user)[:12]
    return render(request, "settlement/index.html", {
        "page": page, "runs": runs, "own": own, "may_run": request.user.can(SETTLEMENT_RUN),
        "may_pay": request.user.can(PAYMENT_MAKE), "querystring": querystring_without_page(request.GET)})


@login_required
def claim_detail(request, pk: int):
    require(request.user, CLAIM_VIEW)
    claim = get_visible_or_404(Claim.objects.select_related("institution", "region"), request.user, pk=pk)
    record_view("health", claim, what="settlement_lines")
    status = request.GET.get("status", "")
    lines = lines_of(claim.lines.all())
    if status == "waiting":
        lines = review.waiting(lines)
    elif status == "blocked":
        lines = review.blocked(claim).select_related("person")
    page = page_of(lines, request)
    rows = [{"line": ln, "status": line_status(ln), "status_label": STATUS_LABELS[line_status(ln)],
             "mode": statements.MODES.get(ln.mode, ln.mode), "grade": grade_label(ln.grade),
             "open_hold": next((h for h in ln.holds.all() if h.released_at is None), None),
             "open_dispute": next((d for d in ln.disputes.all() if d.answered_at is None), None)} for ln in page]
    totals = claim.lines.aggregate(f=Sum("fund"), p=Sum("personal"), n=Count("id"))
    user = request.user
    return render(request, "settlement/claim_detail.html", {
        "claim": claim, "rows": rows, "page": page, "totals": totals, "status": status,
        "approvals": claim.approvals.select_related("reviewed_by", "decided_by").annotate(n=Count("lines")),
        "waiting": review.waiting(claim).count(), "may_review": user.can(CLAIM_REVIEW),
        "may_approve": user.can(CLAIM_APPROVE), "may_dispute": user.can(CLAIM_DISPUTE),
        "querystring": querystring_without_page(request.GET)})


# What each form on the claim page does: (permission, model the id names, action).
ACTIONS = {
    "review": (CLAIM_REVIEW, Claim, lambda obj, user, text: review.review(obj, user, text)),
    "approve": (CLAIM_APPROVE, Approval, lambda obj, user, text: review.approve(obj, user, text)),
    "return": (CLAIM_APPROVE, Approval, lambda obj, user, text: review.send_back(obj, user, text)),
    "hold": (CLAIM_REVIEW, Line, lambda obj, user, text: review.hold(obj, user, text)),
    "release": (CLAIM_REVIEW, Hold, lambda obj, user, text: review.release(obj, user)),
    "dispute": (CLAIM_DISPUTE, Line, lambda obj, user, text: review.dispute(obj, user, text)),
    "answer": (CLAIM_REVIEW, Dispute, lambda obj, user, text: review.answer(obj, user, text)),
    "recover": (CLAIM_APPROVE, Line, lambda obj, user, text: run.recover(obj, user, text)),
}
DONE = {"review": "已初审，等待复核", "approve": "复核通过，已记账", "return": "已退回", "hold": "已暂缓支付",
        "release": "已解除暂缓", "dispute": "异议已提交", "answer": "异议已答复", "recover": "追回明细已生成"}


@login_required
@require_POST
def claim_action(request, pk: int):
    require(request.user, CLAIM_VIEW)
    claim = get_visible_or_404(Claim.objects.all(), request.user, pk=pk)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        raise Http404("unknown action")
    permission, model, do = ACTIONS[action]
    require(request.user, permission)
    raw = request.POST.get("id", "")
    if not raw.isascii() or not raw.isdigit():
        raise Http404("no object")
    scoped = {Claim: Claim.objects.filter(pk=claim.pk), Approval: Approval.objects.filter(claim=claim),
              Line: Line.objects.filter(claim=claim), Hold: Hold.objects.filter(line__claim=claim),
              Dispute: Dispute.objects.filter(line__claim=claim)}[model]
    obj = get_visible_or_404(scoped, request.user, pk=int(raw))
    back = request.POST.get("back", "")
    back = reverse("settlement:claim", args=[claim.pk]) + (f"?{back}" if back.isascii() and back else "")
    try:
        if action == "recover":  # takes money back from a payee: asks first
            done = confirm.run(request, lambda: do(obj, request.user, request.POST.get("text", "")), _recovery_summary)
            if isinstance(done, confirm.Asked):
                return confirm.page(request, done, back=back)
        else:
            do(obj, request.user, request.POST.get("text", ""))
    except ValidationError as exc:
        messages.error(request, reasons(exc))
    else:
        messages.success(request, DONE[action])
    return redirect(back)


def _recovery_summary(made: Line) -> confirm.Summary:
    line = made.corrects
    return confirm.Summary("确认追回", [
        ("参保人", line.person.name), ("服务月份", f"{line.service_month:%Y年%m月}"),
        ("原结算明细基金支付", f"{yuan_text(line.fund)} 元"), ("追回金额", f"{yuan_text(-made.fund)} 元"),
        ("记入", f"{made.claim.month:%Y年%m月}结算，从应付给{made.claim.institution.name if made.claim.institution_id else '参保人'}的待遇中抵扣"),
        ("追回原因", made.note.removeprefix("追回：")),
    ], warning="追回明细生成后不能删除，原结算明细保留。", button="确认追回")


@login_required
def claim_pdf(request, pk: int):
    require(request.user, CLAIM_VIEW)
    claim = get_visible_or_404(Claim.objects.select_related("institution", "region"), request.user, pk=pk)
    record_view("health", claim, what="settlement_statement")
    response = HttpResponse(statements.claim_pdf(claim), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{claim.number}.pdf"'
    return response


@login_required
def person_pdf(request, person_id: int, month: str):
    require(request.user, CLAIM_VIEW)
    person = get_visible_or_404(Person.objects.select_related("region"), request.user, pk=person_id)
    try:
        first = run.parse_month_text(month)
    except ValidationError:
        raise Http404("no such month") from None
    if request.user.reach == "institution" and not Line.objects.filter(
            person=person, claim__institution_id=request.user.institution_id).exists():
        raise PermissionDenied("not this institution's client")
    record_view("health", person, what="benefit_statement", month=month)
    response = HttpResponse(statements.person_pdf(person, first), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="benefit-{person.pk}-{month}.pdf"'
    return response


@login_required
def payment_list(request):
    require(request.user, PAYMENT_MAKE)
    if request.method == "POST":
        try:
            out = confirm.run(request, lambda: payments.make_batch(request.user.region_id, request.user),
                              _batch_summary)
        except ValidationError as exc:
            messages.error(request, reasons(exc))
        else:
            if isinstance(out, confirm.Asked):
                return confirm.page(request, out, back=reverse("settlement:payments"))
            messages.success(request, f"已生成支付批次 {out.batch.number}：{out.batch.payees} 户，"
                             f"合计 {yuan_text(out.batch.total)} 元" + (f"；{len(out.skipped)} 户未纳入" if out.skipped else ""))
        return redirect("settlement:payments")
    owed = [{"o": o, "name": payments._name(o), "kind": "定点机构" if o.institution else "参保人",
             "account": mask_account(o.account.account_number) if o.account else "",
             "why": payments.why_not_paid(o), "payee": f"institution={o.institution.pk}" if o.institution
             else (f"person={o.person.pk}" if o.person else "")}
            for o in payments.owed(request.user.region_id)]
    batches = visible(PaymentBatch.objects.select_related("created_by", "cancelled"), request.user)[:50]
    return render(request, "settlement/payments.html", {
        "owed": owed, "batches": batches,
        "institutions": visible(Institution.objects.filter(region_id=request.user.region_id), request.user)
        .order_by("name")})


def _batch_summary(out: payments.Outcome) -> confirm.Summary:
    """Who a batch pays, how much and to which account, and who it leaves for later."""
    batch = out.batch
    items = [f"{p.institution.name if p.institution else p.person.name}：{yuan_text(p.amount)} 元，"
             f"转入 {p.bank} {mask_account(p.account_number)}（{p.account_name}）"
             for p in batch.payments.select_related("institution", "person").order_by("id")]
    items += [f"暂不拨付 {s['payee']}：{s['reason']}" for s in out.skipped]
    return confirm.Summary("确认生成支付批次（拨付）", [
        ("拨付日期", f"{batch.paid_on:%Y-%m-%d}"), ("收款方", f"{batch.payees} 户"),
        ("合计", f"{yuan_text(batch.total)} 元"), ("暂不拨付", f"{len(out.skipped)} 户")],
        items=items, button=f"确认拨付 {yuan_text(batch.total)} 元",
        warning="生成后即记账（应付待遇转为已拨付），并可下载银行文件。下载银行文件之前可以撤销本批次（记冲销凭证，"
                "所含结算恢复为待拨付）；下载之后，资金以银行退回逐笔更正。")


def _payee(request, data):
    """The institution or person a payee-account form names, within the user's scope (404 otherwise)."""
    for key, model in (("institution", Institution), ("person", Person)):
        raw = (data.get(key) or "").strip()
        if raw:
            if not raw.isascii() or not raw.isdigit():
                raise Http404("no payee")
            return key, get_visible_or_404(model.objects.all(), request.user, pk=int(raw))
    return None, None


@login_required
def payee_account(request):
    """登记或变更收款账户: the form, and its submission as a request for a second person's approval."""
    require(request.user, PAYMENT_MAKE)
    key, payee = _payee(request, request.POST if request.method == "POST" else request.GET)
    if payee is None:
        if request.method == "POST":
            messages.error(request, "请选择收款方")
        return redirect("settlement:payments")
    if request.method == "POST":
        try:
            req = payments.set_account(request.user, **{key: payee}, account_name=request.POST.get("account_name", ""),
                                       bank=request.POST.get("bank", ""),
                                       account_number=request.POST.get("account_number", ""))
        except ValidationError as exc:
            messages.error(request, reasons(exc))
            return redirect(f"{reverse('settlement:payee_account')}?{key}={payee.pk}")
        messages.success(request, f"已提交双人复核（第 {req.pk} 号）：{req.summary}。复核通过前，拨付不使用新账户，"
                                  "该收款方留待复核后的批次。")
        return redirect("settlement:payments")
    current = PayeeAccount.objects.filter(**{key: payee}).select_related("request__decided_by").first()
    waiting = dual.pending(RequestKind.PAYEE_ACCOUNT, payee.region_id).filter(**{key: payee}).first()
    return render(request, "settlement/payee_account.html", {
        "key": key, "payee": payee, "current": current,
        "current_masked": mask_account(current.account_number) if current else "", "waiting": waiting})


@login_required
def batch_detail(request, pk: int):
    """A payment batch's transfers, each with its account masked, and the bank's returns: a transfer
    the bank sent back is recorded here (its amount is owed to the payee again)."""
    require(request.user, PAYMENT_MAKE)
    batch = get_visible_or_404(PaymentBatch.objects.select_related("created_by"), request.user, pk=pk)
    rows = [{"p": p, "name": p.institution.name if p.institution else p.person.name,
             "account": mask_account(p.account_number), "returned": getattr(p, "returned", None)}
            for p in batch.payments.select_related("institution", "person", "returned").order_by("id")]
    cancelled = BatchCancellation.objects.filter(batch=batch).select_related("cancelled_by").first()
    return render(request, "settlement/batch_detail.html", {"batch": batch, "rows": rows, "cancelled": cancelled})


@login_required
@require_POST
def cancel_batch(request, pk: int):
    require(request.user, PAYMENT_MAKE)
    batch = get_visible_or_404(PaymentBatch.objects.all(), request.user, pk=pk)
    return confirm.step(
        request, lambda: payments.cancel_batch(batch, request.user, reason=request.POST.get("reason", "")),
        _cancel_summary, back=reverse("settlement:batch", args=[batch.pk]),
        done=lambda made: f"已撤销支付批次 {batch.number}：{batch.payees} 户 {yuan_text(batch.total)} 元"
                          "恢复为待拨付，已记冲销凭证")


def _cancel_summary(made) -> confirm.Summary:
    batch = made.batch
    return confirm.Summary("确认撤销支付批次", [
        ("支付批次", batch.number), ("拨付日期", f"{batch.paid_on:%Y-%m-%d}"), ("收款方", f"{batch.payees} 户"),
        ("合计", f"{yuan_text(batch.total)} 元"), ("撤销原因", made.reason)],
        button=f"确认撤销 {yuan_text(batch.total)} 元的批次",
        warning="撤销后记冲销凭证（原批次与原凭证保留），所含结算恢复为待拨付，可重新生成批次；"
                "本批次不能再下载银行文件。撤销不能恢复。")


@login_required
@require_POST
def return_payment(request, pk: int):
    require(request.user, PAYMENT_MAKE)
    payment = get_visible_or_404(Payment.objects.select_related("batch", "institution", "person"), request.user, pk=pk)
    back = reverse("settlement:batch", args=[payment.batch_id])
    try:
        returned_on = _day(request.POST.get("returned_on"), "returned_on")
    except ValidationError as exc:
        messages.error(request, reasons(exc))
        return redirect(back)
    return confirm.step(
        request, lambda: payments.return_payment(payment, request.user, reason=request.POST.get("reason", ""),
                                                 returned_on=returned_on),
        _return_summary, back=back,
        done=lambda made: f"已登记银行退回：{_payee_name(payment)} {yuan_text(payment.amount)} 元，"
                          "已重新计入应付待遇，核实收款账户后在下一批次拨付")


def _payee_name(payment: Payment) -> str:
    return payment.institution.name if payment.institution else payment.person.name


def _day(value, field: str):
    from ltci.core.values import BadValue, parse_date

    if not (value or "").strip():
        return None
    try:
        return parse_date(value)
    except BadValue as exc:
        raise ValidationError({field: str(exc)}) from None


def _return_summary(made) -> confirm.Summary:
    p = made.payment
    return confirm.Summary("确认登记银行退回", [
        ("支付批次", p.batch.number), ("收款方", _payee_name(p)), ("金额", f"{yuan_text(p.amount)} 元"),
        ("退回日期", f"{made.returned_on:%Y-%m-%d}"), ("原因", made.reason)],
        button=f"确认退回 {yuan_text(p.amount)} 元",
        warning="登记后记账：银行存款增加，该收款方的应付待遇恢复，在下一批次拨付；请先核实并变更收款账户。"
                "同一笔支付只能登记一次退回。")


@login_required
def bank_file(request, pk: int):
    require(request.user, PAYMENT_MAKE)
    batch = get_visible_or_404(PaymentBatch.objects.all(), request.user, pk=pk)
    try:
        return bank_file_response(batch, request.user)
    except ValidationError as exc:
        messages.error(request, reasons(exc))
        return redirect("settlement:batch", pk=batch.pk)
