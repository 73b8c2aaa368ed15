"""Agency and assessment fees paid out of the fund (Dr 5202 or 5201, Cr 1002), within the region's
cap on agency fees where its policy sets one: Nanning's `[fund] agency_fee_cap` (三(六): commissioned
agency fees at most 5 % of the year's premium income). Premium income is the year's net credits to
the premium accounts 4101–4104 (donations are not premiums); agency fees are the year's net debits
to 5202, this fee included. Regions whose policy sets no cap have none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ltci.policy.errors import PolicyError
from ltci.policy.params import ParamsDataError
from ltci.policy.policies import policy_carried_on
from ltci.regions.models import Region

from . import periods
from .accounts import AGENCY_FEES, BANK
from .ledger import FEE_ACCOUNT, FEE_KIND, PREMIUM_ACCOUNTS, ZERO, movements
from .models import Fee, FeeKind
from .services import Entry, post

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


def _valid(kind: str, amount, on, memo: str, reference: str) -> None:
    if kind not in FeeKind.values:
        raise ValidationError({"kind": "费用类别应为经办服务费（agency）或评估费用（assessment）"})
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise ValidationError({"amount": "金额应大于0"})
    if amount != amount.quantize(CENT) or amount >= Decimal("1e12"):
        raise ValidationError({"amount": "金额最多两位小数，且小于1万亿元"})
    if not isinstance(on, date):
        raise ValidationError({"on": "请填写支付日期"})
    if on > timezone.localdate():
        raise ValidationError({"on": "支付日期不能晚于今天"})
    if not memo.strip():
        raise ValidationError({"memo": "请填写摘要（如合同号、结算月份）"})
    if len(memo) > 150 or len(reference) > 64:
        raise ValidationError({"memo" if len(memo) > 150 else "reference": "摘要最多150字，凭证号最多64字"})


@transaction.atomic
def post_fee(region, kind: str, amount: Decimal, on: date, memo: str, user, *, reference: str = "") -> Fee:
    """Pays an agency or assessment fee from the fund and posts it. An agency fee that would take the
    year's agency fees over the region's cap is refused (field `amount`, with the cap and what is
    left). The same `reference` again returns the fee recorded the first time. Audited."""
    region_id = getattr(region, "pk", region)
    memo, reference = (memo or "").strip(), (reference or "").strip()
    _valid(kind, amount, on, memo, reference)
    # One fee at a time per region (PostgreSQL), so two agency fees cannot both fit the same room.
    Region.objects.select_for_update().filter(pk=region_id).first()
    if reference:
        existing = Fee.objects.filter(region_id=region_id, reference=reference).first()
        if existing is not None:
            if (existing.kind, existing.amount, existing.paid_on) != (kind, amount, on):
                raise ValidationError({"reference": f"凭证号已登记为另一笔费用：{reference}"})
            return existing
    try:
        periods.check_open(on, periods.closed_through(region_id))
    except ValidationError as exc:
        raise ValidationError({"on": exc.message_dict["posted_on"]}) from None
    if kind == FeeKind.AGENCY:
        room = agency_room(region_id, on.year, on)
        if room is not None and room.spent + amount > room.limit:
            raise ValidationError({"amount": (
                f"经办服务费超过年度上限：按{room.cap.clause}，经办服务费不超过当年保费收入的"
                f"{_percent(room.cap.rate)}。{on.year}年保费收入 {room.premium_income} 元，上限 {room.limit} 元，"
                f"已列支 {room.spent} 元，尚可列支 {room.left} 元，本笔 {amount} 元")})
    fee = Fee.objects.create(region_id=region_id, kind=kind, amount=amount, paid_on=on, memo=memo,
                             reference=reference, recorded_by=user)
    post(region_id=region_id, key=f"fee:{fee.pk}", posted_on=on, kind=FEE_KIND,
         memo=f"{FeeKind(kind).label} {memo}", source=fee,
         entries=[Entry(FEE_ACCOUNT[kind], debit=amount), Entry(BANK, credit=amount)])
    return fee


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"

