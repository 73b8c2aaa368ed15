"""Ratings by the person served: each home visit once, after check-out; the institution once a
calendar month (its reviews feed the star rating, providers.rating).

Only the insured's own account rates (CARE_RATE, the visit's or the institution's person): a family
account speaks for the person it is linked to, a carer or a clerk never rates on someone's behalf.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ltci.accounts.roles import CARE_RATE
from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.enrolment.models import Person
from ltci.providers import quality
from ltci.providers.models import Institution, InstitutionReview

from .models import Visit, VisitRating
from .visits import Refused

COMMENT_MAX = 200
REVIEW_COMMENT_MAX = 300  # an institution's review: the model's (InstitutionReview.comment)
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class AlreadyRated(Refused):
    """A second rating of the same visit, or of the same institution in the same month (409)."""


def _person_of(user) -> int:
    if not getattr(user, "is_authenticated", False) or not user.can(CARE_RATE) or not user.person_id:
        raise PermissionDenied(CARE_RATE)
    return user.person_id


def parse_score(value) -> int:
    """1–5 as an int or the digit a form sends; anything else is an error naming `score`."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and re.fullmatch(r"\s*[1-5]\s*", value):
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError({"score": "评分须为 1～5 星"})
    return value


def clean_comment(value, limit: int = COMMENT_MAX) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationError({"comment": "评价须为文字"})
    # A browser sends a textarea's line breaks as CR LF: a line break is a line break.
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(value) > limit:
        raise ValidationError({"comment": f"评价不能超过{limit}个字"})
    # Control characters (C0 but line breaks and tabs, DEL, C1) and the bidi overrides would let a
    # comment hide or reorder what the carer and the institution read.
    if any((c not in "\n\t" and unicodedata.category(c) == "Cc") or c in BIDI_CONTROLS for c in value):
        raise ValidationError({"comment": "评价含有不可见的控制字符"})
    return value


def rating_of(visit: Visit) -> VisitRating | None:
    """The visit's rating: its own, or one given to a version it corrects (a correction is the same visit)."""
    seen = 0
    while visit is not None and seen < 50:
        found = VisitRating.objects.filter(visit_id=visit.pk).first()
        if found:
            return found
        visit = visit.supersedes
        seen += 1
    return None


def why_not_rateable(visit: Visit) -> str | None:
    """Why the visit cannot be rated now (by anyone), if it cannot."""
    if visit.checkout_at is None:
        return "服务尚未签退，签退后方可评价"
    if Visit.objects.filter(supersedes_id=visit.pk).exists():
        return "该服务记录已更正，请评价更正后的记录"
    if rating_of(visit) is not None:
        return "该次服务已评价过，每次服务只能评价一次"
    return None


@transaction.atomic
def rate_visit(visit: Visit, user, *, score, comment: str = "") -> VisitRating:
    """The person served rates a checked-out visit once; a second rating is refused and changes nothing."""
    person_id = _person_of(user)
    if visit.person_id != person_id:
        raise PermissionDenied("only the person served rates a visit")
    visit = Visit.objects.select_for_update().get(pk=visit.pk)  # two taps at once: the second waits, then finds the first
    score = parse_score(score)
    comment = clean_comment(comment)
    refused = why_not_rateable(visit)
    if refused:
        raise (AlreadyRated if "评价过" in refused else Refused)(refused)
    try:
        with transaction.atomic():
            return VisitRating.objects.create(visit=visit, score=score, comment=comment, rated_by=user)
    except IntegrityError:
        raise AlreadyRated("该次服务已评价过，每次服务只能评价一次") from None


def _month_bounds(on: date) -> tuple[datetime, datetime]:
    first = on.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(first, time.min), tz),
            timezone.make_aware(datetime.combine(following, time.min), tz))


def review_this_month(institution: Institution, person_id: int, on: date | None = None) -> InstitutionReview | None:
    """The person's review of the institution in the calendar month of `on` (local time), if any."""
    start, end = _month_bounds(on or timezone.localdate())
    return (InstitutionReview.objects.filter(institution=institution, person_id=person_id, created_at__gte=start,
                                             created_at__lt=end).first())


@transaction.atomic
def rate_institution(institution: Institution, user, *, score, comment: str = "") -> InstitutionReview:
    """Once per person, institution and calendar month: the star rating counts people's experience
    month by month, and one family cannot move it by rating again and again."""
    person_id = _person_of(user)
    # The person's row is locked: two reviews sent at once cannot both find none this month.
    person = Person.objects.select_for_update().get(pk=person_id)
    score = parse_score(score)
    comment = clean_comment(comment, REVIEW_COMMENT_MAX)
    if review_this_month(institution, person.pk) is not None:
        raise AlreadyRated(f"本月已评价过{institution.name}，下月可再次评价")
    done = quality.review(institution, person, score=score, comment=comment)
    record(Action.CREATE, done, user=user, object_repr=f"评价 {institution.name}",
           region=institution.region_id, detail={"score": score, "comment_chars": len(comment)})
    return done


def recent_for_carer(carer, limit: int = 10):
    """The latest ratings of the carer's visits, for the carer's own page."""
    return (VisitRating.objects.filter(visit__carer=carer).select_related("visit__person")
            .order_by("-rated_at", "-id")[:limit])
