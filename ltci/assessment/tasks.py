"""What each role may open: the region's applications for the agency and readers, the person's own
for the insured, and for evaluators only the site tasks and reviews assigned to them.

An evaluator never reaches an application as such: the review page shows what a double-blind
review may see, and no more.
"""

from __future__ import annotations

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


def state_counts(apps: QuerySet[Application]) -> dict[str, int]:
    """The applications by state: the open states counted exactly, the final ones (a city's tens of
    thousands of conclusions, 4 ms a page on SQLite to count in full) no further than the lists' cap + 1,
    which the page shows as "more than" (docs/decisions/0027, section 18)."""
    counts = {row["state"]: row["n"] for row in
              apps.filter(state__in=sorted(OPEN)).order_by().values("state").annotate(n=Count("id"))}
    for state in sorted(FINAL):
        n = capped_count(apps.filter(state=state), CappedPaginator.cap)
        if n:
            counts[state] = n
    return counts
