"""Sanctions (处理) on a confirmed case, applied by the agency (SANCTION_APPLY), never by the
auditor who investigated or decided the case. Each sanction acts where it takes effect and links
what it did in `effects`:

- recovery: the case's approved or paid lines are taken back by recovery lines in the first open
  settlement month (ltci.settlement.run.recover);
- fine: the amount is recorded only. Fines are non-tax revenue paid to the treasury (国库), not to
  the insurance fund, so nothing is posted to the fund's ledger (docs/decisions/0009). A fine is at
  most five times the fund the case's lines paid, or 50,000 yuan where that is more (the national
  regulation's ranges, docs/decisions/0013); above the region's dual-control threshold it waits for
  a second person (ltci.dualcontrol) and is recorded when approved;
- carer suspension: the carer's settlement is suspended for the period (ltci.providers.carers);
- institution suspension: no new clients until a date (ltci.providers.designation.suspend);
- termination: the agreement ends on a date (ltci.providers.designation.terminate).

A region's default periods (Changning 二(二)2: three months) come from its policy parameters
`[supervision] carer_suspension_months` / `institution_suspension_months` when present; otherwise
the dates must be given.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.core.money import FINE, parse_money, yuan_text
from ltci.dualcontrol import services as dual
from ltci.dualcontrol.models import Request as DualRequest, RequestKind
from ltci.dualcontrol.threshold import why_second_person
from ltci.fund.ledger import fen_sum, yuan
from ltci.policy.errors import PolicyError
from ltci.policy.policies import policy_carried_on
from ltci.providers import carers, designation
from ltci.providers.models import Carer
from ltci.settlement import run
from ltci.settlement.models import ApprovalStatus
from ltci.settlement.review import StepRefused

from .cases import case_lines
from .models import Case, CaseStatus, Sanction, SanctionKind, SanctionWithdrawal

REASON_MAX = 300
CENT = Decimal("0.01")
# 《医疗保障基金使用监督管理条例》(国务院令第735号): fines of 2 to 5 times the amount taken (第四十条),
# or fixed fines of at most 50,000 yuan (第三十九条). Read for LTCI as the ceiling of a fine typed by
# hand: whichever is higher of 5 × the fund the case's lines paid and 50,000 (docs/decisions/0013).
FINE_MULTIPLE = 5
FINE_FIXED_MAX = Decimal("50000.00")


def parse_date(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({field: "日期格式应为“年-月-日”，如 2026-01-31"}) from None


def fine_ceiling(case: Case) -> tuple[Decimal, str]:
    """The largest fine this case allows, and why."""
    concerned = yuan(case_lines(case).filter(fund__gt=0).aggregate(s=fen_sum("fund"))["s"])
    ceiling = max(concerned * FINE_MULTIPLE, FINE_FIXED_MAX)
    return ceiling, (f"罚款至多为本案涉及基金支付 {yuan_text(concerned)} 元的{FINE_MULTIPLE}倍或"
                     f" {yuan_text(FINE_FIXED_MAX)} 元，取其高者")


def fined_so_far(case: Case, *, besides: DualRequest | None = None) -> Decimal:
    """The case's fines recorded and waiting for a second person (but `besides`): the ceiling and the
    dual-control threshold hold for the case's fines together, so splitting a fine gains nothing."""
    recorded = (case.sanctions.filter(kind=SanctionKind.FINE, withdrawal__isnull=True)
                .aggregate(s=fen_sum("amount"))["s"])
    waiting = dual.pending(RequestKind.FINE, case.region_id).filter(subject=fine_subject(case))
    if besides is not None:
        waiting = waiting.exclude(pk=besides.pk)
    return yuan(recorded) + yuan(waiting.aggregate(s=fen_sum("amount"))["s"])


def fine_subject(case: Case) -> str:
    return f"case:{case.pk}:fine"


def parse_fine(case: Case, value, *, besides: DualRequest | None = None) -> tuple[Decimal, Decimal]:
    """(the fine, the case's fines before it)."""
    ceiling, why = fine_ceiling(case)
    earlier = fined_so_far(case, besides=besides)
    left = max(ceiling - earlier, Decimal(0))
    if earlier:
        why += f"；本案已处罚款（含待复核）{yuan_text(earlier)} 元，尚可处 {yuan_text(left)} 元"
    amount = parse_money(value, FINE, "amount", label="罚款金额", maximum=left, why_maximum=why)
    return amount, earlier


def default_months(region: str, kind: str, on: date) -> int | None:
    """The region's default suspension period in months, if its policy parameters set one."""
    try:
        params = policy_carried_on(region, on)[0].params
    except PolicyError:
        return None
    if "supervision" not in params:
        return None
    node = params.section("supervision").get(f"{kind}_months")
    value = node.get("value") if isinstance(node, dict) else node
    return value if isinstance(value, int) and value > 0 else None


