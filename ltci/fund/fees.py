"""Agency and assessment fees paid out of the fund (Dr 5202 or 5201, Cr 1002).

A fee typed by hand must fit, besides the money parser's range (ltci.core.money.FEE):
- the region's cap on agency fees where its policy sets one: Nanning's `[fund] agency_fee_cap`
  (三(六): commissioned agency fees at most 5 % of the year's premium income). Premium income is
  the year's net credits to the premium accounts 4101–4104 (donations are not premiums); agency
  fees are the year's net debits to 5202, this fee included. Regions whose policy sets no cap have
  none;
- the year's budget line of its account (5202 or 5201): no line, no fee; and what is left of it
  (budget less the year's fees posted and awaiting approval);
- what the bank holds: the fee may not take the bank balance below zero on its day or any day
  after it.
A fee above the region's dual-control threshold waits for a second person (ltci.dualcontrol) and is
paid and posted only when approved; every check is made again then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ltci.core.money import FEE, parse_money, yuan_text
from ltci.dualcontrol import services as dual
from ltci.dualcontrol.models import Request, RequestKind
from ltci.dualcontrol.threshold import why_second_person
from ltci.policy.errors import PolicyError
from ltci.policy.params import ParamsDataError
from ltci.policy.policies import policy_carried_on
from ltci.regions.models import Region

from . import periods
from .accounts import AGENCY_FEES, BANK, NAMES
from .ledger import FEE_ACCOUNT, FEE_KIND, PREMIUM_ACCOUNTS, ZERO, bank_days, fen_sum, movements, yuan
from .models import Budget, Fee, FeeKind, Journal, Reversal
from .services import Entry, post, reverse

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Cap:
    rate: Decimal  # e.g. 0.05
    clause: str  # cited: "nanning 三(六)"


@dataclass(frozen=True)
class AgencyRoom:
    year: int
    cap: Cap
    premium_income: Decimal
    limit: Decimal  # rate × premium income, rounded down to the fen
    spent: Decimal  # agency fees of the year so far

    @property
    def left(self) -> Decimal:
        return max(self.limit - self.spent, ZERO)


def agency_fee_cap(region_id: str, on: date) -> Cap | None:
    """The cap on agency fees as a share of premium income, from the policy in force on `on` (after a
    version ended, the last one: a limit holds until a new document replaces it); None if none."""
    try:
        policy, _ = policy_carried_on(region_id, on)
    except PolicyError:
        return None
    if "fund" not in policy.params or "agency_fee_cap" not in policy.params.section("fund"):
        return None
    ppm, clause = policy.params.section("fund").rate("agency_fee_cap")
    if not isinstance(ppm, int):
        raise ParamsDataError(f"{policy.params.source}: fund.agency_fee_cap: expected one rate")
    return Cap(Decimal(ppm) / Decimal(1_000_000), policy.cite(clause))


def agency_room(region_id: str, year: int, on: date | None = None) -> AgencyRoom | None:
    """The year's cap on agency fees and what is left of it; None where the region has no cap."""
    cap = agency_fee_cap(region_id, on or date(year, 12, 31))
    if cap is None:
        return None
    moved = movements(region_id, date(year, 1, 1), date(year, 12, 31))
    income = sum((moved.get(a, ZERO) for a in PREMIUM_ACCOUNTS), ZERO)
    limit = max((income * cap.rate).quantize(CENT, ROUND_DOWN), ZERO)
    return AgencyRoom(year, cap, income, limit, moved.get(AGENCY_FEES, ZERO))


def _label(kind: str) -> str:
    return FeeKind(kind).label


def _valid(kind: str, amount, on, memo: str, reference: str) -> Decimal:
    if kind not in FeeKind.values:
        raise ValidationError({"kind": "费用类别应为经办服务费（agency）或评估费用（assessment）"})
    amount = parse_money(amount, FEE, "amount", label=_label(kind))
    if not isinstance(on, date):
        raise ValidationError({"on": "请填写支付日期"})
    if on > timezone.localdate():
        raise ValidationError({"on": "支付日期不能晚于今天"})
    if not memo.strip():
        raise ValidationError({"memo": "请填写摘要（如合同号、结算月份）"})
    if len(memo) > 150 or len(reference) > 64:
        raise ValidationError({"memo" if len(memo) > 150 else "reference": "摘要最多150字，凭证号最多64字"})
    return amount


