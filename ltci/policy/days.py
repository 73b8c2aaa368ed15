"""Eligible days of a care period: P3, hospital stays and death suspend benefits.

A hospital stay suspends from the day after admission up to and including the day of discharge;
death ends benefits on the day after death. The batch form carries the same facts reduced to
`suspended_days` (hospital days inside the period, up to death) and `death_day`.
"""

from __future__ import annotations

from datetime import date, timedelta

from .errors import PolicyError
from .inputs import Care

ONE_DAY = timedelta(days=1)


def reduce_events(care: Care) -> tuple[int, date | None]:
    """(suspended_days, death_day) of a care period, as the batch columns carry them."""
    deaths = [ev.start for ev in care.events if ev.type == "death"]
    death_day = min(deaths) if deaths else None
    last = care.end if death_day is None else min(care.end, death_day)
    suspended: set[date] = set()
    for ev in care.events:
        if ev.type != "hospital":
            continue
        day = max(ev.start + ONE_DAY, care.start)
        while day <= min(ev.end, last):
            suspended.add(day)
            day += ONE_DAY
    return len(suspended), death_day


def check_events(care: Care) -> None:
    """A death before the care period starts leaves nothing to settle: the question is wrong."""
    for i, ev in enumerate(care.events):
        if ev.type == "death" and ev.start < care.start:
            raise PolicyError(f"the day of death is before the care period starts ({care.start})", f"events[{i}].on")


def explain(care: Care, suspended: int, death_day: date | None, days: int) -> str | None:
    """Why fewer days than the care period count (P3), e.g. `住院暂停5天、5月21日起因死亡停止，可享受待遇15天`."""
    if days == (care.end - care.start).days + 1:
        return None
    why = [f"住院暂停{suspended}天"] if suspended else []
    if death_day is not None and death_day < care.end:
        stop = death_day + ONE_DAY
        why.append(f"{stop.month}月{stop.day}日起因死亡停止")
    return f"{'、'.join(why)}，可享受待遇{days}天"


def eligible_days(start, end, suspended_days, death_day, algebra):
    """Days of [start, end] up to the day of death, less suspended days; never below 0.

    Scalar: dates and ints. Batch: expressions (`death_day` may be null: no death).
    """
    if algebra.batch:
        pl = algebra.pl
        last = pl.when(death_day.is_null() | (death_day > end)).then(end).otherwise(death_day)
        span = (last - start).dt.total_days() + 1
        return algebra.maximum(span - suspended_days.fill_null(0), 0)
    last = end if death_day is None else min(end, death_day)
    return max((last - start).days + 1 - suspended_days, 0)
