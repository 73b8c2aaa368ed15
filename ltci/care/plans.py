"""Care plans: catalogue items × times a month, priced from the catalogue, within the mode's limit
(`policy.plans.plan_limit`); drafted by the serving institution (Changning: the community health
centre's nurse), confirmed by the insured, and only then carried out."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ltci.accounts.roles import CARE_CHANGE
from ltci.assessment.services import grade_on
from ltci.enrolment.models import Person
from ltci.policy.errors import PolicyError
from ltci.policy.plans import plan_limit
from ltci.policy.policies import policy_carried_on
from ltci.providers.catalogue import items_of, price_for

from .choices import mode_on
from .models import VISITED_MODES, CarePlan, PlanItem, PlanStatus

MAX_PER_MONTH = 62  # twice a day


def drafter_kind(region: str, on: date) -> str | None:
    """The kind of institution whose staff must draft the plan, where the region says (Changning)."""
    policy, _ = policy_carried_on(region, on)
    if "care" not in policy.params or "plan_drafter" not in policy.params.section("care"):
        return None
    return policy.params.section("care").param("plan_drafter").value


def _may_draft(user, person: Person, institution, on: date) -> None:
    if not user.can(CARE_CHANGE):
        raise PermissionDenied(CARE_CHANGE)
    kind = drafter_kind(person.region_id, on)
    if kind:
        if user.institution is None or user.institution.kind != kind:
            raise PermissionDenied("本地区护理计划由社区卫生服务中心的护士制定")
    elif user.institution_id and user.institution_id != institution.pk:
        raise PermissionDenied("只有服务机构可以为本机构的服务对象制定护理计划")


@transaction.atomic
def draft(person: Person, user, *, valid_from: date, items: list[tuple[str, int]],
          visits_per_week: int | None = None) -> CarePlan:
    """A plan for the mode in force on `valid_from`; refused beyond the mode's limit, with the amount left."""
    choice = mode_on(person, valid_from)
    if choice is None or choice.mode not in VISITED_MODES:
        raise ValidationError({"valid_from": f"{person.name}{valid_from:%Y-%m-%d}不在居家上门护理方式中"})
    _may_draft(user, person, choice.institution, valid_from)
    cert = grade_on(person, valid_from)
    if cert is None or not cert.qualifies:
        raise ValidationError({"valid_from": f"{person.name}{valid_from:%Y-%m-%d}没有达到待遇等级的有效评估结论"})
    try:
        limit = plan_limit(person.region_id, valid_from, choice.mode, cert.grade)
    except PolicyError as exc:
        raise ValidationError({"valid_from": exc.words()}) from exc
    catalogue = {i.code: i for i in items_of(person.region_id, valid_from)}
    for item in catalogue.values():  # the serving institution's agreed price, where it has one
        item.unit_price = price_for(choice.institution, item, valid_from)
    errors, lines, seen = [], [], set()
    if not items:
        errors.append("请至少选择一个服务项目")
    for code, per_month in items:
        item = catalogue.get(code)
        if item is None:
            errors.append(f"{code} 不在本地区服务项目目录中")
        elif code in seen:
            errors.append(f"{code} 重复")
        elif not isinstance(per_month, int) or not 1 <= per_month <= MAX_PER_MONTH:
            errors.append(f"{item.name}：每月次数须为 1～{MAX_PER_MONTH}")
        elif limit and limit.kind == "amount" and item.unit_price is None:
            errors.append(f"{item.name}尚未定价，不能计入有限额的护理计划")
        else:
            lines.append((item, per_month))
        seen.add(code)
    if errors:
        raise ValidationError({"items": errors})
    total = sum((i.unit_price or Decimal(0)) * n for i, n in lines).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if limit and limit.kind == "amount" and total * 100 > limit.value:
        over = total - Decimal(limit.value) / 100
        raise ValidationError({"items": [f"月度合计{total}元超过{limit.label}{limit.text}（{limit.clause}），超出{over}元"]})
    if limit and limit.kind == "visits":
        if visits_per_week is None or not 1 <= visits_per_week <= limit.value:
            raise ValidationError({"visits_per_week": f"每周上门次数须为 1～{limit.value}（{limit.clause}）"})
    plan = CarePlan.objects.create(
        region_id=person.region_id, person=person, institution=choice.institution, mode=choice.mode, grade=cert.grade,
        valid_from=valid_from, limit_kind=limit.kind if limit else "", limit_value=limit.value if limit else None,
        visits_per_week=visits_per_week if limit and limit.kind == "visits" else None, total=total, drafted_by=user)
    PlanItem.objects.bulk_create([
        PlanItem(plan=plan, item=i, per_month=n, unit_price=i.unit_price,
                 amount=((i.unit_price or Decimal(0)) * n).quantize(Decimal("0.01"), ROUND_HALF_UP))
        for i, n in lines])
    return plan


