"""Repeat re-assessment ranking (长宁 二(二)1): who asks for re-assessment most, and through which
institution, so the agency checks the top of the list and the cases behind each count."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, QuerySet

from ltci.audit.masking import mask_id

from .models import Application, Kind, Trigger


def _requests(region_code: str, start: date, end: date) -> QuerySet:
    """Re-assessments the person asked for: expiry and change of condition are not the person's choice."""
    if start > end:
        raise ValidationError({"end": "结束日期不能早于开始日期"})
    return Application.objects.filter(region_id=region_code, kind=Kind.REASSESSMENT, trigger=Trigger.REQUEST,
                                      submitted_on__gte=start, submitted_on__lte=end)


def reassessment_ranking(region_code: str, start: date, end: date, limit: int = 20) -> dict:
    requests = _requests(region_code, start, end)
    persons = (requests.values("person_id", "person__name", "person__id_number")
               .annotate(count=Count("id"), last_submitted=Max("submitted_on"))
               .order_by("-count", "person__name", "person_id")[:limit])
    institutions = (requests.filter(serving_institution__isnull=False)
                    .values("serving_institution_id", "serving_institution__name")
                    .annotate(count=Count("id"))
                    .order_by("-count", "serving_institution__name", "serving_institution_id")[:limit])
    return {
        "persons": [{"person_id": row["person_id"], "name": row["person__name"],
                     "masked_id": mask_id(row["person__id_number"]), "count": row["count"],
                     "last_submitted": row["last_submitted"]} for row in persons],
        "institutions": [{"institution_id": row["serving_institution_id"], "name": row["serving_institution__name"],
                          "count": row["count"]} for row in institutions],
    }


def ranking_drilldown(region_code: str, start: date, end: date, *, person_id: int | None = None,
                      institution_id: int | None = None) -> QuerySet:
    """The applications behind one line of the ranking, newest first."""
    requests = _requests(region_code, start, end)
    if person_id is not None:
        requests = requests.filter(person_id=person_id)
    if institution_id is not None:
        requests = requests.filter(serving_institution_id=institution_id)
    return requests.select_related("person", "serving_institution").order_by("-submitted_on", "-id")
