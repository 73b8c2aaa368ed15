"""Applications and assessments in the flow: submitted and concluded in the period, open ones now by
state and how many are past their time limits, and the average days from submission to acceptance
and to the conclusion (the certificate), both of those the period ended."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from ltci.assessment.flow import OPEN, State
from ltci.assessment.models import Application, Certificate

from ..period import Period
from . import ratio, text

_DAY = timedelta(days=1)


def _days(value) -> str | None:
    """An average duration (timedelta, or microseconds where the database returns a number) in days."""
    if value is None:
        return None
    if not isinstance(value, timedelta):
        value = timedelta(microseconds=float(value))
    return text(ratio(value.total_seconds(), _DAY.total_seconds(), "0.1"))


def applications(region_ids: list[str], period: Period) -> dict:
    first, last = period.start, period.last_day
    apps = Application.objects.filter(region_id__in=region_ids).order_by()
    submitted = apps.filter(submitted_on__gte=first, submitted_on__lte=last).count()
    open_rows = {r["state"]: r["n"] for r in apps.filter(state__in=OPEN).values("state").annotate(n=Count("id"))}
    today = period.today
    intake_late = apps.filter(state__in=[State.SUBMITTED, State.SCREENED], intake_due__lt=today).count()
    conclusion_late = apps.filter(state__in=[State.ACCEPTED, State.ASSIGNED, State.IN_REVIEW, State.IN_COMMITTEE],
                                  conclusion_due__lt=today).count()
    intake = (apps.filter(accepted_on__gte=first, accepted_on__lte=last)
              .aggregate(d=Avg(ExpressionWrapper(F("accepted_on") - F("submitted_on"), output_field=DurationField()))))
    # An application's first certificate is its conclusion; a dispute's final one is not a second.
    earlier = Certificate.objects.filter(application_id=OuterRef("application_id"), pk__lt=OuterRef("pk"))
    # The range on the stored instant first (local midnights), so the local date is taken of those only.
    since = timezone.make_aware(datetime.combine(first, time.min))
    until = timezone.make_aware(datetime.combine(last + _DAY, time.min))
    concluded = (Certificate.objects.filter(region_id__in=region_ids, issued_at__gte=since, issued_at__lt=until)
                 .order_by().exclude(Exists(earlier)).annotate(issued_on=TruncDate("issued_at")))
    conclusion = concluded.aggregate(
        n=Count("id"),
        d=Avg(ExpressionWrapper(F("issued_on") - F("application__submitted_on"), output_field=DurationField())))
    return {
        "submitted": submitted, "concluded": conclusion["n"],
        "in_flow": [{"state": s.value, "label": s.label, "n": open_rows.get(s.value, 0)}
                    for s in State if s in OPEN],
        "open_total": sum(open_rows.values()),
        "overdue_intake": intake_late, "overdue_conclusion": conclusion_late,
        "intake_days": _days(intake["d"]), "conclusion_days": _days(conclusion["d"]),
    }
