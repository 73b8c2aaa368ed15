"""Above which amount a fee or a fine typed by hand needs a second person: the region's parameter
`[fund] dual_control_threshold = { value = "…", clause = "…" }` in force on the day, else the
platform default. No seed document states a figure (Nanning 四(四) asks for internal control
without one), so no region's file carries the key and every region has the default until its
bureau sets one (docs/decisions/0013)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from ltci.core.money import yuan_text
from ltci.policy.params import ParamsDataError
from ltci.policy.policies import setting

KEY = "dual_control_threshold"


def threshold(region_id: str, on: date) -> tuple[Decimal, str]:
    """(yuan, basis): the amount above which a second person must approve, and where it comes from."""
    value, basis = setting(region_id, on, "fund", KEY)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal("NaN")
    if isinstance(value, bool) or not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ParamsDataError(f"{region_id}: fund.{KEY}: expected one positive amount in yuan, not {value!r}")
    return amount.quantize(Decimal("0.01")), basis


def why_second_person(region_id: str, on: date, amount: Decimal) -> str | None:
    """Why this amount needs a second person, or None when it does not (at or below the threshold)."""
    limit, basis = threshold(region_id, on)
    if amount <= limit:
        return None
    return f"金额 {yuan_text(amount)} 元超过双人复核限额 {yuan_text(limit)} 元（{basis}）"
