"""What feeds an institution's supervision and rating: filed publicity material, inspections, and
reviews by the people it serves."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ltci.enrolment.models import Person

from .models import Inspection, Institution, InstitutionReview, PublicityFiling


def _text(value: str, field: str, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: "必填"})
    if len(value) > limit:
        raise ValidationError({field: f"不能超过{limit}个字"})
    return value


@transaction.atomic
def file_publicity(institution: Institution, user, *, title: str, channel: str, content: str) -> PublicityFiling:
    return PublicityFiling.objects.create(institution=institution, title=_text(title, "title", 200),
                                          channel=_text(channel, "channel", 100),
                                          content=_text(content, "content", 5000), filed_by=user)


@transaction.atomic
def inspect(institution: Institution, user, *, on: date, score: int, findings: str = "") -> Inspection:
    if on > timezone.localdate():
        raise ValidationError({"on": "检查日期不能晚于今天"})
    if not isinstance(score, int) or not 0 <= score <= 100:
        raise ValidationError({"score": "得分须为 0～100 的整数"})
    return Inspection.objects.create(institution=institution, on=on, score=score,
                                     findings=_text(findings, "findings", 2000, required=False), inspector=user)


@transaction.atomic
def review(institution: Institution, person: Person, *, score: int, comment: str = "") -> InstitutionReview:
    """Only someone the institution serves or served may rate it."""
    from ltci.care.models import CareChoice

    if not CareChoice.objects.filter(person=person, institution=institution).exists():
        raise ValidationError({"institution": "只能评价为本人提供服务的机构"})
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": "评分须为 1～5"})
    return InstitutionReview.objects.create(institution=institution, person=person, score=score,
                                            comment=_text(comment, "comment", 300, required=False))
