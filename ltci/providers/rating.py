"""Star rating (星级): inspections and beneficiaries' reviews of the last twelve months, combined by
the platform's rule (docs/decisions/0005): 60 % the average inspection score, 40 % the average review
scaled to 100; 90 and above five stars, then one star fewer for each 10 points, at least one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count

from .models import Institution

INSPECTION_WEIGHT, REVIEW_WEIGHT = Decimal("0.6"), Decimal("0.4")
WINDOW = timedelta(days=365)
# Confirmed supervision cases (稽核案件查实) of the window lower the score: points per case, at most
# the cap, so one finding costs about half a star and repeated ones at most two (docs/decisions/0009).
CASE_DEDUCTION, CASE_DEDUCTION_CAP = Decimal("5"), Decimal("20")


@dataclass(frozen=True)
class Rating:
    stars: int | None  # None: nothing to rate yet
    score: Decimal | None
    inspections: int
    inspection_average: Decimal | None
    reviews: int
    review_average: Decimal | None
    confirmed_cases: int = 0
    deduction: Decimal = Decimal("0")


def star_rating(institution: Institution, on: date) -> Rating:
    since = on - WINDOW
    ins = institution.inspections.filter(on__gt=since, on__lte=on).aggregate(n=Count("id"), avg=Avg("score"))
    rev = institution.reviews.filter(created_at__date__gt=since, created_at__date__lte=on).aggregate(
        n=Count("id"), avg=Avg("score"))
    ins_avg = Decimal(str(ins["avg"])).quantize(Decimal("0.1")) if ins["avg"] is not None else None
    rev_avg = Decimal(str(rev["avg"])).quantize(Decimal("0.01")) if rev["avg"] is not None else None
    parts = []
    if ins_avg is not None:
        parts.append((INSPECTION_WEIGHT, ins_avg))
    if rev_avg is not None:
        parts.append((REVIEW_WEIGHT, rev_avg * 20))
    if not parts:
        return Rating(None, None, 0, None, 0, None)
    weight = sum(w for w, _ in parts)
    cases = _confirmed_cases(institution, since, on)
    deduction = min(CASE_DEDUCTION * cases, CASE_DEDUCTION_CAP)
    score = max(Decimal("0"), sum(w * v for w, v in parts) / weight - deduction).quantize(Decimal("0.1"), ROUND_HALF_UP)
    stars = max(1, min(5, int(score // 10) - 4)) if score >= 50 else 1
    return Rating(stars, score, ins["n"], ins_avg, rev["n"], rev_avg, cases, deduction)


def _confirmed_cases(institution: Institution, since: date, on: date) -> int:
    from ltci.supervision.models import Case, CaseStatus  # supervision builds on providers, not the reverse

    return Case.objects.filter(institution=institution, status=CaseStatus.CONFIRMED, decided_at__date__gt=since,
                               decided_at__date__lte=on).count()