def _awaiting(region_id: str, *, kind: str | None = None, year: int | None = None, but: Request | None = None) -> Decimal:
    """The fees of the region awaiting a second person (of one kind and year), `but` one of them."""
    qs = dual.pending(RequestKind.FEE, region_id)
    if kind is not None:
        qs = qs.filter(payload__kind=kind)
    if year is not None:
        qs = qs.filter(payload__on__startswith=f"{year}-")
    if but is not None:
        qs = qs.exclude(pk=but.pk)
    return yuan(qs.aggregate(s=fen_sum("amount"))["s"])


def _fits_the_books(region_id: str, kind: str, amount: Decimal, on: date, *, but: Request | None = None) -> None:
    """The fee fits its month, the cap, the budget line and the bank, counting the fees awaiting approval."""
    try:
        periods.check_open(on, periods.closed_through(region_id))
    except ValidationError as exc:
        raise ValidationError({"on": exc.message_dict["posted_on"]}) from None
    label, account = _label(kind), FEE_ACCOUNT[kind]
    waiting = _awaiting(region_id, kind=kind, year=on.year, but=but)
    if kind == FeeKind.AGENCY:
        room = agency_room(region_id, on.year, on)
        if room is not None and room.spent + waiting + amount > room.limit:
            left = max(room.left - waiting, ZERO)
            raise ValidationError({"amount": (
                f"{label} {yuan_text(amount)} 元超过年度上限：按{room.cap.clause}，经办服务费不超过当年保费收入的"
                f"{_percent(room.cap.rate)}。{on.year}年保费收入 {yuan_text(room.premium_income)} 元，"
                f"上限 {yuan_text(room.limit)} 元，已列支 {yuan_text(room.spent)} 元"
                + (f"，待复核 {yuan_text(waiting)} 元" if waiting else "")
                + f"，尚可列支 {yuan_text(left)} 元")})
    line = Budget.objects.filter(region_id=region_id, year=on.year, account=account).first()
    if line is None:
        raise ValidationError({"amount": f"{on.year}年度未编制{NAMES[account]}预算：请先在“年度预算”中编制，再支付{label}"})
    spent = movements(region_id, date(on.year, 1, 1), date(on.year, 12, 31)).get(account, ZERO)
    left = line.amount - spent - waiting
    if amount > left:
        raise ValidationError({"amount": (
            f"{label} {yuan_text(amount)} 元超过{on.year}年度预算余额 {yuan_text(max(left, ZERO))} 元"
            f"（预算 {yuan_text(line.amount)} 元，已列支 {yuan_text(spent)} 元"
            + (f"，待复核 {yuan_text(waiting)} 元" if waiting else "") + "）")})
    lowest = min(balance for _, balance in bank_days(region_id, on))
    room = lowest - _awaiting(region_id, but=but)
    if amount > room:
        raise ValidationError({"amount": (
            f"{label} {yuan_text(amount)} 元超过基金银行存款可支付余额 {yuan_text(max(room, ZERO))} 元"
            f"（{on:%Y-%m-%d}起的最低余额 {yuan_text(lowest)} 元"
            + (f"，其他待复核费用 {yuan_text(lowest - room)} 元" if lowest != room else "") + "）")})


