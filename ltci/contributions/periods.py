"""Contribution periods: a year ("2024") where a region collects yearly, a month ("2024-03") where monthly."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError

from ltci.policy.errors import PolicyError
from ltci.policy.policies import policy_on
from ltci.policy.policies import region as policy_region

_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


@dataclass(frozen=True)
class Period:
    code: str
    kind: str  # year | month
    first: date
    last: date

    def __str__(self):
        return self.code

    @property
    def label(self) -> str:
        return f"{self.first.year}年" if self.kind == "year" else f"{self.first.year}年{self.first.month}月"


def parse_period(text: str) -> Period:
    m = _PERIOD.match((text or "").strip())
    if not m:
        raise ValidationError({"period": "缴费期间应为年份（2024）或年月（2024-03）"})
    year = int(m[1])
    if m[2] is None:
        return Period(m[0], "year", date(year, 1, 1), date(year, 12, 31))
    month = int(m[2])
    if not 1 <= month <= 12:
        raise ValidationError({"period": f"月份不存在：{text}"})
    return Period(m[0], "month", date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def region_period(region_code: str, text: str) -> Period:
    """A period of the kind the region's policy collects by, covered by one of its versions."""
    period = parse_period(text)
    try:
        policy = policy_on(region_code, period.first, carry_over=True)  # 延续执行 after its end (0021)
    except PolicyError as exc:
        raise ValidationError({"period": exc.words()}) from None
    section = policy.params.section("contribution")
    if section.get("rule") == "none":
        raise ValidationError({"period": section.text("message")})
    kind = section.text("period")
    if kind != period.kind:
        name = policy_region(region_code).name
        raise ValidationError({"period": f"{name}按{'年' if kind == 'year' else '月'}缴费，期间应写作"
                                         f"{'2024' if kind == 'year' else '2024-03'}的形式"})
    return period


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
