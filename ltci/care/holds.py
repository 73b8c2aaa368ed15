"""Why a home visit waits for the agency before it is settled: recorded too late, checked in or out
farther from the home than the region allows, or without the phone's location. The agency's
acceptance (models.Acceptance) decides all of them the same way; these are the reasons it reads."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from ltci.policy.policies import setting

from .geo import point
from .models import Acceptance, HoldReason, Visit


def late_entry_limit(region: str, day) -> timedelta:
    """How long after a visit its record may be entered without the agency's acceptance."""
    days, _ = setting(region, day, "care", "late_entry_days")
    return timedelta(days=int(days))


def checkin_radius(region: str, day) -> tuple[int, str]:
    """(metres, basis): how far from the home a check-in or check-out may be without the agency's
    acceptance, the region's own where its policy sets one, else the platform's default."""
    metres, basis = setting(region, day, "care", "checkin_radius_m")
    return int(metres), basis


def place(latitude, longitude, prefix: str = "") -> tuple:
    """(latitude, longitude), or (None, None) when the phone gave no location at all; half a
    location is refused, naming the missing half."""
    blank = [v is None or str(v).strip() == "" for v in (latitude, longitude)]
    if all(blank):
        return None, None
    if blank[0]:
        raise ValidationError({f"{prefix}latitude": "位置不完整：缺少纬度"})
    if blank[1]:
        raise ValidationError({f"{prefix}longitude": "位置不完整：缺少经度"})
    return point(latitude, longitude, prefix)


def place_reasons(which: str, latitude, distance: int | None, radius: int) -> list[str]:
    """The reasons one end of a visit (`checkin` or `checkout`) waits: no location, or too far. A home
    without recorded coordinates gives no distance, and no reason: the carer cannot be held to it."""
    if latitude is None:
        return [f"{which}_no_location"]
    if distance is not None and distance > radius:
        return [f"{which}_far"]
    return []


def hold(region: str, happened, current: str, kept: list[str], new: list[str]) -> tuple[str, list[str]]:
    """(acceptance, reasons) after a record: the reasons kept from before, those this record brings and,
    when it is entered later than the region allows after `happened`, lateness. A record already
    waiting or refused waits (a later record cannot launder it); so does one that brings a reason of
    its own, even if the visit was accepted before. Reasons kept from before were decided with it."""
    fresh = list(new)
    if timezone.now() - happened > late_entry_limit(region, timezone.localtime(happened).date()):
        fresh.append(HoldReason.LATE)
    reasons = list(dict.fromkeys([*kept, *fresh]))
    if current in (Acceptance.PENDING, Acceptance.REJECTED) or fresh:
        return Acceptance.PENDING, reasons
    return current, reasons


def reason_texts(visit: Visit) -> list[str]:
    """Each reason the visit waits, in words with its measure: the distance and the radius, the delay."""
    day = timezone.localtime(visit.checkin_at).date()
    radius, _ = checkin_radius(visit.region_id, day)
    reasons = visit.exceptions or ([HoldReason.LATE] if visit.acceptance else [])
    texts = []
    for reason in reasons:
        if reason == HoldReason.CHECKIN_FAR:
            texts.append(f"签到位置距居所{visit.checkin_distance_m}米，超出本地区规定的{radius}米")
        elif reason == HoldReason.CHECKOUT_FAR:
            texts.append(f"签退位置距居所{visit.checkout_distance_m}米，超出本地区规定的{radius}米")
        elif reason == HoldReason.LATE:
            texts.append(f"服务后超过{late_entry_limit(visit.region_id, day).days}天才登记")
        elif reason in HoldReason.values:
            texts.append(HoldReason(reason).label)
    return texts


def notice(visit: Visit) -> str:
    """What the carer is told at once when the visit waits; empty when it does not."""
    if visit.acceptance != Acceptance.PENDING:
        return ""
    texts = reason_texts(visit)
    why = "；".join(texts) if texts else "须经办机构受理"
    return f"本次服务记为异常（{why}），经办机构受理后才纳入结算。"


def decision_counts(visits, first: date, last: date) -> list[dict]:
    """For supervision: the month's visits held for the agency, by reason, and how the agency decided
    (waiting, accepted, refused). `visits` is the viewer's visible queryset of visits."""
    tz = timezone.get_current_timezone()
    since = datetime.combine(first, time.min, tz)
    until = datetime.combine(last + timedelta(days=1), time.min, tz)
    rows = (visits.filter(checkin_at__gte=since, checkin_at__lt=until, superseded_by__isnull=True)
            .exclude(acceptance=Acceptance.NOT_NEEDED).values_list("exceptions", "acceptance"))
    counts: Counter = Counter()
    for reasons, acceptance in rows:
        for reason in reasons or [HoldReason.LATE]:
            counts[(reason, acceptance)] += 1
    result = []
    for reason, label in HoldReason.choices:
        row = {"reason": label, "pending": counts[(reason, Acceptance.PENDING)],
               "accepted": counts[(reason, Acceptance.ACCEPTED)], "rejected": counts[(reason, Acceptance.REJECTED)]}
        row["total"] = row["pending"] + row["accepted"] + row["rejected"]
        result.append(row)
    return result
