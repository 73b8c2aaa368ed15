"""What each role may open: the region's applications for the agency and readers, the person's own
for the insured, and for evaluators only the site tasks and reviews assigned to them.

An evaluator never reaches an application as such: the review page shows what a double-blind
review may see, and no more.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from ltci.accounts.roles import APPLICATION_VIEW, CERTIFICATE_VIEW
from ltci.accounts.scope import NOTHING, visible
from ltci.core.paging import CappedPaginator, capped_count

from .flow import FINAL, OPEN, State
from .models import Application, Certificate, Review, SiteAssessment


def applications_for(user) -> QuerySet[Application]:
    qs = Application.objects.select_related("person", "region")
    return visible(qs, user) if user.can(APPLICATION_VIEW) else qs.filter(NOTHING)


def certificates_for(user) -> QuerySet[Certificate]:
    qs = Certificate.objects.select_related("person", "region", "application")
    return visible(qs, user) if user.can(CERTIFICATE_VIEW) else qs.filter(NOTHING)


def _mine(user) -> Q:
    if not getattr(user, "is_authenticated", False) or not user.region_id:
        return NOTHING
    return Q(application__region_id=user.region_id)


def site_tasks_for(user, *, done: bool = False) -> QuerySet[SiteAssessment]:
    """Site assessments assigned to the user: open ones (the application waits for the visit), or done."""
    qs = (SiteAssessment.objects.select_related("application__person", "first__user", "second__user")
          .filter(_mine(user), Q(first__user=user) | Q(second__user=user), replaced_at__isnull=True))
    if done:
        return qs.filter(visited_at__isnull=False).order_by("-visited_at")
    return qs.filter(visited_at__isnull=True, application__state=State.ASSIGNED).order_by("assigned_at")


def reviews_for(user, *, done: bool = False) -> QuerySet[Review]:
    qs = Review.objects.select_related("application__person").filter(_mine(user), expert__user=user,
                                                                      replaced_at__isnull=True)
    return qs.filter(decided_at__isnull=not done).order_by("-decided_at" if done else "drawn_at")



@dataclass(frozen=True)
class QueueCounts:
    """The workbench's figures of the open applications, read in one query."""

    by_state: dict[str, int]  # the open states that have applications
    overdue_intake: int  # waiting for intake past its due date
    overdue_conclusion: int  # waiting for a conclusion past its due date


INTAKE_WAITING = (State.SUBMITTED, State.SCREENED)
CONCLUSION_WAITING = (State.ACCEPTED, State.ASSIGNED, State.IN_REVIEW, State.IN_COMMITTEE)


def queue_counts(apps: QuerySet[Application], today) -> QueueCounts:
    """The open applications by state, and those past their intake or conclusion date, in one
    query over the open states alone: the final ones (a city's tens of thousands of conclusions)
    are not counted here, each such count a query and 4 ms a page on SQLite (docs/decisions/0027,
    section 18)."""
    rows = list(apps.filter(state__in=sorted(OPEN)).order_by().values("state")
                .annotate(n=Count("id"), late_intake=Count("id", filter=Q(intake_due__lt=today)),
                          late_conclusion=Count("id", filter=Q(conclusion_due__lt=today))))
    return QueueCounts(
        by_state={r["state"]: r["n"] for r in rows},
        overdue_intake=sum(r["late_intake"] for r in rows if r["state"] in INTAKE_WAITING),
        overdue_conclusion=sum(r["late_conclusion"] for r in rows if r["state"] in CONCLUSION_WAITING))


def listed_count(apps: QuerySet[Application], queue: QueueCounts, state: str = "") -> int:
    """How many applications the list holds (of one state, or all), counted no further than the
    lists' cap + 1: the open ones are known from the queue's counts."""
    cap = CappedPaginator.cap
    if state in OPEN:
        return queue.by_state.get(state, 0)
    if state:
        return capped_count(apps.filter(state=state), cap)
    return min(sum(queue.by_state.values()) + capped_count(apps.filter(state__in=sorted(FINAL)), cap), cap + 1)
