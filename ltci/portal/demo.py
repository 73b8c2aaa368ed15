"""Demo for the portal, after care and settlement: a family account (`<region>.family`, 参保人/家属)
for a beneficiary cared for at home, with next month's plan waiting for confirmation, the older
visits rated (the carer's page shows them) and the recent ones left to rate, last month's benefit
from the settlement demo, and the region's institutions to choose from. The insured account of the
accounts demo has its application in publicity to follow and object to (assessment demo)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ltci.accounts.models import User
from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.care import plans, ratings
from ltci.care.choices import mode_on
from ltci.care.models import VISITED_MODES, CareChoice, CarePlan, PlanStatus, Visit
from ltci.core.demo_names import unique_name
from ltci.enrolment.models import Person

RATED_BEFORE_DAYS = 10  # visits older than this are rated in the demo; newer ones wait for the user
COMMENTS = ("护理员很耐心", "准时上门", "", "手法轻柔，老人很满意", "希望增加助浴次数", "")


def family_username(region: str) -> str:
    return f"{region}.family"


def build(options, rng) -> dict[str, int]:
    region = options.region
    username = family_username(region)
    if User.objects.filter(username=username).exists():
        return {"portal family accounts": 0}
    person = _beneficiary(region)
    if person is None:
        return {"portal family accounts": 0}
    from ltci.regions.models import Region

    user = create_user(username=username, password=None, role=Role.INSURED, region=Region.objects.get(pk=region),
                       person=person, full_name=unique_name(region, surname=person.name[0]), is_demo=True)
    User.objects.filter(pk=user.pk).update(password=make_password(settings.DEMO_PASSWORD))
    made = {"portal family accounts": 1, "plans to confirm": _next_plan(region, person), "visit ratings": 0}
    today = timezone.localdate()
    older = (Visit.objects.filter(person=person, checkout_at__isnull=False, superseded_by__isnull=True,
                                  checkin_at__date__lt=today - timedelta(days=RATED_BEFORE_DAYS))
             .order_by("checkin_at"))
    for visit in older:
        if rng.random() < 0.6:
            ratings.rate_visit(visit, user, score=rng.choice((3, 4, 4, 5, 5, 5)), comment=rng.choice(COMMENTS))
            made["visit ratings"] += 1
    return made


def _beneficiary(region: str):
    """The first person (by id) cared for at home today under a confirmed plan, with visits recently."""
    today = timezone.localdate()
    recent = set(Visit.objects.filter(region_id=region, checkin_at__date__gte=today - timedelta(days=7))
                 .values_list("person_id", flat=True))
    for person_id in (CareChoice.objects.filter(region_id=region, person_id__in=recent)
                      .order_by("person_id").values_list("person_id", flat=True).distinct()):
        choice = mode_on(Person.objects.get(pk=person_id), today)
        if choice and choice.mode in VISITED_MODES and plans.plan_on(choice.person, today):
            return choice.person
    return None


def _next_plan(region: str, person) -> int:
    """Next month's plan, the current one's items again, drafted as the care demo drafts and left for
    the family to confirm."""
    today = timezone.localdate()
    current = plans.plan_on(person, today)
    if current is None or CarePlan.objects.filter(person=person, status=PlanStatus.DRAFT).exists():
        return 0
    if plans.drafter_kind(region, today):
        drafter = User.objects.filter(region_id=region, is_demo=True, role=Role.INSTITUTION_ADMIN).first()
    else:
        drafter = User.objects.filter(region_id=region, is_demo=True, role=Role.CLERK, username=f"{region}.clerk").first()
    first_next = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    items = [(i.item.code, i.per_month) for i in current.items.select_related("item")]
    try:
        plans.draft(person, drafter, valid_from=first_next, items=items, visits_per_week=current.visits_per_week)
    except (ValidationError, PermissionDenied):  # e.g. the certificate ends before next month: nothing to confirm
        return 0
    return 1
