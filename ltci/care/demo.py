"""Demo: institutions with places and filed beds, carers (the demo carer login among them), the
modes beneficiaries chose, stays in the homes, and two months of home visits checked in and out.

Each beneficiary visited at home has visit days of the week; the demo carer's first ones are due
today (and none is open), so that the demo carer can check in at once after `make run`. A colleague
with a login of his own (`<region>.carer.2`) visits some beneficiaries too: the supervision demo's
sanction suspends him, not the demo carer."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from ltci.accounts.models import User
from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.assessment.models import Certificate
from ltci.core.demo_names import unique_name
from ltci.core.demo_places import near
from ltci.policy.plans import plan_limit
from ltci.providers.catalogue import items_of
from ltci.providers.models import Carer, CarerKind, Institution, InstitutionKind

from . import choices, plans, stays, visits
from .models import STAY_MODES, VISITED_MODES, Acceptance, CareChoice, FaceCheck, HoldReason, Visit

BEDS = {InstitutionKind.ELDERLY_CARE: 60, InstitutionKind.MEDICAL: 30, InstitutionKind.HOME_CARE: 0}
CARER_NAMES = ("刘芳", "陈静", "赵敏", "周婷", "孙浩")  # preferred; a name already borne is skipped
# Items a home visit typically has, by code of the default catalogue (catalogues/shanghai-42.toml).
ITEMS = ("SC01", "SC02", "SC07", "SC09", "SC11", "SC19", "SC25", "YL05")


def build(options, rng) -> dict[str, int]:
    region = options.region
    demo_carer = User.objects.filter(username=f"{region}.carer", is_demo=True).first()
    clerk = User.objects.filter(username=f"{region}.clerk", is_demo=True).first()
    # Made before (a demo with no beneficiary makes carers but no choice).
    if CareChoice.objects.filter(region_id=region).exists() or Carer.objects.filter(user=demo_carer).exists():
        return {"care choices": 0}
    if demo_carer is None or clerk is None:
        return {"care choices": 0}
    for inst in Institution.objects.filter(region_id=region):
        inst.latitude, inst.longitude = near(rng, region)
        inst.filed_beds = BEDS[inst.kind]
        inst.save()
    visiting = demo_carer.institution
    carers = [Carer.objects.create(region_id=region, institution=visiting, kind=CarerKind.CERTIFIED, user=demo_carer,
                                   name=demo_carer.get_full_name() or unique_name(region, prefer=CARER_NAMES),
                                   id_number=_carer_id(rng), certificate_number=f"ZG{rng.randint(10**7, 10**8 - 1)}",
                                   level="四级/中级工", trained=True)]
    colleague = _colleague_login(region, visiting)
    for user in (colleague, None):  # the third has no login: the providers demo suspends him over another matter
        carers.append(Carer.objects.create(region_id=region, institution=visiting, kind=CarerKind.CERTIFIED,
                                           user=user, name=user.get_full_name() if user else
                                           unique_name(region, prefer=CARER_NAMES),
                                           id_number=_carer_id(rng), level="五级/初级工",
                                           certificate_number=f"ZG{rng.randint(10**7, 10**8 - 1)}"))
    _price_catalogue(region, rng)
    drafter = User.objects.filter(region_id=region, is_demo=True, role=Role.INSTITUTION_ADMIN).first() \
        if plans.drafter_kind(region, timezone.localdate()) else clerk
    offered = choices.region_modes(region, timezone.localdate())
    visited_mode = next(m for m in offered if m in VISITED_MODES)
    home = Institution.objects.filter(region_id=region, kind=InstitutionKind.ELDERLY_CARE).order_by("id").first()
    today = timezone.localdate()
    start = today - timedelta(days=62)
    people = list({c.person_id: c.person for c in Certificate.objects.filter(
        region_id=region, qualifies=True, ended_on__isnull=True, valid_from__lte=today, valid_until__gte=today)
        .select_related("person").order_by("id")}.values())
    made = {"care choices": 0, "stays": 0, "visits": 0, "carers": len(carers)}
    slot = 0
    for n, person in enumerate(people):
        since = max(start, _certificate_start(person))
        if n % 3 == 2 and home is not None:
            choices.choose(person, clerk, mode=next(m for m in offered if m in STAY_MODES), effective_from=since,
                           institution=home)
            stays.admit(person, home, clerk, bed=f"{2 + n // 10}{n % 10:02d}", on=since)
            made["stays"] += 1
        else:
            lat, lon = near(rng, region)
            choices.choose(person, clerk, mode=visited_mode, effective_from=since, institution=visiting,
                           home_latitude=str(lat), home_longitude=str(lon))
            planned = _plan(region, person, drafter, clerk, visited_mode, since)
            # Every third beneficiary is the colleague's, whose visits supervision finds fault with.
            who = colleague if slot % 3 == 1 else demo_carer
            made["visits"] += _visits(rng, who, person, lat, lon, since, today, slot=slot, items=planned,
                                      faulty=who is colleague)
            slot += 1
        made["care choices"] += 1
    made["late visits to accept"] = _history_entered_in_time(region, today)
    made["visits away from home to accept"] = _away_from_home(demo_carer, today)
    return made


AWAY = Decimal("0.02")  # degrees of latitude north of the home: about 2.2 km, far beyond any region's radius


def _away_from_home(user, today) -> int:
    """Yesterday, after the demo carer's last visit of the day, one more visit whose check-in the phone
    placed about 2 km from the home (checked out at the home): recorded by the check-in a carer's phone
    makes, so it is held for the agency's review page with its reason, out of settlement until accepted."""
    carer = Carer.objects.get(user=user)
    day = today - timedelta(days=1)
    done = Visit.objects.filter(carer=carer, checkin_at__date__lte=day).order_by("-checkin_at")
    for person_id in dict.fromkeys(done.values_list("person_id", flat=True)):
        person = done.filter(person_id=person_id).first().person
        choice, plan = choices.mode_on(person, day), plans.plan_on(person, day)
        if (choice is None or choice.home_latitude is None or choice.mode not in VISITED_MODES or plan is None
                or choice.institution_id != carer.institution_id or plan.institution_id != carer.institution_id):
            continue
        last = done.filter(checkin_at__date=day, checkout_at__isnull=False).order_by("-checkout_at").first()
        begin = (last.checkout_at + timedelta(minutes=30) if last
                 else timezone.make_aware(datetime.combine(day, time(9, 0))))
        visit = visits.check_in(user, person=person, request_id=f"demo-away-{person.pk}-{day:%Y%m%d}",
                                latitude=str(choice.home_latitude + AWAY), longitude=str(choice.home_longitude),
                                at=begin)
        codes = list(plan.items.order_by("item__code").values_list("item__code", flat=True))[:2]
        visits.check_out(user, visit, request_id=f"demo-away-{person.pk}-{day:%Y%m%d}-out",
                         latitude=str(choice.home_latitude), longitude=str(choice.home_longitude), items=codes,
                         face_check=FaceCheck.PASSED, at=begin + timedelta(minutes=60))
        return 1
    return 0


