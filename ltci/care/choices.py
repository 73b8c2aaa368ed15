"""A beneficiary's choice of care mode, from a date: the region's modes only; an institution of the
right kind that takes new clients, with a free filed bed for a stay; the home's location for visits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from ltci.enrolment.models import Person
from ltci.policy.errors import PolicyError
from ltci.policy.policies import policy_carried_on
from ltci.providers.models import Institution, InstitutionKind, InstitutionStatus

from .geo import point
from .models import STAY_MODES, VISITED_MODES, CareChoice, Mode, Stay

# Which kinds of institution serve which modes.
KINDS = {Mode.INSTITUTION_CARE: {InstitutionKind.ELDERLY_CARE},
         Mode.INSTITUTION_MEDICAL: {InstitutionKind.MEDICAL},
         **{m: {InstitutionKind.HOME_CARE, InstitutionKind.MEDICAL, InstitutionKind.ELDERLY_CARE} for m in VISITED_MODES}}


def region_modes(region: str, on: date) -> dict[str, str]:
    """The modes the region's policy offers on a date, with their labels."""
    policy, _ = policy_carried_on(region, on)
    modes = policy.params.section("benefit").sections("modes")
    return {code: Mode(code).label if code in Mode.values else code for code in modes}


def mode_on(person: Person, day: date) -> CareChoice | None:
    return CareChoice.objects.filter(person=person, effective_from__lte=day).order_by("-effective_from", "-id").first()


def occupied_beds(institution: Institution, day: date) -> int:
    return Stay.objects.filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=day), institution=institution,
                               admitted_on__lte=day).count()


def free_beds(institution: Institution, day: date) -> int:
    """Beds free from `day` on: a new stay has no end, so the busiest day of the stays already
    recorded from then on (a back-dated admission must not overfill a later day) counts."""
    stays = list(Stay.objects.filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=day), institution=institution)
                 .values_list("admitted_on", "discharged_on"))
    days = {day} | {start for start, _ in stays if start > day}
    busiest = max((sum(1 for start, end in stays if start <= d and (end is None or end >= d)) for d in days), default=0)
    return max(0, institution.filed_beds - busiest)


def takes_new_clients(institution: Institution, day: date) -> str | None:
    """Why the institution takes no new client on the day, if it does not."""
    if institution.status == InstitutionStatus.TERMINATED:
        return "该机构已终止服务协议"
    if institution.status == InstitutionStatus.SUSPENDED and (institution.suspended_until is None
                                                             or day <= institution.suspended_until):
        until = f"至{institution.suspended_until:%Y-%m-%d}" if institution.suspended_until else ""
        return f"该机构暂停接收新参保人{until}"
    return None


@transaction.atomic
def choose(person: Person, user, *, mode: str, effective_from: date, institution: Institution | None = None,
           home_latitude=None, home_longitude=None) -> CareChoice:
    errors = {}
    try:
        offered = region_modes(person.region_id, effective_from)
    except PolicyError as exc:  # before the region's first policy version: no mode to choose from
        raise ValidationError({"effective_from": exc.words()}) from None
    if mode not in offered:
        raise ValidationError({"mode": f"本地区的护理方式为：{'、'.join(offered.values())}"})
    lat = lon = None
    if mode in KINDS:
        if institution is None:
            errors["institution"] = "请选择服务机构"
        elif institution.region_id != person.region_id:
            errors["institution"] = "该机构不在参保人的统筹地区"
        elif institution.kind not in KINDS[mode]:
            errors["institution"] = f"{institution.get_kind_display()}不提供{Mode(mode).label}"
        else:
            current = mode_on(person, effective_from)
            if current is None or current.institution_id != institution.pk:
                refused = takes_new_clients(institution, effective_from)
                if refused:
                    errors["institution"] = refused
                elif mode in STAY_MODES and free_beds(institution, effective_from) == 0:
                    errors["institution"] = f"该机构{effective_from:%Y-%m-%d}无空余备案床位"
    elif institution is not None:
        errors["institution"] = f"{Mode(mode).label}不选择服务机构"
    if mode in VISITED_MODES:
        if home_latitude in (None, "") or home_longitude in (None, ""):
            errors["home_latitude"] = "上门护理须登记居所位置（用于签到距离核验）"
        else:
            lat, lon = point(home_latitude, home_longitude, "home_")
    if errors:
        raise ValidationError(errors)
    if CareChoice.objects.filter(person=person, effective_from=effective_from).exists():
        raise ValidationError({"effective_from": "该日已有护理方式记录；更改请选择新的生效日期"})
    return CareChoice.objects.create(region_id=person.region_id, person=person, mode=mode, institution=institution,
                                     effective_from=effective_from, home_latitude=lat, home_longitude=lon,
                                     created_by=user)


def home_point(person: Person) -> tuple | None:
    """Where the person lives, as last recorded with a care mode (WGS-84), if ever."""
    choice = (CareChoice.objects.filter(person=person, home_latitude__isnull=False, home_longitude__isnull=False)
              .order_by("-effective_from", "-id").first())
    return (choice.home_latitude, choice.home_longitude) if choice else None


@dataclass(frozen=True)
class Offer:
    """An institution the person may choose, for which modes, how it is rated and how far it is."""

    institution: Institution
    modes: tuple[tuple[str, str], ...]  # (mode, label)
    stars: int | None
    score: object  # Decimal | None: the rating's points, shown with the stars
    distance_m: int | None
    free_beds: int | None  # for modes of a stay; None where only visits are offered

    @property
    def distance_km(self):
        from decimal import ROUND_HALF_UP, Decimal

        if self.distance_m is None:
            return None
        return (Decimal(self.distance_m) / 1000).quantize(Decimal("0.1"), ROUND_HALF_UP)


def offers(person: Person, on: date, near: tuple | None = None) -> list[Offer]:
    """The designated institutions of the person's region that take new clients on `on` and serve a
    mode the region offers: the kind fits the mode and an agreement in force lists it (a stay also
    needs a free filed bed). Most stars first, then nearest to `near` or the recorded home;
    unrated and unlocated ones last, then by name."""
    from ltci.providers.models import Agreement
    from ltci.providers.rating import star_rating

    from .geo import distance_m

    offered = {m: label for m, label in region_modes(person.region_id, on).items() if m in KINDS}
    home = near or home_point(person)
    agreements = (Agreement.objects.filter(institution__region_id=person.region_id, start__lte=on, end__gte=on)
                  .filter(Q(terminated_on__isnull=True) | Q(terminated_on__gt=on)))
    agreed: dict[int, set] = {}
    for institution_id, modes in agreements.values_list("institution_id", "modes"):
        agreed.setdefault(institution_id, set()).update(modes or [])
    out = []
    for inst in Institution.objects.filter(region_id=person.region_id, pk__in=list(agreed)).order_by("name"):
        if takes_new_clients(inst, on):
            continue
        beds = free_beds(inst, on) if any(m in STAY_MODES for m in agreed[inst.pk]) else None
        modes = tuple((m, label) for m, label in offered.items()
                      if m in agreed[inst.pk] and inst.kind in KINDS[m] and (m not in STAY_MODES or beds))
        if not modes:
            continue
        rating = star_rating(inst, on)
        distance = (distance_m(home[0], home[1], inst.latitude, inst.longitude)
                    if home and inst.latitude is not None and inst.longitude is not None else None)
        out.append(Offer(inst, modes, rating.stars, rating.score, distance, beds))
    far = float("inf")
    out.sort(key=lambda o: (-(o.stars or 0), o.distance_m if o.distance_m is not None else far, o.institution.name))
    return out
