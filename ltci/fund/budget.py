"""The fund's yearly budget per region: income by payer and expenditure by kind, one line per
account, set by those who manage the fund and shown against the actuals the postings add up to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ltci.core.money import BUDGET_LINE, parse_money

from .accounts import NAMES
from .ledger import EXPENSE_ACCOUNTS, INCOME_ACCOUNTS, ZERO, movements
from .models import Budget

LINES = (*INCOME_ACCOUNTS, *EXPENSE_ACCOUNTS)


def budget_of(region_id: str, year: int) -> dict[str, Decimal]:
    return dict(Budget.objects.filter(region_id=region_id, year=year).values_list("account", "amount"))


def _year(year) -> int:
    today = timezone.localdate()
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= today.year + 1:
        raise ValidationError({"year": f"预算年度应为2000年至{today.year + 1}年之间的年份"})
    return year


@transaction.atomic
def set_budget(region_id: str, year: int, lines: dict[str, object], user) -> int:
    """Sets the given lines of the year's budget (others stay as they are); returns how many changed.
    Amounts as typed (text, or Decimal from code), read by the one money parser. Each created or
    changed line is on the audit trail with its before and after."""
    year = _year(year)
    if not lines:
        raise ValidationError({"lines": "请至少填写一个预算科目"})
    parsed = {}
    for account, amount in lines.items():
        if account not in LINES:
            raise ValidationError({"lines": f"未知的预算科目：{account}（应为收入或支出科目 {'、'.join(LINES)}）"})
        parsed[account] = parse_money(amount, BUDGET_LINE, "lines", label=f"{NAMES[account]}预算金额")
    lines = parsed
    existing = {b.account: b for b in Budget.objects.select_for_update().filter(region_id=region_id, year=year)}
    changed = 0
    for account, amount in sorted(lines.items()):
        line = existing.get(account)
        if line is None:
            Budget.objects.create(region_id=region_id, year=year, account=account, amount=amount, set_by=user)
        elif line.amount != amount:
            line.amount, line.set_by = amount, user
            line.save()
        else:
            continue
        changed += 1
    return changed


@dataclass(frozen=True)
class BudgetRow:
    account: str
    name: str
    budget: Decimal | None
    actual: Decimal

    @property
    def rate(self) -> Decimal | None:
        """Actual as a percentage of the budget, one decimal."""
        if not self.budget:
            return None
        return (self.actual * 100 / self.budget).quantize(Decimal("0.1"))

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.actual


@dataclass(frozen=True)
class BudgetReport:
    year: int
    through: date  # actuals up to this day
    income: list[BudgetRow]
    expenditure: list[BudgetRow]

    @staticmethod
    def _total(rows) -> BudgetRow:
        budgets = [r.budget for r in rows if r.budget is not None]
        return BudgetRow("", "合计", sum(budgets, ZERO) if budgets else None, sum((r.actual for r in rows), ZERO))

    @property
    def income_total(self) -> BudgetRow:
        return self._total(self.income)

    @property
    def expenditure_total(self) -> BudgetRow:
        return self._total(self.expenditure)


def budget_vs_actual(region_id: str, year: int, on: date | None = None) -> BudgetReport:
    """Each budget line beside its actual: the account's net movement from 1 January to `on` (default
    today, at most 31 December)."""
    through = min(on or timezone.localdate(), date(year, 12, 31))
    actual = movements(region_id, date(year, 1, 1), through) if through >= date(year, 1, 1) else {}
    budget = budget_of(region_id, year)
    rows = {a: BudgetRow(a, NAMES[a], budget.get(a), actual.get(a, ZERO)) for a in LINES}
    return BudgetReport(year, through, [rows[a] for a in INCOME_ACCOUNTS], [rows[a] for a in EXPENSE_ACCOUNTS])
