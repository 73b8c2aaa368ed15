"""Demo fund management: this year's budget (income by payer from what has come in, expenditure by
kind as shares of it) and a few assessment and agency fees paid this year, the agency fees within
Nanning's cap (三(六)). Re-running adds nothing: the budget is set once a year and the fees carry
references."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

from django.utils import timezone

from ltci.accounts.models import User
from ltci.accounts.roles import Role

from .accounts import (
    AGENCY_FEES,
    ASSESSMENT_FEES,
    BANK,
    BENEFIT_CASH,
    BENEFIT_INSTITUTION,
    INCOME_BY_PAYER,
)
from .budget import budget_of, set_budget
from .fees import agency_room, post_fee
from .ledger import ZERO, account_balance, movements
from .models import Fee, FeeKind

# Expenditure budget as shares of the income budget: benefits first, fees small.
SHARES = {BENEFIT_INSTITUTION: Decimal("0.55"), BENEFIT_CASH: Decimal("0.20"), ASSESSMENT_FEES: Decimal("0.05"),
          AGENCY_FEES: Decimal("0.05")}
HUNDRED = Decimal("100")


def _round_up(amount: Decimal) -> Decimal:
    """To the next hundred yuan: a budget is a round figure."""
    return ((amount / HUNDRED).to_integral_value(ROUND_CEILING) * HUNDRED).quantize(Decimal("0.01"))


def build(options, rng) -> dict[str, int]:
    region = options.region
    today = timezone.localdate()
    admin = User.objects.filter(region_id=region, is_demo=True, role=Role.BUREAU_ADMIN).first()
    if admin is None:
        return {"budget lines": 0, "fees": 0}
    made = {"budget lines": 0, "fees": 0}
    year = today.year
    if not budget_of(region, year):
        moved = movements(region, date(year, 1, 1), today)
        income = {a: _round_up(moved.get(a, ZERO) * Decimal("1.05")) for a in INCOME_BY_PAYER.values()
                  if moved.get(a, ZERO) > 0}
        total = sum(income.values(), ZERO) or Decimal("100000.00")  # a region without income yet: a nominal plan
        lines = income | {a: _round_up(total * share) for a, share in SHARES.items()}
        made["budget lines"] = set_budget(region, year, lines, admin)
    if Fee.objects.filter(region_id=region, reference__startswith="DEMO-").exists():
        return made
    months = [m for m in (2, 5, 8, 11) if date(year, m, 25) <= today]
    for n, month in enumerate(months, 1):
        on = date(year, month, 25)
        # Small against what the fund holds, so no region's bank goes below zero for the demo.
        bank = account_balance(region, BANK, on)
        amount = _whole(min(Decimal(rng.randint(8, 30) * 100), bank / 100))
        if amount > 0:
            post_fee(region, FeeKind.ASSESSMENT, amount, on, f"{month}月失能评估服务费", admin,
                     reference=f"DEMO-{region}-{year}-PG-{n:02d}")
            made["fees"] += 1
        room = agency_room(region, year, on)
        # Within the cap where there is one: a share of what is left, so later months still fit.
        amount = _whole(room.left * Decimal("0.4") if room is not None else account_balance(region, BANK, on) / 100)
        if amount > 0:
            post_fee(region, FeeKind.AGENCY, amount, on, f"{month}月委托经办服务费", admin,
                     reference=f"DEMO-{region}-{year}-JB-{n:02d}")
            made["fees"] += 1
    return made


def _whole(amount: Decimal) -> Decimal:
    return max(amount, ZERO).quantize(Decimal("1"), ROUND_DOWN).quantize(Decimal("0.01"))
