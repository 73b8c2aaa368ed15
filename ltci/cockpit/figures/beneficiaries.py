"""Beneficiaries (待遇享受人员) on the period's last day: people holding a certificate of a grade
that qualifies, in force that day; by grade, and by the care mode they chose (their latest choice
begun by that day). Cumulative: everyone who ever held one by that day (Jiaxing's target)."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, Subquery

from ltci.assessment.models import Certificate
from ltci.care.models import CareChoice, Mode
from ltci.enrolment.models import Person
from ltci.policy.rules.eligibility import GRADE_LABELS

from ..period import Period

NO_MODE = "none"
NO_MODE_LABEL = "尚未选择护理方式"
_ORDER = list(GRADE_LABELS)


def in_force(region_ids: list[str], day):
    return Certificate.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=day),
        region_id__in=region_ids, qualifies=True, valid_from__lte=day, valid_until__gte=day)


def count(region_ids: list[str], day) -> int:
    return in_force(region_ids, day).order_by().values("person_id").distinct().count()


def cumulative(region_ids: list[str], day) -> int:
    return (Certificate.objects.filter(region_id__in=region_ids, qualifies=True, valid_from__lte=day)
            .order_by().values("person_id").distinct().count())


def beneficiaries(region_ids: list[str], period: Period) -> dict:
    day = period.last_day
    held = in_force(region_ids, day).order_by()
    by_grade = {r["grade"]: r["n"] for r in held.values("grade").annotate(n=Count("person_id", distinct=True))}
    latest_mode = (CareChoice.objects.filter(person_id=OuterRef("pk"), effective_from__lte=day)
                   .order_by("-effective_from", "-id").values("mode")[:1])
    # Each beneficiary once (a person may briefly hold two certificates), grouped by their mode.
    rows = (Person.objects.filter(pk__in=held.values("person_id")).order_by()
            .annotate(mode=Subquery(latest_mode)).values("mode").annotate(n=Count("pk")))
    by_mode: dict[str, int] = {}
    for r in rows:
        key = r["mode"] or NO_MODE
        by_mode[key] = by_mode.get(key, 0) + r["n"]
    return {
        "on": day.isoformat(), "total": sum(by_mode.values()), "cumulative": cumulative(region_ids, day),
        "by_grade": [{"grade": g, "label": GRADE_LABELS.get(g, g), "n": n}
                     for g, n in sorted(by_grade.items(), key=lambda kv: _grade_order(kv[0]))],
        "by_mode": [{"mode": m, "label": Mode(m).label if m in Mode.values else NO_MODE_LABEL, "n": n}
                    for m, n in sorted(by_mode.items(), key=lambda kv: (-kv[1], kv[0]))],
    }


def _grade_order(grade: str) -> int:
    return _ORDER.index(grade) if grade in _ORDER else len(_ORDER)
