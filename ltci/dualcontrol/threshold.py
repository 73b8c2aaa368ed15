"""Above which amount a fee or a fine typed by hand needs a second person: the region's parameter
`[fund] dual_control_threshold = { value = "…", clause = "…" }` in force on the day, else the
platform default. No seed document states a figure (Nanning 四(四) asks for internal control
without one), so no region's file carries the key and every region has the default until its
bureau sets one (docs/decisions/0013)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ltci.core.money import yuan_text
from ltci.policy.errors import PolicyError
from ltci.policy.params import ParamsDataError
from ltci.policy.policies import policy_carried_on

DEFAULT_THRESHOLD = Decimal("10000.00")
DEFAULT_BASIS = "平台默认（docs/decisions/0013）"
KEY = "dual_control_threshold"


def threshold(region_id: str, on: date) -> tuple[Decimal, str]:
    """(yuan, basis): the amount above which a second person must approve, and where it comes from."""
    try:
        policy, _ = policy_carried_on(region_id, on)
    except PolicyError:
        return DEFAULT_THRESHOLD, DEFAULT_BASIS
    if "fund" not in policy.params or KEY not in policy.params.section("fund"):
        return DEFAULT_THRESHOLD, DEFAULT_BASIS
    fen, clause = policy.params.section("fund").fen(KEY)
    if not isinstance(fen, int) or fen <= 0:
        raise ParamsDataError(f"{policy.params.source}: fund.{KEY}: expected one positive amount")
    return (Decimal(fen) / 100).quantize(Decimal("0.01")), policy.cite(clause)


def why_second_person(region_id: str, on: date, amount: Decimal) -> str | None:
    """Why this amount needs a second person, or None when it does not (at or below the threshold)."""
    limit, basis = threshold(region_id, on)
    if amount <= limit:
        return None
    return f"金额 {yuan_text(amount)} 元超过双人复核限额 {yuan_text(limit)} 元（{basis}）"
