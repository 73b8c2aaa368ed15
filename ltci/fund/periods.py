"""Accounting periods: a region's books close month by month, in order, and a closed month is never
reopened. Closing a month closes the books up to it: the empty months before it (back to the
scheme's first month) close with it, and nothing can be posted on or before the last closed month
(it would change balances already closed). A month after the last closed one has no Period row, or
an open one. Journals for a closed month go to the first open month after it."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from ltci.audit.models import Action
from ltci.audit.recorder import record

from .models import Journal, Period


def month_start(d: date) -> date:
    return d.replace(day=1)


def next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def month_label(d: date) -> str:
    return f"{d.year}年{d.month}月"


def closed_through(region_id: str) -> date | None:
    """The last closed month of the region's books (its first day), or None if none is closed."""
    return Period.objects.filter(region_id=region_id, closed_at__isnull=False).aggregate(m=Max("month"))["m"]


def is_closed(region_id: str, month: date) -> bool:
    last = closed_through(region_id)
    return last is not None and month_start(month) <= last


def first_open_month(region_id: str, on_or_after: date) -> date:
    """The first day of the first open month on or after `on_or_after`'s month."""
    last = closed_through(region_id)
    month = month_start(on_or_after)
    return month if last is None or month > last else next_month(last)


def booking_date(on: date, last_closed: date | None) -> date:
    """The date a journal of an event on `on` is posted on: `on` itself, or, when its month is closed,
    the first day of the first open month (`last_closed` from `closed_through`)."""
    return on if last_closed is None or on > month_end(last_closed) else next_month(last_closed)


def month_end(month: date) -> date:
    return date.fromordinal(next_month(month).toordinal() - 1)


def check_open(posted_on: date, last_closed: date | None) -> None:
    """Refuses (field `posted_on`) a journal dated in a closed month (`last_closed` from `closed_through`)."""
    if last_closed is not None and posted_on <= month_end(last_closed):
        raise ValidationError({"posted_on": f"{month_label(month_start(posted_on))}所在会计期间已结账（已结账至"
                                            f"{month_label(last_closed)}），请记入{month_label(next_month(last_closed))}"
                                            "或之后的月份"})


@transaction.atomic
def close(region_id: str, month: date, user) -> Period:
    """Closes a month of the region's books; refused (field `month`) when the month has not ended,
    is closed already, or an earlier month with postings is still open. Earlier months without
    postings close with it. Audited."""
    month = month_start(month)
    if connection.vendor == "postgresql":
        # Postings wait while a month closes, so none lands in it between the check and the close.
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE fund_journal IN SHARE MODE")
    today = timezone.localdate()
    if next_month(month) > today:
        raise ValidationError({"month": f"{month_label(month)}尚未结束，不能结账"})
    last = closed_through(region_id)
    if last is not None and month <= last:
        raise ValidationError({"month": f"{month_label(month)}已结账（已结账至{month_label(last)}）"})
    earlier = Journal.objects.filter(region_id=region_id, posted_on__lt=month)
    if last is not None:
        earlier = earlier.filter(posted_on__gte=next_month(last))
    first = earlier.order_by("posted_on").values_list("posted_on", flat=True).first()
    if first is not None:
        raise ValidationError({"month": f"请先结账{month_label(month_start(first))}：该月有凭证，会计期间须按月依次结账"})
    start = next_month(last) if last is not None else _scheme_start(region_id, month)
    now = timezone.now()
    closing, m = [], start
    while m <= month:
        closing.append(m)
        m = next_month(m)
    existing = {p.month: p for p in Period.objects.select_for_update().filter(region_id=region_id, month__in=closing)}
    period = None
    for m in closing:
        period = existing.get(m) or Period(region_id=region_id, month=m)
        period.closed_at, period.closed_by = now, user
        period.save()
    journals = Journal.objects.filter(region_id=region_id, posted_on__gte=month, posted_on__lt=next_month(month)).count()
    record(Action.TRANSITION, period, user=user, object_repr=f"会计期间结账 {month:%Y-%m}",
           detail={"action": "close_period", "month": f"{month:%Y-%m}", "journals": journals,
                   "empty_months_closed": [f"{m:%Y-%m}" for m in closing[:-1]]})
    return period


def _scheme_start(region_id: str, month: date) -> date:
    """The first month of the region's scheme (its first policy version), or `month` if later: the
    first close also closes the empty months before it, so a Period row says what is closed."""
    from ltci.regions.models import PolicyVersion

    first = PolicyVersion.objects.filter(region_id=region_id).order_by("valid_from").values_list("valid_from", flat=True).first()
    return min(month_start(first), month) if first else month


def months(region_id: str, today: date | None = None) -> list[dict]:
    """Every month of the region's books, from its first journal or period to this month, newest first:
    month, closed or open, journals, when and by whom closed."""
    from django.db.models import Count, Min
    from django.db.models.functions import TruncMonth

    today = today or timezone.localdate()
    first_journal = Journal.objects.filter(region_id=region_id).aggregate(m=Min("posted_on"))["m"]
    first_period = Period.objects.filter(region_id=region_id).aggregate(m=Min("month"))["m"]
    starts = [d for d in (first_journal, first_period) if d is not None]
    if not starts:
        return []
    counts = dict(Journal.objects.filter(region_id=region_id).annotate(m=TruncMonth("posted_on")).values("m")
                  .annotate(n=Count("id")).values_list("m", "n"))
    counts = {(m.date() if hasattr(m, "date") else m): n for m, n in counts.items()}
    periods = {p.month: p for p in Period.objects.filter(region_id=region_id).select_related("closed_by")}
    last = closed_through(region_id)
    end = max([month_start(today), *counts, *periods])
    rows, m = [], month_start(min(starts))
    while m <= end:
        p = periods.get(m)
        rows.append({"month": m, "label": month_label(m), "closed": last is not None and m <= last,
                     "journals": counts.get(m, 0), "closed_at": p.closed_at if p else None,
                     "closed_by": p.closed_by if p else None, "ended": next_month(m) <= today})
        m = next_month(m)
    return rows[::-1]
