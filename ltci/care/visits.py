"""Home visits as the carer's phone records them: check-in and check-out with time and place, the face
check's result, the items done. Both are idempotent by the client's request id: a retry after a lost
answer returns the same visit, never a second one. A visit recorded late, away from the home or
without a location is kept, and waits for the agency's acceptance (holds.py)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ltci.accounts.roles import Reach
from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.enrolment.models import Person
from ltci.providers.catalogue import items_of
from ltci.providers.models import Carer, CarerKind

from .choices import mode_on
from .events import ended_on, hospital_stays, suspended_on
from .geo import distance_m
from .holds import checkin_radius, hold, place, place_reasons
from .holds import late_entry_limit  # noqa: F401  (read beside the visits by the pages)
from .models import VISITED_MODES, Acceptance, FaceCheck, Visit
from .plans import plan_on

CLOCK_SKEW = timedelta(minutes=2)  # a phone's clock may run a little ahead of the server's
MAX_ITEMS = 50


class Refused(ValidationError):
    """A visit the rules do not allow; the message says why."""


def carer_of(user) -> Carer:
    carer = Carer.objects.select_related("institution").filter(user=user, kind=CarerKind.CERTIFIED).first()
    if carer is None or carer.institution_id is None:
        raise PermissionDenied("not a carer of an institution")
    return carer


def _when(at: datetime | None, field: str) -> datetime:
    now = timezone.now()
    at = at or now
    if timezone.is_naive(at):
        raise ValidationError({field: "时间须带时区"})
    if at > now + CLOCK_SKEW:
        raise ValidationError({field: "时间不能晚于现在"})
    return at


def _request_id(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > 64:
        raise ValidationError({field: "请提供客户端请求号（1–64个字符），重试时保持不变"})
    return value


def _carer_standing(carer: Carer, day, *, own_record: bool) -> None:
    """Refused when the carer may not serve on `day`. The carer's own record (check-in, check-out) is
    refused too while the carer is in post no more or suspended today, whatever day it claims; the
    institution's or the agency's correction of an earlier visit is judged on the visit's day."""
    if own_record and not carer.active:
        raise Refused("该护理员已不在岗")
    if carer.certificate_expiry and carer.certificate_expiry < day:
        raise Refused(f"该护理员的职业资格证书已于{carer.certificate_expiry:%Y-%m-%d}到期")
    suspension = carer.suspensions.filter(start__lte=day, end__gte=day).first()
    if suspension is None and own_record:
        today = timezone.localdate()
        suspension = carer.suspensions.filter(start__lte=today, end__gte=today).first()
    if suspension:
        raise Refused(f"该护理员{suspension.start:%Y-%m-%d}至{suspension.end:%Y-%m-%d}暂停结算（{suspension.reason}），"
                      f"暂停期间不能登记服务")


def _may_serve(carer: Carer, person: Person, day, *, own_record: bool = True):
    """The person's mode that day, if this carer may visit them then; otherwise refused with the reason.

    The carer's own standing comes first, then whether the carer's institution serves the person
    that day; only then the person's own events (death, hospital), which a carer may learn only of
    the people the institution serves."""
    _carer_standing(carer, day, own_record=own_record)
    choice = mode_on(person, day)
    if choice is None or choice.mode not in VISITED_MODES or choice.institution_id != carer.institution_id:
        raise Refused(f"{person.name}{day:%Y-%m-%d}不是本机构上门护理的服务对象")
    ended = ended_on(person)
    if ended and ended < day:
        raise Refused(f"{person.name}已于{ended:%Y-%m-%d}死亡或迁出，不能再登记服务")
    if suspended_on(hospital_stays(person), day):
        raise Refused(f"{person.name}{day:%Y-%m-%d}在住院，居家服务暂停")
    plan = plan_on(person, day)
    if plan is None or plan.institution_id != carer.institution_id:
        raise Refused(f"{person.name}尚无经本人确认的护理计划，不能开始服务")
    return choice


def _home_distance(choice, lat, lon) -> int | None:
    """Metres from the home recorded with the person's mode; None without a location or a home."""
    if choice is None or choice.home_latitude is None or lat is None:
        return None
    return distance_m(lat, lon, choice.home_latitude, choice.home_longitude)


