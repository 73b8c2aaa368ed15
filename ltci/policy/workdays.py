"""Working days on the Chinese calendar (statutory holidays and adjusted weekends), for publicity
periods and the intake and conclusion deadlines of an assessment.

The calendar comes from the `chinesecalendar` package, which knows each year once the State Council
has published its holiday arrangement. For a year it does not know yet, Monday to Friday less the
fixed-date holidays are counted and the result says it is provisional, so that a clerk checks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar


@dataclass(frozen=True)
class WorkingDay:
    day: date
    provisional: bool  # a year the holiday calendar does not cover yet: Monday to Friday counted


# Statutory holidays on fixed solar dates (全国年节及纪念日放假办法); the lunar ones and the adjusted
# weekends of a year are known only from its published arrangement.
FIXED_HOLIDAYS = {(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)}


# The years whose holiday arrangement the installed calendar holds.
COVERED_YEARS = frozenset(d.year for d in chinese_calendar.holidays)


def is_working_day(day: date) -> tuple[bool, bool]:
    """(is it a working day, is that provisional)."""
    if day.year in COVERED_YEARS:
        return chinese_calendar.is_workday(day), False
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS, True


def add_working_days(start: date, n: int) -> WorkingDay:
    """The n-th working day after `start` (start itself not counted): 5 working days of publicity
    that begin on a Friday before the National Day holiday end well into October."""
    if n < 0:
        raise ValueError("n must be 0 or more")
    day, provisional, left = start, False, n
    while left:
        day += timedelta(days=1)
        working, guessed = is_working_day(day)
        if working:
            left -= 1
            provisional |= guessed
    return WorkingDay(day, provisional)
