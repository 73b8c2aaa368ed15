"""双人复核 over JSON: the region's requests, and approving, rejecting or withdrawing one. Account
numbers are masked in every answer but the one reveal for the person who may approve."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from ninja import Router, Schema

from ltci.accounts.roles import DUAL_CHECK
from ltci.accounts.scope import get_visible_or_404, require, visible

from . import services
from .models import Request, RequestKind, RequestStatus

router = Router(tags=["双人复核"])


class DualRequestOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    summary: str
    amount: Decimal | None
    reason: str
    made_by: str
    made_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str
    result: str | None  # what approving made, as `app.model:id`


def request_out(r: Request) -> dict:
    return {"id": r.pk, "kind": r.kind, "kind_label": r.get_kind_display(), "status": r.status,
            "status_label": r.get_status_display(), "summary": r.summary, "amount": r.amount, "reason": r.reason,
            "made_by": r.made_by.username, "made_at": r.made_at,
            "decided_by": r.decided_by.username if r.decided_by_id else None, "decided_at": r.decided_at,
            "note": r.note, "result": f"{r.result_type}:{r.result_id}" if r.result_type else None}


def _qs(user):
    return visible(Request.objects.select_related("made_by", "decided_by"), user)


@router.get("/dual-control/requests", response=list[DualRequestOut], summary="双人复核事项（本地区）")
def request_list(request, status: str = "", kind: str = "", offset: int = 0, limit: int = 200):
    require(request.user, DUAL_CHECK)
    qs = _qs(request.user)
    if status:
        if status not in RequestStatus.values:
            raise ValidationError({"status": "状态须为 pending、approved、rejected 或 withdrawn"})
        qs = qs.filter(status=status)
    if kind:
        if kind not in RequestKind.values:
            raise ValidationError({"kind": "类别须为 fee、fine 或 payee_account"})
        qs = qs.filter(kind=kind)
    start = max(offset, 0)
    return [request_out(r) for r in qs[start:start + min(max(limit, 1), 1000)]]


@router.get("/dual-control/requests/{pk}", response=DualRequestOut, summary="双人复核事项详情")
def request_detail(request, pk: int):
    require(request.user, DUAL_CHECK)
    return request_out(get_visible_or_404(_qs(request.user), request.user, pk=pk))


class AccountNumberOut(Schema):
    id: int
    account_number: str


@router.post("/dual-control/requests/{pk}/account-number", response=AccountNumberOut,
             summary="查看待复核收款账户的完整账号（仅限可复核的人员，记入审计日志）")
def reveal_account(request, pk: int):
    require(request.user, DUAL_CHECK)
    r = get_visible_or_404(Request.objects.all(), request.user, pk=pk)
    return {"id": r.pk, "account_number": services.reveal_account(r, request.user)}


class NoteIn(Schema):
    note: str = ""


class ReasonIn(Schema):
    reason: str


@router.post("/dual-control/requests/{pk}/approve", response=DualRequestOut,
             summary="复核通过（立即生效：支付费用并记账、记录罚款或启用收款账户）")
def approve(request, pk: int, body: NoteIn):
    require(request.user, DUAL_CHECK)
    r = get_visible_or_404(Request.objects.all(), request.user, pk=pk)
    services.approve(r, request.user, body.note)
    return request_out(_qs(request.user).get(pk=pk))


@router.post("/dual-control/requests/{pk}/reject", response=DualRequestOut, summary="驳回（须写明理由）")
def reject(request, pk: int, body: ReasonIn):
    require(request.user, DUAL_CHECK)
    r = get_visible_or_404(Request.objects.all(), request.user, pk=pk)
    services.reject(r, request.user, body.reason)
    return request_out(_qs(request.user).get(pk=pk))


@router.post("/dual-control/requests/{pk}/withdraw", response=DualRequestOut, summary="撤回（提交人本人）")
def withdraw(request, pk: int):
    require(request.user, DUAL_CHECK)
    r = get_visible_or_404(Request.objects.all(), request.user, pk=pk)
    services.withdraw(r, request.user)
    return request_out(_qs(request.user).get(pk=pk))