def _overlap(carer: Carer, start: datetime, end: datetime, exclude: int):
    """The carer's other visits that share time with [start, end)."""
    return (Visit.objects.filter(carer=carer, superseded_by__isnull=True, checkin_at__lt=end).exclude(pk=exclude)
            .filter(Q(checkout_at__isnull=True) | Q(checkout_at__gt=start)))


def check_in_request(user, *, person: Person, request_id: str, latitude, longitude, at: datetime | None = None,
                     carer: Carer | None = None) -> tuple[Visit, bool]:
    """(the visit, whether this request made it). Everything is checked before the transaction, which
    holds the database's write lock only for the overlap check and the insert."""
    carer = carer or carer_of(user)
    request_id = _request_id(request_id, "request_id")
    done = Visit.objects.filter(carer=carer, request_id=request_id).first()
    if done:
        return done, False  # a retry
    at = _when(at, "at")
    lat, lon = place(latitude, longitude)
    if person.region_id != carer.region_id:
        raise PermissionDenied("another region")
    day = timezone.localtime(at).date()
    choice = _may_serve(carer, person, day)
    distance = _home_distance(choice, lat, lon)
    radius, _ = checkin_radius(person.region_id, day)
    acceptance, reasons = hold(person.region_id, at, Acceptance.NOT_NEEDED, [],
                               place_reasons("checkin", lat, distance, radius))
    with transaction.atomic():
        # Still open somewhere, or a finished visit that was going on at `at`; one that starts later
        # is checked when this visit checks out and its end is known.
        open_visit = (Visit.objects.filter(carer=carer, superseded_by__isnull=True)
                      .filter(Q(checkout_at__isnull=True) | Q(checkin_at__lte=at, checkout_at__gt=at))
                      .select_related("person").first())
        if open_visit:
            raise Refused(f"尚有未签退或时间重叠的服务（{timezone.localtime(open_visit.checkin_at):%H:%M} "
                          f"{open_visit.person.name}），请先签退")
        try:
            with transaction.atomic():
                visit = Visit.objects.create(
                    region_id=person.region_id, person=person, institution_id=carer.institution_id, carer=carer,
                    request_id=request_id, checkin_at=at, checkin_latitude=lat, checkin_longitude=lon,
                    checkin_distance_m=distance, entered_by=user, acceptance=acceptance, exceptions=reasons)
        except IntegrityError:  # the same request arrived twice at once: the first one won
            return Visit.objects.get(carer=carer, request_id=request_id), False
        record(Action.CREATE, visit, user=user, detail={"checkin": at.isoformat(), "distance_m": distance,
                                                        "acceptance": visit.acceptance, "exceptions": reasons})
    return visit, True


def check_in(user, **kwargs) -> Visit:
    return check_in_request(user, **kwargs)[0]


def _items(items, region: str, day) -> list[str]:
    """The item codes done, each of the region's catalogue, each once."""
    if not isinstance(items, list) or not items:
        raise ValidationError({"items": "请选择本次完成的服务项目"})
    if len(items) > MAX_ITEMS or not all(isinstance(i, str) and 0 < len(i.strip()) <= 16 for i in items):
        raise ValidationError({"items": f"服务项目须为不超过{MAX_ITEMS}个项目编码"})
    codes = list(dict.fromkeys(i.strip() for i in items))
    known = set(items_of(region, day).filter(code__in=codes).values_list("code", flat=True))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationError({"items": f"不在本地区服务项目目录中：{'、'.join(unknown[:5])}"})
    return codes


def _planned(codes: list[str], person: Person, day) -> None:
    plan = plan_on(person, day)
    planned = set(plan.items.values_list("item__code", flat=True)) if plan else set()
    outside = [c for c in codes if c not in planned]
    if outside:
        names = dict(items_of(person.region_id, day).filter(code__in=outside).values_list("code", "name"))
        raise ValidationError({"items": f"不在本人确认的护理计划中：{'、'.join(names.get(c, c) for c in outside[:5])}"})


