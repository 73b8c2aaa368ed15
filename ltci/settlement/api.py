"""Settlement over JSON: runs, claims and their lines, the review steps, holds and disputes,
payables and payment batches. Account numbers are masked in every answer; only the bank file
carries them whole."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.http import HttpResponse
from ninja import Router, Schema, Status

from ltci.accounts.roles import CLAIM_APPROVE, CLAIM_DISPUTE, CLAIM_REVIEW, CLAIM_VIEW, PAYMENT_MAKE, SETTLEMENT_RUN
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.audit.recorder import record_view
from ltci.core.api import RunOut, run_out
from ltci.core.exports import attachment
from ltci.dualcontrol.api import DualRequestOut, request_out
from ltci.core.models import Job, JobKind
from ltci.enrolment.models import Person
from ltci.providers.models import Institution

from . import payments, review, run
from .models import Approval, Claim, Dispute, Hold, Line, Payment, PaymentBatch, mask_account

router = Router(tags=["待遇结算"])


class RunIn(Schema):
    month: str


@router.post("/settlement/runs", response={202: RunOut}, summary="执行月度结算（全部成功或全部不写入）")
def start(request, body: RunIn):
    require(request.user, SETTLEMENT_RUN)
    job = run.start_settlement(request.user.region, body.month, user=request.user,
                               background=settings.JOBS_IN_BACKGROUND)
    return Status(202, run_out(job))


@router.get("/settlement/runs/{pk}", response=RunOut, summary="结算进度与结果")
def run_status(request, pk: int):
    require(request.user, CLAIM_VIEW)
    return run_out(get_visible_or_404(Job.objects.filter(kind=JobKind.SETTLEMENT), request.user, pk=pk))


class ClaimOut(Schema):
    id: int
    number: str
    month: date
    payee_kind: str
    institution_id: int | None
    payee: str
    lines: int
    fund: Decimal
    personal: Decimal
    waiting: int


def _claim(c: Claim, totals: dict | None = None, waiting: int | None = None) -> dict:
    if totals is None:
        totals = c.lines.aggregate(n=Count("id"), f=Sum("fund"), p=Sum("personal"))
    if waiting is None:
        waiting = review.waiting(c).count()
    return {"id": c.pk, "number": c.number, "month": c.month, "payee_kind": c.payee_kind,
            "institution_id": c.institution_id, "payee": c.payee_name, "lines": totals["n"],
            "fund": totals["f"] or 0, "personal": totals["p"] or 0, "waiting": waiting}


def _claims(claims: list[Claim]) -> list[dict]:
    return [_claim(c, {"n": c.n, "f": c.fund, "p": c.personal}, c.waiting) for c in review.with_totals(claims)]


@router.get("/settlement/claims", response=list[ClaimOut], summary="结算单（本人可见范围）")
def claims(request, month: str | None = None, offset: int = 0, limit: int = 20):
    require(request.user, CLAIM_VIEW)
    qs = visible(Claim.objects.select_related("institution"), request.user)
    if month:
        qs = qs.filter(month=run.parse_month_text(month))
    return _claims(list(qs[max(offset, 0):max(offset, 0) + min(max(limit, 1), 500)]))


@router.get("/settlement/claims/{pk}", response=ClaimOut)
def claim(request, pk: int):
    require(request.user, CLAIM_VIEW)
    return _claim(get_visible_or_404(Claim.objects.select_related("institution"), request.user, pk=pk))


class ClaimLineOut(Schema):
    id: int
    person_id: int
    person_name: str
    masked_id: str
    service_month: date
    kind: str
    payee: str
    mode: str
    grade: str
    part_from: date
    part_to: date
    eligible_days: int
    units: dict
    cost: Decimal
    fund: Decimal
    personal: Decimal
    explanation: list
    note: str
    status: str


def line_status(line: Line) -> str:
    if line.approval_id:
        return line.approval.status
    if any(h.released_at is None for h in line.holds.all()):
        return "held"
    if any(d.answered_at is None for d in line.disputes.all()):
        return "disputed"
    return "waiting"


def _line(ln: Line) -> dict:
    return {"id": ln.pk, "person_id": ln.person_id, "person_name": ln.person.name, "masked_id": ln.person.masked_id,
            "service_month": ln.service_month, "kind": ln.kind, "payee": ln.payee, "mode": ln.mode, "grade": ln.grade,
            "part_from": ln.part_from, "part_to": ln.part_to, "eligible_days": ln.eligible_days, "units": ln.units,
            "cost": ln.cost, "fund": ln.fund, "personal": ln.personal, "explanation": ln.explanation, "note": ln.note,
            "status": line_status(ln)}


def lines_of(qs):
    return qs.select_related("person", "approval").prefetch_related("holds", "disputes")


@router.get("/settlement/claims/{pk}/lines", response=list[ClaimLineOut], summary="结算明细（含计算说明）")
def claim_lines(request, pk: int, offset: int = 0, limit: int = 200):
    require(request.user, CLAIM_VIEW)
    c = get_visible_or_404(Claim.objects.all(), request.user, pk=pk)
    record_view("health", c, what="settlement_lines")
    qs = lines_of(visible(c.lines.all(), request.user))
    return [_line(ln) for ln in qs[max(offset, 0):max(offset, 0) + min(max(limit, 1), 1000)]]


class ApprovalOut(Schema):
    id: int
    claim_id: int
    status: str
    fund: Decimal
    lines: int


def _approval(a: Approval) -> dict:
    return {"id": a.pk, "claim_id": a.claim_id, "status": a.status, "fund": a.fund, "lines": a.lines.count()}


class NoteIn(Schema):
    note: str = ""


@router.post("/settlement/claims/{pk}/review", response={201: ApprovalOut}, summary="初审")
def review_claim(request, pk: int, body: NoteIn):
    require(request.user, CLAIM_REVIEW)
    c = get_visible_or_404(Claim.objects.all(), request.user, pk=pk)
    return Status(201, _approval(review.review(c, request.user, body.note)))


@router.post("/settlement/approvals/{pk}/approve", response=ApprovalOut, summary="复核通过（记账）")
def approve(request, pk: int, body: NoteIn):
    require(request.user, CLAIM_APPROVE)
    a = get_visible_or_404(Approval.objects.all(), request.user, pk=pk)
    return _approval(review.approve(a, request.user, body.note))


@router.post("/settlement/approvals/{pk}/return", response=ApprovalOut, summary="复核退回")
def send_back(request, pk: int, body: NoteIn):
    require(request.user, CLAIM_APPROVE)
    a = get_visible_or_404(Approval.objects.all(), request.user, pk=pk)
    return _approval(review.send_back(a, request.user, body.note))


class ReasonIn(Schema):
    reason: str


class ItemOut(Schema):
    id: int
    line_id: int


@router.post("/settlement/lines/{pk}/hold", response={201: ItemOut}, summary="暂缓支付")
def hold(request, pk: int, body: ReasonIn):
    require(request.user, CLAIM_REVIEW)
    h = review.hold(get_visible_or_404(Line.objects.all(), request.user, pk=pk), request.user, body.reason)
    return Status(201, {"id": h.pk, "line_id": h.line_id})


@router.post("/settlement/holds/{pk}/release", response=ItemOut, summary="解除暂缓")
def release(request, pk: int):
    require(request.user, CLAIM_REVIEW)
    h = review.release(get_visible_or_404(Hold.objects.all(), request.user, pk=pk), request.user)
    return {"id": h.pk, "line_id": h.line_id}


@router.post("/settlement/lines/{pk}/dispute", response={201: ItemOut}, summary="机构对明细提出异议")
def dispute(request, pk: int, body: ReasonIn):
    require(request.user, CLAIM_DISPUTE)
    d = review.dispute(get_visible_or_404(Line.objects.all(), request.user, pk=pk), request.user, body.reason)
    return Status(201, {"id": d.pk, "line_id": d.line_id})


class AnswerIn(Schema):
    answer: str


@router.post("/settlement/disputes/{pk}/answer", response=ItemOut, summary="答复异议")
def answer(request, pk: int, body: AnswerIn):
    require(request.user, CLAIM_REVIEW)
    d = review.answer(get_visible_or_404(Dispute.objects.all(), request.user, pk=pk), request.user, body.answer)
    return {"id": d.pk, "line_id": d.line_id}


@router.post("/settlement/lines/{pk}/recover", response={201: ClaimLineOut}, summary="违规追回（记入首个未结账月份）")
def recover(request, pk: int, body: ReasonIn):
    require(request.user, CLAIM_APPROVE)
    ln = run.recover(get_visible_or_404(Line.objects.all(), request.user, pk=pk), request.user, body.reason)
    return Status(201, _line(lines_of(Line.objects.all()).get(pk=ln.pk)))


class OwedOut(Schema):
    party: str
    payee: str
    amount: Decimal
    account: str | None  # the approved account, masked
    account_change: int | None  # the dual-control request of an account change awaiting approval
    not_paid_because: str | None  # why the next batch leaves this payee out


@router.get("/settlement/payables", response=list[OwedOut], summary="应付待遇（按收款方）")
def payables(request):
    require(request.user, PAYMENT_MAKE)
    return [{"party": o.party, "payee": payments._name(o), "amount": o.amount,
             "account": mask_account(o.account.account_number) if o.account else None,
             "account_change": o.change.pk if o.change else None, "not_paid_because": payments.why_not_paid(o)}
            for o in payments.owed(request.user.region_id)]


class BatchOut(Schema):
    id: int
    number: str
    paid_on: date
    total: Decimal
    payees: int
    skipped: list[dict] = []
    cancelled: bool = False


@router.post("/settlement/payment-batches", response={201: BatchOut}, summary="拨付（生成支付批次）")
def make_batch(request):
    require(request.user, PAYMENT_MAKE)
    out = payments.make_batch(request.user.region_id, request.user)
    b = out.batch
    return Status(201, {"id": b.pk, "number": b.number, "paid_on": b.paid_on, "total": b.total, "payees": b.payees,
                        "skipped": out.skipped})


@router.get("/settlement/payment-batches", response=list[BatchOut])
def batches(request):
    require(request.user, CLAIM_VIEW)
    return [{"id": b.pk, "number": b.number, "paid_on": b.paid_on, "total": b.total, "payees": b.payees,
             "cancelled": hasattr(b, "cancelled")}
            for b in visible(PaymentBatch.objects.select_related("cancelled"), request.user)[:200]]


@router.get("/settlement/payment-batches/{pk}/bank-file", summary="银行代发文件（CSV，完整账号）")
def bank_file(request, pk: int):
    require(request.user, PAYMENT_MAKE)
    return bank_file_response(get_visible_or_404(PaymentBatch.objects.all(), request.user, pk=pk), request.user)


class CancelIn(Schema):
    reason: str


class CancelOut(Schema):
    batch: int
    number: str
    total: Decimal
    approvals: int
    reason: str


@router.post("/settlement/payment-batches/{pk}/cancellation", response={201: CancelOut},
             summary="撤销支付批次（银行文件下载之前；记冲销凭证，所含结算恢复为待拨付）")
def cancel_batch(request, pk: int, body: CancelIn):
    require(request.user, PAYMENT_MAKE)
    batch = get_visible_or_404(PaymentBatch.objects.all(), request.user, pk=pk)
    made = payments.cancel_batch(batch, request.user, reason=body.reason)
    return Status(201, {"batch": batch.pk, "number": batch.number, "total": batch.total,
                        "approvals": len(made.approvals), "reason": made.reason})


class ReturnIn(Schema):
    reason: str
    returned_on: date | None = None


class ReturnOut(Schema):
    id: int
    payment: int
    amount: Decimal
    returned_on: date
    reason: str


@router.post("/settlement/payments/{pk}/return", response={201: ReturnOut},
             summary="登记银行退回：某笔支付被银行退回（金额重新计入应付待遇，记账）")
def return_payment(request, pk: int, body: ReturnIn):
    require(request.user, PAYMENT_MAKE)
    payment = get_visible_or_404(Payment.objects.select_related("batch"), request.user, pk=pk)
    made = payments.return_payment(payment, request.user, reason=body.reason, returned_on=body.returned_on)
    return Status(201, {"id": made.pk, "payment": payment.pk, "amount": payment.amount,
                        "returned_on": made.returned_on, "reason": made.reason})


def bank_file_response(batch: PaymentBatch, user) -> HttpResponse:
    return attachment(payments.bank_file(batch, user), f"{batch.number}.csv")


class AccountIn(Schema):
    institution_id: int | None = None
    person_id: int | None = None
    account_name: str
    bank: str
    account_number: str


@router.put("/settlement/payee-accounts", response={202: DualRequestOut},
            summary="登记或变更收款账户（提交双人复核，复核通过后生效）")
def set_account(request, body: AccountIn):
    """Answers 202 with the request: the account is used only after another person approves it at
    /api/dual-control/requests/{id}/approve; until then batches leave the payee out."""
    require(request.user, PAYMENT_MAKE)
    if (body.institution_id is None) == (body.person_id is None):
        raise ValidationError({"institution_id": "请指定一个机构或一位参保人"})
    owner = ({"institution": get_visible_or_404(Institution.objects.all(), request.user, pk=body.institution_id)}
             if body.institution_id else
             {"person": get_visible_or_404(Person.objects.all(), request.user, pk=body.person_id)})
    req = payments.set_account(request.user, **owner, account_name=body.account_name, bank=body.bank,
                               account_number=body.account_number)
    return Status(202, request_out(req))