def add_months(day: date, months: int) -> date:
    """The day before the same day `months` later: a period of whole months from `day`."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d) - timedelta(days=1)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def case_carers(case: Case):
    """The carers the case's hits name, else the carers of the case's institution."""
    ids = set(case.hits.exclude(carer__isnull=True).values_list("carer_id", flat=True))
    if ids:
        return Carer.objects.filter(pk__in=ids)
    if case.institution_id:
        return Carer.objects.filter(institution_id=case.institution_id)
    return Carer.objects.none()


@transaction.atomic
def apply(case: Case, user, kind: str, *, reason: str, amount=None, starts_on=None, ends_on=None, carer_id=None,
          today: date | None = None) -> Sanction | DualRequest:
    """Applies a sanction on a confirmed case; a fine above the region's dual-control threshold is
    returned as a request waiting for a second person instead (recorded when approved)."""
    today = today or timezone.localdate()
    case = Case.objects.select_for_update(of=("self",)).select_related("institution").get(pk=case.pk)
    if kind not in SanctionKind.values:
        raise ValidationError({"kind": "处理方式须为追回基金、罚款、暂停护理员结算、暂停接收新参保人或解除服务协议"})
    if case.status != CaseStatus.CONFIRMED:
        raise StepRefused("只能对已查实的案件作出处理")
    if user.pk in (case.decided_by_id, case.assigned_to_id):
        raise StepRefused("承办并作出查实结论的稽核人员不能同时作出处理")
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"请填写处理依据（不超过{REASON_MAX}个字）"})
    starts_on, ends_on = parse_date(starts_on, "starts_on"), parse_date(ends_on, "ends_on")
    fields = {"case": case, "kind": kind, "reason": reason, "applied_by": user}
    if kind == SanctionKind.RECOVERY:
        fields.update(_recover(case, user, reason, today))
    elif kind == SanctionKind.FINE:
        amount, earlier = parse_fine(case, amount)
        why = why_second_person(case.region_id, today, earlier + amount)
        if why is not None:
            if earlier:
                why = f"连同本案已处罚款 {yuan_text(earlier)} 元，{why}"
            return dual.submit(case.region_id, RequestKind.FINE, user, amount=amount, reason=why,
                               subject=fine_subject(case), payload={"case": case.pk, "reason": reason},
                               summary=f"稽核案件{case.number}罚款 {yuan_text(amount)} 元：{reason}")
        fields.update(amount=amount, effects={"ledger": "罚款缴入国库，不记入长护险基金"})
    elif kind == SanctionKind.CARER_SUSPENSION:
        fields.update(_suspend_carer(case, user, reason, carer_id, starts_on, ends_on, today))
    elif kind == SanctionKind.INSTITUTION_SUSPENSION:
        institution = _institution(case)
        if ends_on is None:
            months = default_months(case.region_id, "institution_suspension", today)
            if months is None:
                raise ValidationError({"ends_on": "请填写暂停接收新参保人的截止日期"})
            ends_on = add_months(today, months)
        designation.suspend(institution, user, until=ends_on, reason=reason)
        fields.update(starts_on=today, ends_on=ends_on, effects={"institution": institution.pk,
                                                                  "suspended_until": ends_on.isoformat()})
    else:  # termination
        institution = _institution(case)
        if starts_on is None:
            raise ValidationError({"starts_on": "请填写解除服务协议的日期"})
        designation.terminate(institution, user, on=starts_on, reason=reason, case_number=case.number)
        fields.update(starts_on=starts_on,
                      effects={"institution": institution.pk, "terminated_on": starts_on.isoformat()})
    sanction = Sanction.objects.create(**fields)
    record(Action.TRANSITION, case, user=user,
           detail={"step": "sanction", "kind": kind, "sanction": sanction.pk,
                   "amount": str(sanction.amount) if sanction.amount is not None else None, **sanction.effects})
    return sanction


def approve_fine(req: DualRequest, approver) -> Sanction:
    """The dual-control effect of a fine: recorded now, if the case still takes it. The approver, like
    the maker, is neither the auditor the case was assigned to nor the one who decided it."""
    case = Case.objects.select_for_update(of=("self",)).get(pk=req.payload["case"])
    if case.status != CaseStatus.CONFIRMED:
        raise StepRefused("只能对已查实的案件作出处理")
    if approver.pk in (case.decided_by_id, case.assigned_to_id):
        raise StepRefused("承办并作出查实结论的稽核人员不能复核本案的处理")
    amount, _ = parse_fine(case, req.amount, besides=req)
    sanction = Sanction.objects.create(
        case=case, kind=SanctionKind.FINE, reason=req.payload["reason"], applied_by=req.made_by, amount=amount,
        effects={"ledger": "罚款缴入国库，不记入长护险基金", "dual_control": req.pk,
                 "approved_by": approver.get_full_name() or approver.username})
    record(Action.TRANSITION, case, user=approver, region=case.region_id,
           detail={"step": "sanction", "kind": SanctionKind.FINE, "sanction": sanction.pk, "amount": str(amount),
                   "made_by": req.made_by.username, **sanction.effects})
    return sanction


def _institution(case: Case):
    if case.institution_id is None:
        raise StepRefused("该案件不涉及定点机构，不能对机构作出处理")
    return case.institution


def _recover(case: Case, user, reason: str, today: date) -> dict:
    lines = (case_lines(case).filter(approval__status__in=[ApprovalStatus.APPROVED, ApprovalStatus.PAID],
                                     fund__gt=0).order_by("id"))
    recovered, made = [], []
    for line in lines:
        try:
            new = run.recover(line, user, f"稽核案件{case.number}：{reason}"[:200], today=today)
        except ValidationError:  # nothing left to take back on this line (recovered before)
            continue
        recovered.append(line.pk)
        made.append(new)
    if not made:
        raise StepRefused("本案没有已审核通过且可追回的结算明细（未审核的明细已暂缓支付）")
    total = -sum((ln.fund for ln in made), Decimal(0))
    return {"amount": total.quantize(CENT),
            "effects": {"recovery_lines": [ln.pk for ln in made], "recovered_lines": recovered}}


def _suspend_carer(case: Case, user, reason: str, carer_id, starts_on, ends_on, today: date) -> dict:
    choices = case_carers(case)
    if carer_id in (None, ""):
        if choices.count() != 1:
            raise ValidationError({"carer": "请选择要暂停结算的护理员"})
        carer = choices.get()
    else:
        try:
            carer = choices.get(pk=int(carer_id))
        except (Carer.DoesNotExist, ValueError, TypeError):
            raise ValidationError({"carer": "该护理员与本案无关"}) from None
    if starts_on is None or ends_on is None:
        months = default_months(case.region_id, "carer_suspension", today)
        if months is None:
            raise ValidationError({"starts_on" if starts_on is None else "ends_on": "请填写暂停结算的起止日期"})
        starts_on = starts_on or today
        ends_on = ends_on or add_months(starts_on, months)
    suspension = carers.suspend(carer, user, start=starts_on, end=ends_on, reason=reason[:200])
    return {"carer": carer, "starts_on": starts_on, "ends_on": ends_on,
            "effects": {"carer_suspension": suspension.pk, "carer": carer.pk}}


# What withdrawing a sanction undoes; a recovery and a carer's suspension have taken effect in
# settlement and on visits and are corrected there, not withdrawn here.
WITHDRAWABLE = (SanctionKind.FINE, SanctionKind.INSTITUTION_SUSPENSION, SanctionKind.TERMINATION)


@transaction.atomic
def withdraw(sanction: Sanction, user, *, reason: str) -> SanctionWithdrawal:
    """撤销: a sanction decided in error undone by a new record, by the agency (not by the auditors of
    the case), the sanction kept: a fine no longer counts; an institution's suspension is lifted if it
    is still the one in force; a termination is withdrawn (ltci.providers.designation). Audited."""
    sanction = Sanction.objects.select_for_update(of=("self",)).select_related("case__institution").get(pk=sanction.pk)
    case = sanction.case
    if user.pk in (case.decided_by_id, case.assigned_to_id):
        raise StepRefused("承办并作出查实结论的稽核人员不能撤销本案的处理决定")
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"请写明撤销的理由（不超过{REASON_MAX}个字）"})
    if SanctionWithdrawal.objects.filter(sanction=sanction).exists():
        raise ValidationError({"sanction": "该处理决定已撤销"})
    if sanction.kind not in WITHDRAWABLE:
        raise ValidationError({"sanction": f"{sanction.get_kind_display()}已在结算或服务记录中执行，不能撤销"})
    effects = {}
    if sanction.kind == SanctionKind.FINE:
        effects["fine"] = "罚款不再计入"
    elif sanction.kind == SanctionKind.INSTITUTION_SUSPENSION:
        effects["institution"] = designation.lift_suspension(case.institution, user, until=sanction.ends_on,
                                                             reason=f"撤销稽核案件{case.number}的处理决定：{reason}")
    else:
        made = designation.withdraw_termination(case.institution, user, reason=f"撤销稽核案件{case.number}的处理决定：{reason}"[:200], by_sanction=True)
        effects["termination_withdrawn"] = made.termination_id
    withdrawal = SanctionWithdrawal.objects.create(sanction=sanction, reason=reason, effects=effects, withdrawn_by=user)
    record(Action.TRANSITION, case, user=user,
           detail={"step": "sanction_withdrawn", "kind": sanction.kind, "sanction": sanction.pk, "reason": reason,
                   **effects})
    return withdrawal