def check_out(user, visit: Visit, *, request_id: str, latitude, longitude, items, face_check: str = FaceCheck.NOT_DONE,
              notes: str = "", at: datetime | None = None, carer: Carer | None = None) -> Visit:
    """Checked before the transaction; inside it only the visit's state, the overlap and the update."""
    carer = carer or carer_of(user)
    if visit.carer_id != carer.pk:
        raise PermissionDenied("another carer's visit")
    request_id = _request_id(request_id, "request_id")
    if visit.checkout_at:
        if visit.checkout_request_id == request_id:
            return visit  # a retry
        raise Refused(f"该服务已于{timezone.localtime(visit.checkout_at):%H:%M}签退")
    at = _when(at, "at")
    if at <= visit.checkin_at:
        raise ValidationError({"at": "签退时间须晚于签到时间"})
    lat, lon = place(latitude, longitude)
    if face_check not in FaceCheck.values:
        raise ValidationError({"face_check": f"人脸核验结果须为：{'、'.join(FaceCheck.labels)}"})
    if len(notes or "") > 500:
        raise ValidationError({"notes": "备注不能超过500个字"})
    day = timezone.localtime(visit.checkin_at).date()
    _carer_standing(carer, day, own_record=True)  # suspended since checking in: the visit stays open
    codes = _items(items, visit.region_id, day)
    _planned(codes, visit.person, day)
    distance = _home_distance(mode_on(visit.person, day), lat, lon)
    radius, _ = checkin_radius(visit.region_id, day)
    with transaction.atomic():
        current = Visit.objects.select_for_update().get(pk=visit.pk)
        if current.checkout_at:  # checked out meanwhile
            if current.checkout_request_id == request_id:
                return current
            raise Refused(f"该服务已于{timezone.localtime(current.checkout_at):%H:%M}签退")
        if _overlap(carer, current.checkin_at, at, exclude=current.pk).exists():
            raise Refused("签退时间与该护理员的另一次服务重叠")
        current.checkout_at, current.checkout_request_id = at, request_id
        current.checkout_latitude, current.checkout_longitude, current.checkout_distance_m = lat, lon, distance
        current.items, current.face_check, current.notes = codes, face_check, (notes or "").strip()
        current.acceptance, current.exceptions = hold(current.region_id, at, current.acceptance, current.exceptions,
                                                      place_reasons("checkout", lat, distance, radius))
        current.checkout_entered_at = timezone.now()
        current.save()
        record(Action.UPDATE, current, user=user, detail={"checkout": at.isoformat(), "items": len(codes),
                                                          "face_check": face_check, "acceptance": current.acceptance,
                                                          "exceptions": current.exceptions})
    return current


def today_for(user):
    """The carer's visits of today (local), open ones first; a visit begun before midnight and still
    open stays on the page for its check-out (within a day of its check-in)."""
    carer = carer_of(user)
    now = timezone.localtime()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return (Visit.objects.filter(Q(checkin_at__gte=start) | Q(checkout_at__isnull=True,
                                                             checkin_at__gte=now - timedelta(days=1)),
                                 carer=carer, superseded_by__isnull=True)
            .select_related("person").order_by("checkout_at", "-checkin_at"))


def beneficiaries_for(user, day):
    """The people the carer's institution visits on that day (their latest mode is a visited one)."""
    from .models import CareChoice

    carer = carer_of(user)
    ever = CareChoice.objects.filter(institution_id=carer.institution_id).values("person_id")
    latest = {}
    for choice in (CareChoice.objects.filter(person_id__in=ever, effective_from__lte=day)
                   .select_related("person").order_by("person_id", "effective_from", "id")):
        latest[choice.person_id] = choice
    return [c.person for c in latest.values()
            if c.mode in VISITED_MODES and c.institution_id == carer.institution_id]


