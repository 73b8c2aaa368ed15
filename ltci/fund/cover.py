"""How many months of benefits the fund's bank balance would pay (the cover ratio), with a warning
below the region's threshold.

Cover ratio = bank balance on the day ÷ the average monthly benefit spending (net debits to 5101 and
5102) over the last 12 months that had any, or over fewer when the scheme has not spent for 12 months
yet. The threshold is the region's `[fund] cover_warning_months` where its parameter file sets one,
else the platform default (docs/decisions/0006).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from ltci.policy.errors import PolicyError
from ltci.policy.params import ParamsDataError
from ltci.policy.policies import policy_carried_on

from .accounts import BANK
from .ledger import account_balance, monthly_spending

DEFAULT_COVER_WARNING_MONTHS = Decimal("6")  # platform default: no region's document sets one
WINDOW = 12


@dataclass(frozen=True)
class Cover:
    on: date
    bank: Decimal
    months: list[tuple[date, Decimal]]  # the months averaged, oldest first
    average: Decimal | None  # average monthly benefit spending
    ratio: Decimal | None  # months, one decimal; None before any benefit was spent
    threshold: Decimal
    basis: str  # where the threshold comes from

    @property
    def warning(self) -> bool:
        return self.ratio is not None and self.ratio < self.threshold


def cover_threshold(region_id: str, on: date) -> tuple[Decimal, str]:
    """(months, basis): the region's `[fund] cover_warning_months`, else the platform default."""
    try:
        policy, _ = policy_carried_on(region_id, on)
    except PolicyError:
        policy = None
    if policy is not None and "fund" in policy.params and "cover_warning_months" in policy.params.section("fund"):
        p = policy.params.section("fund").param("cover_warning_months")
        try:
            months = Decimal(str(p.value))
        except ArithmeticError:
            months = Decimal("NaN")
        if isinstance(p.value, bool) or not months.is_finite() or months <= 0:
            raise ParamsDataError(f"{policy.params.source}: fund.cover_warning_months: expected a positive number")
        return months, policy.cite(p.clause)
    return DEFAULT_COVER_WARNING_MONTHS, "平台默认（docs/decisions/0006）"


def cover_ratio(region_id: str, on: date | None = None) -> Cover:
    on = on or timezone.localdate()
    bank = account_balance(region_id, BANK, on)
    spent = [(m, v) for m, v in monthly_spending(region_id, on).items() if v > 0][-WINDOW:]
    threshold, basis = cover_threshold(region_id, on)
    if not spent:
        return Cover(on, bank, [], None, None, threshold, basis)
    average = (sum(v for _, v in spent) / len(spent)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    ratio = (bank / average).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return Cover(on, bank, spent, average, ratio, threshold, basis)
