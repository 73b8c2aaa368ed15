"""Review of claims in steps by different people (初审, 复核), holds and disputes.

A reviewer takes the claim's lines that wait (no approval, no open hold, no open dispute) into an
approval; someone else approves it, which books the expense and what the fund owes the payee, or
returns it, which frees the lines for another review. Held or disputed lines wait until released or
answered.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.fund import accounts
from ltci.fund.services import Entry, post

from .models import Approval, ApprovalStatus, Claim, Dispute, Hold, Line, PayeeKind

ZERO = Decimal("0.00")


class StepRefused(ValidationError):
    """A step the claim's state or the four-eyes rule does not allow (409 in the API)."""


def waiting(claim_or_lines):
    """Lines nobody has reviewed yet that no hold or dispute keeps back."""
    lines = claim_or_lines.lines.all() if isinstance(claim_or_lines, Claim) else claim_or_lines
    return lines.filter(approval__isnull=True).exclude(_blocked())


def with_totals(claims: list[Claim]) -> list[Claim]:
    """The claims, each given its lines' count `n`, `fund`, `personal` and `waiting` (lines ready for
    review), over these claims alone, not the region's every line (0027): one pass over their lines,
    then the few held or disputed ones found from the holds and disputes (asked line by line, the
    two EXISTS cost 40 ms for a city's month of 45,000 lines)."""
    ids = [c.pk for c in claims]
    # Counted by claim_id, not id: PostgreSQL then reads the totals' index alone (line_claim_totals),
    # 2 ms rather than 5 for a page of a city's month.
    totals = {r["claim_id"]: r for r in Line.objects.filter(claim_id__in=ids).order_by().values("claim_id")
              .annotate(n=Count("claim_id"), f=Sum("fund"), p=Sum("personal"),
                        unapproved=Count("claim_id", filter=Q(approval__isnull=True)))}
    kept = {(line, claim) for model, still in ((Hold, Q(released_at__isnull=True)), (Dispute, Q(answered_at__isnull=True)))
            for line, claim in model.objects.filter(still, line__claim_id__in=ids, line__approval__isnull=True)
            .values_list("line_id", "line__claim_id")}
    blocked = Counter(claim for _, claim in kept)
    for c in claims:
        t = totals.get(c.pk, {})
        c.n, c.fund, c.personal = t.get("n", 0), t.get("f") or ZERO, t.get("p") or ZERO
        c.waiting = t.get("unapproved", 0) - blocked[c.pk]
    return claims


def _blocked() -> Q:
    held = Hold.objects.filter(line=OuterRef("pk"), released_at__isnull=True)
    disputed = Dispute.objects.filter(line=OuterRef("pk"), answered_at__isnull=True)
    return Q(Exists(held)) | Q(Exists(disputed))


def blocked(claim: Claim):
    return claim.lines.filter(approval__isnull=True).filter(_blocked())