def person_for_drafting(user, person_id: int) -> Person:
    """Whom the user may draft a plan for: anyone of the region for the agency and, where the region
    names a drafting kind (Changning's community health centres), for its staff; otherwise the
    institution's own clients (their mode names the institution)."""
    from django.http import Http404

    from ltci.accounts.roles import Reach
    from ltci.accounts.scope import get_visible_or_404

    from .models import CareChoice

    if user.reach == Reach.REGION:
        return get_visible_or_404(Person.objects.all(), user, pk=person_id)
    person = Person.objects.filter(pk=person_id, region_id=user.region_id).first()
    if person is None:
        raise Http404("not found")
    kind = drafter_kind(person.region_id, timezone.localdate())
    own_client = CareChoice.objects.filter(person=person, institution_id=user.institution_id).exists()
    if not own_client and not (kind and user.institution and user.institution.kind == kind):
        raise Http404("not found")
    return person


def remaining(plan: CarePlan) -> Decimal | None:
    """What the plan leaves of an amount limit, in yuan (None: the limit is not an amount)."""
    if plan.limit_kind != "amount":
        return None
    return Decimal(plan.limit_value) / 100 - plan.total


@transaction.atomic
def confirm(plan: CarePlan, user) -> CarePlan:
    """The insured (or the agency at the counter, on their word) confirms; an earlier confirmed plan
    of the person from the same date on is replaced."""
    plan = CarePlan.objects.select_for_update().get(pk=plan.pk)
    if not may_confirm(user, plan):
        raise PermissionDenied("only the insured, or the agency on their word, confirms a plan")
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError({"status": f"该护理计划{plan.get_status_display()}，不能再确认"})
    for old in CarePlan.objects.filter(person=plan.person, status=PlanStatus.CONFIRMED):
        old.status = PlanStatus.REPLACED
        old.save()
    plan.status, plan.confirmed_by, plan.confirmed_at = PlanStatus.CONFIRMED, user, timezone.now()
    plan.save()
    return plan


def may_confirm(user, plan: CarePlan) -> bool:
    """The insured themselves, or the agency at the counter (region reach); never the institution
    that drafted the plan, since the confirmation is the insured's check on it."""
    from ltci.accounts.roles import Reach

    if user.person_id:
        return user.person_id == plan.person_id
    return user.reach == Reach.REGION and user.can(CARE_CHANGE)


def plan_on(person: Person, day: date) -> CarePlan | None:
    """The plan in force on a day: of the confirmed plans begun by then, the one the insured confirmed
    last (a plan replaced later served until its successor began)."""
    return (CarePlan.objects.filter(person=person, valid_from__lte=day, confirmed_at__isnull=False,
                                    status__in=[PlanStatus.CONFIRMED, PlanStatus.REPLACED])
            .order_by("-confirmed_at", "-id").first())


def awaiting(user, day: date, limit: int = 100) -> list:
    """The care choices, in force on `day`, of people in a visited mode who have neither a plan
    waiting for their confirmation nor a confirmed one: whom the user should draft a plan for
    (the agency: its region's; institution staff: their institution's clients). Oldest choice first."""
    from django.db.models import Exists, OuterRef, Subquery

    from ltci.accounts.roles import Reach

    from .models import CareChoice

    latest = (CareChoice.objects.filter(person=OuterRef("person"), effective_from__lte=day)
              .order_by("-effective_from", "-id").values("pk")[:1])
    planned = CarePlan.objects.filter(person=OuterRef("person"), status__in=[PlanStatus.DRAFT, PlanStatus.CONFIRMED])
    choices = CareChoice.objects.filter(pk=Subquery(latest), mode__in=VISITED_MODES, region_id=user.region_id)
    if user.reach != Reach.REGION:
        if not user.institution_id:
            return []
        choices = choices.filter(institution_id=user.institution_id)
    return list(choices.filter(~Exists(planned)).select_related("person", "institution")
                .order_by("effective_from", "id")[:limit])
