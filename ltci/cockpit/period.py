"""The cockpit's period: from a month to a month, both included; by default the last 12 months.
Bad text, a span that runs backwards or into the future is refused naming the field (`start`, `end`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

from ltci.fund.periods import month_end

DEFAULT_MONTHS = 12
MAX_MONTHS = 60  # five years: a longer span is no longer one chart's worth
LABELS = {"start": "起始月份", "end": "截止月份"}


def _month(text: str, field: str) -> date:
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", (text or "").strip())
    if not m or not 1 <= int(m[2]) <= 12 or int(m[1]) < 2000:
        raise ValidationError({field: f"{LABELS[field]}格式应为“年-月”，如 2025-01：{text}"})
    return date(int(m[1]), int(m[2]), 1)


def add_months(first: date, n: int) -> date:
    k = first.year * 12 + first.month - 1 + n
    return date(k // 12, k % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    start: date  # first day of the first month
    end: date  # first day of the last month
    today: date

    @property
    def last_day(self) -> date:
        """The day stock figures are taken on: the end of the last month, or today within it."""
        return min(month_end(self.end), self.today)

    @property
    def months(self) -> list[date]:
        n = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
        return [add_months(self.start, k) for k in range(n + 1)]

    @property
    def label(self) -> str:
        return f"{self.start:%Y年%-m月}至{self.end:%Y年%-m月}"

    def as_dict(self) -> dict:
        return {"start": f"{self.start:%Y-%m}", "end": f"{self.end:%Y-%m}", "on": self.last_day.isoformat()}


def parse_period(start: str | None, end: str | None, today: date | None = None) -> Period:
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    last = _month(end, "end") if (end or "").strip() else this_month
    first = _month(start, "start") if (start or "").strip() else add_months(last, 1 - DEFAULT_MONTHS)
    if last > this_month:
        raise ValidationError({"end": "截止月份不能晚于本月"})
    if first > last:
        raise ValidationError({"end": "截止月份不能早于起始月份"})
    if len(Period(first, last, today).months) > MAX_MONTHS:
        raise ValidationError({"start": f"查询期间最长{MAX_MONTHS}个月"})
    return Period(first, last, today)
