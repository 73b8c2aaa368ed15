"""How many months of benefits the fund's bank balance would pay (the cover ratio), with a warning
below the region's threshold.

Cover ratio = bank balance on the day ÷ the average monthly benefit spending (net debits to 5101 and
5102) over the last 12 months that had any, or over fewer when the scheme has not spent for 12 months
yet. The threshold is the region's `[fund] cover_warning_months` where its parameter file sets one,
else the platform default (`params/platform.toml`, docs/decisions/0006).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from ltci.policy.params import ParamsDataError
from ltci.policy.policies import setting

from .accounts import BANK
from .ledger import account_balance, monthly_spending

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
    value, basis = setting(region_id, on, "fund", "cover_warning_months")
    try:
        months = Decimal(str(value))
    except ArithmeticError:
        months = Decimal("NaN")
    if isinstance(value, bool) or not months.is_finite() or months <= 0:
        raise ParamsDataError(f"{region_id}: fund.cover_warning_months: expected a positive number, not {value!r}")
    return months, basis


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