@transaction.atomic
def correct(visit: Visit, user, *, reason: str, checkin_at: datetime | None = None,
            checkout_at: datetime | None = None, items: list[str] | None = None, notes: str | None = None) -> Visit:
    """A correction by the institution or the agency: a new row that supersedes the visit (the old one
    stays as it was recorded), checked by the same rules, with the reason on the trail."""
    from ltci.accounts.roles import CARE_CHANGE

    if not user.can(CARE_CHANGE):
        raise PermissionDenied(CARE_CHANGE)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if Visit.objects.filter(supersedes=visit).exists():
        raise Refused("该记录已被更正，请更正最新的版本")
    if not (reason or "").strip() or len(reason.strip()) > 200:
        raise ValidationError({"reason": "请写明更正原因（不超过200个字）"})
    start = _when(checkin_at, "checkin_at") if checkin_at else visit.checkin_at
    end = _when(checkout_at, "checkout_at") if checkout_at else visit.checkout_at
    if end is not None and end <= start:
        raise ValidationError({"checkout_at": "签退时间须晚于签到时间"})
    if _overlap(visit.carer, start, end or timezone.now(), exclude=visit.pk).exists():
        raise Refused("更正后的时间与该护理员的另一次服务重叠")
    day = timezone.localtime(start).date()
    _may_serve(visit.carer, visit.person, day, own_record=False)
    if user.reach == Reach.REGION:  # the agency corrects: its own record needs no acceptance
        acceptance, accepted_by, accepted_at = Acceptance.ACCEPTED, user, timezone.now()
        reasons = list(visit.exceptions)
    else:
        # Judged on the earliest time the record claims: a new end near now cannot make it timely.
        # The places are the recorded ones, so their reasons carry over as already decided.
        acceptance, reasons = hold(visit.region_id, start, visit.acceptance, list(visit.exceptions), [])
        kept = acceptance == Acceptance.ACCEPTED  # an accepted record corrected in time stays accepted
        accepted_by, accepted_at = (visit.acceptance_by, visit.acceptance_at) if kept else (None, None)
    codes = visit.items
    if items is not None:
        codes = _items(items, visit.region_id, day)
        _planned(codes, visit.person, day)
    fixed = Visit.objects.create(
        region_id=visit.region_id, person=visit.person, institution=visit.institution, carer=visit.carer,
        request_id=f"fix-{visit.pk}-{uuid.uuid4().hex[:12]}", checkin_at=start,
        checkin_latitude=visit.checkin_latitude, checkin_longitude=visit.checkin_longitude,
        checkin_distance_m=visit.checkin_distance_m, checkout_at=end, checkout_request_id=visit.checkout_request_id,
        checkout_latitude=visit.checkout_latitude, checkout_longitude=visit.checkout_longitude,
        checkout_distance_m=visit.checkout_distance_m, checkout_entered_at=timezone.now() if checkout_at else visit.checkout_entered_at,
        face_check=visit.face_check, items=codes,
        notes=(notes if notes is not None else visit.notes)[:500], supersedes=visit, entered_by=user,
        acceptance=acceptance, exceptions=reasons, acceptance_by=accepted_by, acceptance_at=accepted_at,
        acceptance_note="经办机构更正" if user.reach == Reach.REGION else visit.acceptance_note if kept else "")
    record(Action.UPDATE, fixed, user=user, detail={"corrects": visit.pk, "reason": reason.strip(),
                                                    "acceptance": acceptance})
    return fixed


def pending_acceptance(user):
    """Visits of the user's scope that wait for the agency's acceptance (late, away from the home or
    without a location), oldest first."""
    from ltci.accounts.scope import visible

    return (visible(Visit.objects.filter(acceptance=Acceptance.PENDING, superseded_by__isnull=True), user)
            .select_related("person", "carer", "institution").order_by("checkin_at", "pk"))


@transaction.atomic
def decide_acceptance(visit: Visit, user, *, accept: bool, note: str = "") -> Visit:
    """The agency accepts a held record (it is settled from then on) or refuses it (it never is).
    A decision can be reversed the same way; settlement books the difference."""
    from ltci.accounts.roles import VISIT_ACCEPT

    if not user.can(VISIT_ACCEPT):
        raise PermissionDenied(VISIT_ACCEPT)
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": "受理意见不能超过200个字"})
    if not accept and not note:
        raise ValidationError({"note": "不予受理须写明理由"})
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if not visit.acceptance:
        raise Refused("该服务记录按时登记、位置正常，无需受理")
    if Visit.objects.filter(supersedes=visit).exists():
        raise Refused("该记录已被更正，请受理最新的版本")
    if visit.checkout_at is None:
        raise Refused("该服务尚未签退，签退后再受理")
    before = visit.acceptance
    visit.acceptance = Acceptance.ACCEPTED if accept else Acceptance.REJECTED
    visit.acceptance_by, visit.acceptance_at, visit.acceptance_note = user, timezone.now(), note
    visit.save(update_fields=["acceptance", "acceptance_by", "acceptance_at", "acceptance_note"])
    record(Action.TRANSITION, visit, user=user, detail={"acceptance": [before, visit.acceptance], "note": note})
    return visit