def _history_entered_in_time(region: str, today) -> int:
    """The demo writes two months of visits today; as history they were entered when they happened.
    One of last week's stays as recorded late, for the agency's acceptance journey."""
    demo = Visit.objects.filter(region_id=region, request_id__startswith="demo-")
    for visit in demo.exclude(acceptance=Acceptance.NOT_NEEDED).only("pk", "checkin_at", "checkout_at"):
        Visit.objects.filter(pk=visit.pk).update(acceptance=Acceptance.NOT_NEEDED, exceptions=[],
                                                 entered_at=visit.checkout_at or visit.checkin_at)
    late = (demo.filter(checkin_at__date__lt=today - timedelta(days=3), checkout_at__isnull=False)
            .order_by("-checkin_at").first())
    if late is None:
        return 0
    Visit.objects.filter(pk=late.pk).update(acceptance=Acceptance.PENDING, exceptions=[HoldReason.LATE],
                                            entered_at=timezone.now())
    return 1


def _certificate_start(person):
    cert = Certificate.objects.filter(person=person).order_by("-valid_from").first()
    return cert.valid_from


def _carer_id(rng) -> str:
    from datetime import date

    from ltci.enrolment.idcard import make_id_number

    return make_id_number("320311", date(rng.randint(1965, 1995), rng.randint(1, 12), rng.randint(1, 28)),
                          rng.randint(0, 499), rng.choice("MF"))


