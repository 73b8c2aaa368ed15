"""The fund's public report of income and expenditure (基金收支公示) for a span of months: income by
payer, expenditure by kind, and the accumulated surplus (滚存结余) at the start and at the end, so
that opening + income − expenditure = closing. Months not yet closed are named: their figures can
still change."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from . import periods
from .accounts import BANK, NAMES
from .ledger import (
    EXPENSE_ACCOUNTS,
    INCOME_ACCOUNTS,
    PAYABLE_ACCOUNTS,
    ZERO,
    account_balance,
    fund_balance,
    movements,
)

MAX_MONTHS = 60


@dataclass(frozen=True)
class Line:
    account: str
    name: str
    amount: Decimal


@dataclass(frozen=True)
class Disclosure:
    region_id: str
    region_name: str
    start: date  # first day of the first month
    end: date  # last day of the last month
    income: list[Line]
    expenditure: list[Line]
    opening: Decimal  # accumulated surplus the day before `start`
    closing: Decimal  # accumulated surplus on `end`
    bank: Decimal  # bank balance on `end`
    payable: Decimal  # benefits still owed on `end`
    open_months: list[str]  # months of the span not closed yet: the last ones (months close in order)

    @property
    def income_total(self) -> Decimal:
        return sum((ln.amount for ln in self.income), ZERO)

    @property
    def expenditure_total(self) -> Decimal:
        return sum((ln.amount for ln in self.expenditure), ZERO)

    @property
    def surplus(self) -> Decimal:
        return self.income_total - self.expenditure_total

    @property
    def open_note(self) -> str:
        if not self.open_months:
            return ""
        span = self.open_months[0] if len(self.open_months) == 1 else f"{self.open_months[0]}至{self.open_months[-1]}"
        return f"{span}尚未结账，相关数据以结账后为准。"

    @property
    def title(self) -> str:
        span = periods.month_label(self.start)
        if periods.month_start(self.end) != self.start:
            span += f"至{periods.month_label(periods.month_start(self.end))}"
        return f"{self.region_name}长期护理保险基金收支情况公示（{span}）"

    def as_dict(self) -> dict:
        return {
            "region": self.region_id, "start": f"{self.start:%Y-%m}", "end": f"{self.end:%Y-%m}", "title": self.title,
            "income": [{"account": ln.account, "name": ln.name, "amount": ln.amount} for ln in self.income],
            "income_total": self.income_total,
            "expenditure": [{"account": ln.account, "name": ln.name, "amount": ln.amount} for ln in self.expenditure],
            "expenditure_total": self.expenditure_total, "surplus": self.surplus, "opening": self.opening,
            "closing": self.closing, "bank": self.bank, "payable": self.payable, "open_months": self.open_months,
        }


def parse_month(text: str, field: str) -> date:
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", (text or "").strip())
    if not m or not 1 <= int(m[2]) <= 12:
        raise ValidationError({field: f"月份格式应为“年-月”，如 2026-01：{text}"})
    return date(int(m[1]), int(m[2]), 1)


def disclosure(region, start: date, end: date) -> Disclosure:
    """The report for the months from `start`'s to `end`'s (both included); refused (fields `start`,
    `end`) for a span that runs backwards, into the future or over five years."""
    start, last = periods.month_start(start), periods.month_start(end)
    today = timezone.localdate()
    if last < start:
        raise ValidationError({"end": "结束月份不能早于开始月份"})
    if last > periods.month_start(today):
        raise ValidationError({"end": "结束月份不能晚于本月"})
    if (last.year - start.year) * 12 + last.month - start.month >= MAX_MONTHS:
        raise ValidationError({"end": f"公示期间最长{MAX_MONTHS}个月"})
    end = periods.month_end(last)
    closed = periods.closed_through(region.pk)
    # The books are append-only (their database guards): the same last journal and the same closed
    # months give the same report. Made once for the day for every process: a city's report sums a
    # year's million postings four times over, seconds each time (docs/decisions/0027).
    from django.db.models import Max

    from ltci.core.shared import once

    from .models import Journal

    latest = Journal.objects.filter(region_id=region.pk).aggregate(n=Max("id"))["n"]
    key = f"fund:disclosure:{region.pk}:{start:%Y-%m}:{last:%Y-%m}:{today}:{latest}:{closed}"
    return once(key, lambda: _disclosure(region, start, last, end, closed))


def _disclosure(region, start: date, last: date, end: date, closed: date | None) -> Disclosure:
    moved = movements(region.pk, start, end)
    before = start - timedelta(days=1)
    months, m = [], start
    while m <= last:
        if closed is None or m > closed:
            months.append(periods.month_label(m))
        m = periods.next_month(m)
    return Disclosure(
        region_id=region.pk, region_name=region.name, start=start, end=end,
        income=[Line(a, NAMES[a], moved.get(a, ZERO)) for a in INCOME_ACCOUNTS],
        expenditure=[Line(a, NAMES[a], moved.get(a, ZERO)) for a in EXPENSE_ACCOUNTS],
        opening=fund_balance(region.pk, before), closing=fund_balance(region.pk, end),
        bank=account_balance(region.pk, BANK, end),
        payable=sum((account_balance(region.pk, a, end) for a in PAYABLE_ACCOUNTS), ZERO),
        open_months=months,
    )


def disclosure_html(report: Disclosure) -> str:
    from django.template.loader import render_to_string

    return render_to_string("fund/disclosure_pdf.html", {"d": report, "printed_on": timezone.localdate()})


def disclosure_pdf(report: Disclosure) -> bytes:
    """The report as PDF bytes, set in Noto CJK from the system's fonts; nothing is fetched.

    Setting a PDF costs a few hundred milliseconds of CPU, and the same report is printed over and over
    (the public one, by every clerk): the PDF of the same page (same figures, same printing day) comes
    from the cache every process shares (docs/decisions/0027). Figures that changed make another page."""
    import hashlib

    from ltci.core.shared import once

    html = disclosure_html(report)

    def make() -> bytes:
        from weasyprint import HTML  # heavy: loaded only when a report is printed

        return HTML(string=html).write_pdf()

    return once("fund:disclosure-pdf:" + hashlib.sha256(html.encode()).hexdigest(), make)
