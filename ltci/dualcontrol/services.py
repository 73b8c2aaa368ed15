"""Submitting, approving, rejecting and withdrawing requests that wait for a second person.

Who decides: an active user of the request's region who holds DUAL_CHECK and the permission that
makes that kind of request (LEDGER_MANAGE for fees, SANCTION_APPLY for fines, PAYMENT_MAKE for
payee accounts), and who is not the one who made it. The maker may withdraw a pending request.
Approving runs the kind's effect, which checks everything again against the books as they are
now (a month closed meanwhile, a budget spent by another fee): a refusal leaves the request
pending, to be rejected with the reason or approved once it fits. Every step is on the trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from ltci.accounts.roles import DUAL_CHECK, LEDGER_MANAGE, PAYMENT_MAKE, SANCTION_APPLY
from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.settlement.review import StepRefused

from .models import Request, RequestKind, RequestStatus

NOTE_MAX = 300


@dataclass(frozen=True)
class KindRule:
    permission: str  # makes this kind of request; with DUAL_CHECK, approves another's
    effect: str  # `effect(request, approver) -> the object made`, run when approved


KINDS = {
    RequestKind.FEE: KindRule(LEDGER_MANAGE, "ltci.fund.fees.approve_fee"),
    RequestKind.FINE: KindRule(SANCTION_APPLY, "ltci.supervision.sanctions.approve_fine"),
    RequestKind.PAYEE_ACCOUNT: KindRule(PAYMENT_MAKE, "ltci.settlement.payments.approve_account"),
}


def may_decide(user, req: Request) -> bool:
    """Whether `user` may approve or reject `req` (not whether it is still pending)."""
    return (getattr(user, "is_authenticated", False) and user.is_active and user.region_id == req.region_id
            and user.can(DUAL_CHECK) and user.can(KINDS[req.kind].permission) and user.pk != req.made_by_id)


def reveal_account(req: Request, user) -> str:
    """The full account number of a pending account change, for the person who may approve it: it
    is checked against the payee's bank letter before approving. Every reveal is on the trail."""
    if req.kind != RequestKind.PAYEE_ACCOUNT:
        raise StepRefused("该事项不涉及收款账户")
    if req.status != RequestStatus.PENDING:
        raise StepRefused(f"该事项{req.get_status_display()}，不再显示完整账号")
    if not may_decide(user, req):
        raise PermissionDenied(KINDS[req.kind].permission)
    record(Action.VIEW_ACCOUNT, req, user=user, region=req.region_id, detail={"kind": req.kind})
    return req.account_number


def submit(region_id: str, kind: str, user, *, summary: str, reason: str, payload: dict | None = None,
           amount: Decimal | None = None, subject: str = "", account_number: str = "", institution=None,
           person=None) -> Request:
    """Records a request as pending. A subject with a pending request already is refused (409); only
    a user of the region who may make this kind of request makes one."""
    if not user.can(KINDS[kind].permission) or user.region_id != region_id:
        raise PermissionDenied(KINDS[kind].permission)
    try:
        with transaction.atomic():
            req = Request.objects.create(
                region_id=region_id, kind=kind, subject=subject, summary=summary[:200], amount=amount,
                payload=payload or {}, account_number=account_number, institution=institution, person=person,
                reason=reason[:200], made_by=user)
    except IntegrityError:
        raise StepRefused("该对象已有一项待复核的申请：请等待复核，或由提交人先撤回") from None
    _trail(req, user, "submit", reason=req.reason)
    return req


def _decidable(req: Request, user) -> Request:
    req = Request.objects.select_for_update().get(pk=req.pk)
    if req.status != RequestStatus.PENDING:
        raise StepRefused(f"该事项{req.get_status_display()}，不能再办理")
    rule = KINDS[req.kind]
    if not (user.can(DUAL_CHECK) and user.can(rule.permission)) or user.region_id != req.region_id:
        raise PermissionDenied(rule.permission)
    if user.pk == req.made_by_id:
        raise StepRefused("双人复核须由提交人以外的人员办理")
    return req


@transaction.atomic
def approve(req: Request, user, note: str = "") -> Request:
    """Makes what the request asks for (the kind's effect) and marks it approved, in one transaction."""
    req = _decidable(req, user)
    made = import_string(KINDS[req.kind].effect)(req, user)
    req.status, req.decided_by, req.decided_at = RequestStatus.APPROVED, user, timezone.now()
    req.note = (note or "").strip()[:NOTE_MAX]
    req.result_type, req.result_id = made._meta.label_lower, str(made.pk)
    req.save(update_fields=["status", "decided_by", "decided_at", "note", "result_type", "result_id"])
    _trail(req, user, "approve", result=f"{req.result_type}:{req.result_id}")
    return req


@transaction.atomic
def reject(req: Request, user, reason: str) -> Request:
    req = _decidable(req, user)
    reason = (reason or "").strip()
    if not reason or len(reason) > NOTE_MAX:
        raise ValidationError({"reason": f"请填写驳回理由（不超过{NOTE_MAX}字）"})
    req.status, req.decided_by, req.decided_at, req.note = RequestStatus.REJECTED, user, timezone.now(), reason
    req.save(update_fields=["status", "decided_by", "decided_at", "note"])
    _trail(req, user, "reject", note=reason)
    return req


@transaction.atomic
def withdraw(req: Request, user) -> Request:
    req = Request.objects.select_for_update().get(pk=req.pk)
    if req.status != RequestStatus.PENDING:
        raise StepRefused(f"该事项{req.get_status_display()}，不能撤回")
    if user.pk != req.made_by_id:
        raise StepRefused("只有提交人可以撤回")
    req.status, req.decided_by, req.decided_at = RequestStatus.WITHDRAWN, user, timezone.now()
    req.save(update_fields=["status", "decided_by", "decided_at"])
    _trail(req, user, "withdraw")
    return req


def _trail(req: Request, user, step: str, **detail) -> None:
    record(Action.TRANSITION, req, user=user, region=req.region_id,
           detail={"step": step, "kind": req.kind, "amount": None if req.amount is None else str(req.amount),
                   "summary": req.summary, **detail})


def pending(kind: str, region_id: str):
    return Request.objects.filter(kind=kind, region_id=region_id, status=RequestStatus.PENDING)