@transaction.atomic
def review(claim: Claim, user, note: str = "") -> Approval:
    """初审: the claim's waiting lines, as they stand now, go into one approval."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    lines = list(waiting(claim).values_list("pk", "fund"))
    if not lines:
        raise StepRefused("该结算单没有待审核的明细（暂缓或有异议的明细须先处理）")
    approval = Approval.objects.create(claim=claim, fund=sum((f for _, f in lines), ZERO), reviewed_by=user,
                                       note=(note or "").strip()[:200])
    Line.objects.filter(pk__in=[pk for pk, _ in lines]).update(approval=approval)
    record(Action.TRANSITION, approval, user=user, region=claim.region_id,
           detail={"step": "review", "claim": claim.number, "lines": len(lines), "fund": str(approval.fund)})
    return approval


def _decidable(approval: Approval, user) -> Approval:
    approval = Approval.objects.select_for_update().select_related("claim").get(pk=approval.pk)
    if approval.status != ApprovalStatus.REVIEWED:
        raise StepRefused(f"该审核单{approval.get_status_display()}，不能再复核")
    if approval.reviewed_by_id == user.pk:
        raise StepRefused("初审与复核须由不同人员办理")
    return approval


@transaction.atomic
def approve(approval: Approval, user, note: str = "") -> Approval:
    """复核: books the expense and the payable, balanced, once (the approval is the key)."""
    approval = _decidable(approval, user)
    claim = approval.claim
    approval.status, approval.decided_by, approval.decided_at = ApprovalStatus.APPROVED, user, timezone.now()
    approval.note = (note or approval.note).strip()[:200]
    approval.save(update_fields=["status", "decided_by", "decided_at", "note"])
    entries = _entries(approval, claim)
    if entries:
        post(region_id=claim.region_id, key=f"approval:{approval.pk}", posted_on=timezone.localdate(),
             kind="claim_approval", memo=f"{claim.number} 复核通过", source=approval, entries=entries,
             into_open_month=True)
    record(Action.TRANSITION, approval, user=user, region=claim.region_id,
           detail={"step": "approve", "claim": claim.number, "fund": str(approval.fund)})
    return approval


def _entries(approval: Approval, claim: Claim) -> list[Entry]:
    """Expense against payable per payee; a net recovery reverses the sides."""
    if claim.payee_kind == PayeeKind.INSTITUTION:
        amounts = {f"institution:{claim.institution_id}": approval.fund}
        expense, payable = accounts.BENEFIT_INSTITUTION, accounts.PAYABLE_INSTITUTION
    else:
        amounts = defaultdict(lambda: ZERO)
        for person_id, fund in approval.lines.values("person_id").annotate(f=Sum("fund")).values_list("person_id", "f"):
            amounts[f"person:{person_id}"] += fund.quantize(Decimal("0.01"))  # SQLite sums as floats
        expense, payable = accounts.BENEFIT_CASH, accounts.PAYABLE_INSURED
    entries = []
    for party, amount in sorted(amounts.items()):
        if amount > 0:
            entries += [Entry(expense, debit=amount), Entry(payable, credit=amount, party=party)]
        elif amount < 0:
            entries += [Entry(payable, debit=-amount, party=party), Entry(expense, credit=-amount)]
    return entries


@transaction.atomic
def send_back(approval: Approval, user, note: str) -> Approval:
    """复核退回: the lines wait again for a review."""
    if not (note or "").strip():
        raise ValidationError({"note": "请填写退回理由"})
    approval = _decidable(approval, user)
    approval.status, approval.decided_by, approval.decided_at = ApprovalStatus.RETURNED, user, timezone.now()
    approval.note = note.strip()[:200]
    approval.save(update_fields=["status", "decided_by", "decided_at", "note"])
    count = approval.lines.update(approval=None)
    record(Action.TRANSITION, approval, user=user, region=approval.claim.region_id,
           detail={"step": "return", "lines": count, "note": approval.note})
    return approval


def _open_line(line: Line) -> Line:
    line = Line.objects.select_for_update().select_related("claim").get(pk=line.pk)
    if line.approval_id is not None:
        raise StepRefused("该明细已进入审核，不能再暂缓或提出异议")
    return line


@transaction.atomic
def hold(line: Line, user, reason: str) -> Hold:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写暂缓支付的原因"})
    line = _open_line(line)
    if line.holds.filter(released_at__isnull=True).exists():
        raise StepRefused("该明细已暂缓支付")
    held = Hold.objects.create(line=line, reason=reason[:200], placed_by=user)
    return held


@transaction.atomic
def release(held: Hold, user) -> Hold:
    held = Hold.objects.select_for_update().get(pk=held.pk)
    if held.released_at is not None:
        raise StepRefused("该暂缓已解除")
    held.released_by, held.released_at = user, timezone.now()
    held.save(update_fields=["released_by", "released_at"])
    return held


@transaction.atomic
def dispute(line: Line, user, reason: str) -> Dispute:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写异议理由"})
    line = _open_line(line)
    if line.payee != PayeeKind.INSTITUTION:
        raise StepRefused("只能对本机构结算单的明细提出异议")
    if line.disputes.filter(answered_at__isnull=True).exists():
        raise StepRefused("该明细已有待处理的异议")
    return Dispute.objects.create(line=line, reason=reason[:500], raised_by=user)


@transaction.atomic
def answer(item: Dispute, user, text: str) -> Dispute:
    """The agency's answer; a correction itself comes from corrected records and the next run."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"answer": "请填写处理意见"})
    item = Dispute.objects.select_for_update().get(pk=item.pk)
    if item.answered_at is not None:
        raise StepRefused("该异议已处理")
    item.answer, item.answered_by, item.answered_at = text[:500], user, timezone.now()
    item.save(update_fields=["answer", "answered_by", "answered_at"])
    return item
