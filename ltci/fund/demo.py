"""Demo fund management: this year's budget (income by payer from what has come in, expenditure by
kind as shares of it) and a few assessment and agency fees paid this year, the agency fees within
Nanning's cap (三(六)); fees above the dual-control threshold approved by a second fund manager
(`<region>.bureau_admin.2`), who has also put one more fee up for approval where the budget and the
bank leave room for one, so that `<region>.bureau_admin` finds it waiting at /dual-control/.
Re-running adds nothing: the budget is set once a year and the fees carry references."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from ltci.accounts.models import User
from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.core.demo_names import unique_name
from ltci.dualcontrol.models import Request
from ltci.dualcontrol.services import approve
from ltci.dualcontrol.threshold import threshold

from .accounts import (
    AGENCY_FEES,
    ASSESSMENT_FEES,
    BENEFIT_CASH,
    BENEFIT_INSTITUTION,
    INCOME_BY_PAYER,
)
from .budget import budget_of, set_budget
from .fees import agency_room, post_fee
from .ledger import ZERO, bank_days, movements
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
    if Fee.objects.filter(region_id=region, reference__startswith="演示凭证").exists():
        return made
    months = [m for m in (2, 5, 8, 11) if date(year, m, 25) <= today]
    for n, month in enumerate(months, 1):
        on = date(year, month, 25)
        # Small against what the fund holds and what the budget line has left, so every fee fits.
        bank = min(b for _, b in bank_days(region, on))
        amount = _whole(min(Decimal(rng.randint(8, 30) * 100), bank / 100,
                            _budget_left(region, ASSESSMENT_FEES, year) / 4))
        if amount > 0:
            _pay(post_fee(region, FeeKind.ASSESSMENT, amount, on, f"{month}月失能评估服务费", admin,
                          reference=f"演示凭证{year}-评估-{n:02d}"), admin)
            made["fees"] += 1
        room = agency_room(region, year, on)
        # Within the cap where there is one: a share of what is left, so later months still fit.
        bank = min(b for _, b in bank_days(region, on))
        amount = _whole(min(room.left * Decimal("0.4") if room is not None else bank / 100,
                            _budget_left(region, AGENCY_FEES, year) * Decimal("0.4")))
        if amount > 0:
            _pay(post_fee(region, FeeKind.AGENCY, amount, on, f"{month}月委托经办服务费", admin,
                          reference=f"演示凭证{year}-经办-{n:02d}"), admin)
            made["fees"] += 1
    made["fees awaiting approval"] = _one_awaiting(region, admin, today)
    return made


def _budget_left(region: str, account: str, year: int) -> Decimal:
    line = budget_of(region, year).get(account, ZERO)
    return max(line - movements(region, date(year, 1, 1), date(year, 12, 31)).get(account, ZERO), ZERO)


def _second_manager(admin: User) -> User:
    """A second fund manager of the region: fees above the threshold need two."""
    username = f"{admin.region_id}.bureau_admin.2"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = create_user(username=username, password=None, role=Role.BUREAU_ADMIN, region=admin.region,
                           full_name=unique_name(admin.region_id), is_demo=True)
        User.objects.filter(pk=user.pk).update(password=make_password(settings.DEMO_PASSWORD))
    return user


def _pay(made, admin: User) -> None:
    """A fee above the threshold comes back as a request: a second fund manager approves it."""
    if isinstance(made, Request):
        approve(made, _second_manager(admin), "演示：已核对合同与发票")


def _one_awaiting(region: str, admin: User, today: date) -> int:
    """An assessment fee just above the threshold, put up by a second fund manager for `admin` to
    decide, where the year's budget line and the bank leave room for it (not in a demo fund of a
    few hundred people: docs/decisions/0013)."""
    limit, _ = threshold(region, today)
    amount = (limit + Decimal("800.00")).quantize(Decimal("0.01"))
    if min(_budget_left(region, ASSESSMENT_FEES, today.year), *(b for _, b in bank_days(region, today))) < amount:
        return 0
    try:
        made = post_fee(region, FeeKind.ASSESSMENT, amount, today, f"{today.month}月失能评估服务费（第二批）",
                        _second_manager(admin), reference=f"演示凭证{today.year}-评估-待复核")
    except ValidationError:  # the month is closed, or another check refuses: nothing waits
        return 0
    return int(isinstance(made, Request))


def _whole(amount: Decimal) -> Decimal:
    return max(amount, ZERO).quantize(Decimal("1"), ROUND_DOWN).quantize(Decimal("0.01"))