def _price_catalogue(region: str, rng) -> None:
    """Demo prices for the catalogue (the default catalogue publishes none): living care 20–60 元,
    clinical care 30–80 元, in whole yuan."""
    for item in items_of(region, timezone.localdate()).filter(unit_price__isnull=True):
        low, high = (20, 60) if item.category == "living_care" else (30, 80)
        item.unit_price = Decimal(rng.randint(low, high))
        item.standard_minutes = rng.choice((10, 15, 20))  # a visit of 2–3 items fits its 90-minute slot
        item.save()


def _plan(region, person, drafter, confirmer, mode, since) -> list[str]:
    """A confirmed plan of typical items, as many as the mode's limit allows; returns the item codes."""
    cert = Certificate.objects.filter(person=person).order_by("-valid_from").first()
    limit = plan_limit(region, since, mode, cert.grade)
    catalogue = {i.code: i for i in items_of(region, since)}
    picked, total = [], Decimal(0)
    for code in ITEMS:
        cost = catalogue[code].unit_price * 8
        if limit and limit.kind == "amount" and (total + cost) * 100 > limit.value:
            continue
        picked.append((code, 8))
        total += cost
    plan = plans.draft(person, drafter, valid_from=since, items=picked,
                       visits_per_week=limit.value if limit and limit.kind == "visits" else None)
    plans.confirm(plan, confirmer)
    return [code for code, _ in picked]


def _colleague_login(region: str, institution) -> User:
    """`<region>.carer.2`, the demo carer's colleague: a demo login like the others."""
    user = create_user(username=f"{region}.carer.2", password=None, role=Role.CARER, region=institution.region,
                       institution=institution, full_name=unique_name(region, prefer=CARER_NAMES[1:]),
                       is_demo=True)
    User.objects.filter(pk=user.pk).update(password=make_password(settings.DEMO_PASSWORD))
    return user


def _visits(rng, user, person, lat, lon, since, today, *, slot: int, items: list[str], faulty: bool = False) -> int:
    """Visits before today, in the carer's slot for this person: three days a week (today among them)
    or the two days between, at an hour of its own, so that no two overlap. A faulty carer's first
    visit of last month failed its face check, for supervision to find."""
    count = 0
    day = since
    standard = dict(items_of(person.region_id, since).values_list("code", "standard_minutes"))
    first = today.weekday()
    weekdays = {(first + k) % 7 for k in ((0, 2, 4) if slot % 2 == 0 else (1, 3))}
    hour, half = divmod(8 * 60 + (slot // 2) * 90, 60)
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    flagged = False
    while day < today:
        if day.weekday() in weekdays:
            begin = timezone.make_aware(datetime.combine(day, time(hour, half + rng.randint(0, 10))))
            jitter = Decimal(f"{rng.uniform(-0.0008, 0.0008):.6f}")  # within about 90 m of the home
            visit = visits.check_in(user, person=person, request_id=f"demo-{person.pk}-{day:%Y%m%d}",
                                    latitude=str(lat + jitter), longitude=str(lon), at=begin)
            done = rng.sample(items, min(len(items), rng.randint(2, 3)))
            minutes = max(45, sum(standard.get(code) or 0 for code in done)) + rng.randint(0, 15)
            if rng.random() < 0.05:  # now and then a visit cut short, for supervision to find
                minutes = minutes // 2
            face = FaceCheck.PASSED if rng.random() < 0.95 else FaceCheck.FAILED
            if faulty and not flagged and day >= last_month:
                face, flagged = FaceCheck.FAILED, True
            visits.check_out(user, visit, request_id=f"demo-{person.pk}-{day:%Y%m%d}-out",
                             latitude=str(lat), longitude=str(lon + jitter), items=done, face_check=face,
                             at=begin + timedelta(minutes=minutes))
            count += 1
        day += timedelta(days=1)
    return count