@transaction.atomic
def post_fee(region, kind: str, amount, on: date, memo: str, user, *, reference: str = "") -> Fee | Request:
    """Pays an agency or assessment fee from the fund and posts it, or, above the region's threshold,
    records it as waiting for a second person (a dualcontrol Request; paid when approved).

    `amount` as typed (text, or a Decimal from code). Refused with the field and the figures when it
    does not fit the range, the month, the cap, the budget or the bank. The same `reference` again
    returns the fee (or the pending request) recorded the first time. Audited."""
    region_id = getattr(region, "pk", region)
    memo, reference = (memo or "").strip(), (reference or "").strip()
    amount = _valid(kind, amount, on, memo, reference)
    # One fee at a time per region (PostgreSQL), so two agency fees cannot both fit the same room.
    Region.objects.select_for_update().filter(pk=region_id).first()
    if reference:
        same = _same_reference(region_id, kind, amount, on, reference)
        if same is not None:
            return same
    _fits_the_books(region_id, kind, amount, on)
    why = why_second_person(region_id, on, amount)
    if why is not None:
        return dual.submit(region_id, RequestKind.FEE, user, amount=amount, reason=why,
                           summary=f"{_label(kind)} {yuan_text(amount)} 元 · {on:%Y-%m-%d} · {memo}",
                           payload={"kind": kind, "on": on.isoformat(), "memo": memo, "reference": reference},
                           subject=f"fee:{reference}" if reference else "")
    return _pay(region_id, kind, amount, on, memo, reference, recorded_by=user)


def _same_reference(region_id: str, kind: str, amount: Decimal, on: date, reference: str) -> Fee | Request | None:
    existing = Fee.objects.filter(region_id=region_id, reference=reference).first()
    if existing is not None:
        if (existing.kind, existing.amount, existing.paid_on) != (kind, amount, on):
            raise ValidationError({"reference": f"凭证号已登记为另一笔费用：{reference}"})
        return existing
    waiting = dual.pending(RequestKind.FEE, region_id).filter(subject=f"fee:{reference}").first()
    if waiting is not None:
        if (waiting.payload["kind"], waiting.amount, waiting.payload["on"]) != (kind, amount, on.isoformat()):
            raise ValidationError({"reference": f"凭证号已提交另一笔费用，待复核：{reference}"})
        return waiting
    return None


def approve_fee(req: Request, approver) -> Fee:
    """The dual-control effect of a fee: paid and posted now, if it still fits the books."""
    p = req.payload
    on = date.fromisoformat(p["on"])
    Region.objects.select_for_update().filter(pk=req.region_id).first()
    if p["reference"] and Fee.objects.filter(region_id=req.region_id, reference=p["reference"]).exists():
        raise ValidationError({"reference": f"凭证号已登记为另一笔费用：{p['reference']}"})
    _fits_the_books(req.region_id, p["kind"], req.amount, on, but=req)
    return _pay(req.region_id, p["kind"], req.amount, on, p["memo"], p["reference"], recorded_by=req.made_by,
                approved_by=approver)


def _pay(region_id: str, kind: str, amount: Decimal, on: date, memo: str, reference: str, *, recorded_by,
         approved_by=None) -> Fee:
    fee = Fee.objects.create(region_id=region_id, kind=kind, amount=amount, paid_on=on, memo=memo,
                             reference=reference, recorded_by=recorded_by, approved_by=approved_by)
    post(region_id=region_id, key=f"fee:{fee.pk}", posted_on=on, kind=FEE_KIND,
         memo=f"{FeeKind(kind).label} {memo}", source=fee,
         entries=[Entry(FEE_ACCOUNT[kind], debit=amount), Entry(BANK, credit=amount)])
    return fee


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def fee_journal(fee: Fee) -> Journal:
    return Journal.objects.get(key=f"fee:{fee.pk}")


def fee_reversal(fee: Fee) -> Reversal | None:
    return Reversal.objects.filter(original__key=f"fee:{fee.pk}").select_related("reversed_by", "journal").first()


@transaction.atomic
def reverse_fee(fee: Fee, user, *, reason: str) -> Reversal:
    """A fee paid in error taken back out of the books by a reversing journal (Dr 1002, Cr 5202/5201)
    on the fee's date (or the first open month): the fee and its journal stay as they were, the year's
    spending, the cap and the bank balance are net of it. Once per fee."""
    fee = Fee.objects.select_for_update().get(pk=fee.pk)
    return reverse(fee_journal(fee), user, reason=reason)
