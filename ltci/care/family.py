"""Family care (亲情照护): a relative or designated person registered to one beneficiary, trained or not,
and the days they cared for that beneficiary at home, for the allowance.

A day counts only if the beneficiary's mode that day pays family care, the carer is active and not
suspended, no hospital stay suspends benefits that day, the beneficiary had not died or moved away
before it, and the day is not recorded already. Hospital and death follow the platform rule P3 (spec
regions.md, ltci.policy.days), so the days recorded are the days settlement can pay: the day of
admission and the day of death are care days; the days after admission up to and including the day
of discharge, and the days after death or moving away, are not. Days come in batches and are recorded all or none: any bad day refuses the batch,
each bad day named with its reason.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.enrolment.idcard import InvalidIdNumber, detect_kind, normalise, parse_identity
from ltci.enrolment.models import Person
from ltci.enrolment.services import check_phone
from ltci.providers.models import Carer, CarerKind

from . import events
from .choices import mode_on
from .models import FamilyCareDay, Mode

# Modes whose allowance pays for days of family care.
FAMILY_MODES = frozenset({Mode.FAMILY_CARE, Mode.HOME_COMBINED})
MAX_DAYS = 366


@transaction.atomic
def register_family_carer(person: Person, user, *, name: str, id_number: str, phone: str = "",
                          trained: bool = False) -> Carer:
    """Registers a family carer to the person. Registering again one who was registered to the same
    person and since stood down makes them active again (a carer's identity is one row a region)."""
    name = (name or "").strip()
    errors = {}
    if not name or len(name) > 64:
        errors["name"] = "请填写姓名（不超过64个字）"
    number = normalise(id_number or "")
    try:
        number = parse_identity(detect_kind(number), number).number
    except InvalidIdNumber as exc:
        errors["id_number"] = str(exc)
    else:
        if number == person.id_number:
            errors["id_number"] = "亲情照护人员不能是参保人本人"
    try:
        phone = check_phone(phone)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    Person.objects.select_for_update().filter(pk=person.pk).first()
    # order_by: Carer's default ordering joins the nullable institution, which PostgreSQL cannot lock.
    known = Carer.objects.select_for_update().filter(region_id=person.region_id, id_number=number,
                                                      kind=CarerKind.FAMILY).order_by("pk").first()
    if known is not None:
        if known.beneficiary_id != person.pk:
            raise ValidationError({"id_number": "该人员已登记为本地区其他参保人的亲情照护人员"})
        if known.active:
            raise ValidationError({"id_number": f"该人员已登记为{person.name}的亲情照护人员"})
        known.name, known.phone, known.trained, known.active = name, phone, bool(trained), True
        known.save()  # audited field by field
        return known
    try:
        with transaction.atomic():
            return Carer.objects.create(region_id=person.region_id, institution=None, kind=CarerKind.FAMILY,
                                        name=name, id_number=number, phone=phone, trained=bool(trained),
                                        beneficiary=person, active=True)
    except IntegrityError:  # registered at the same moment by someone else
        raise ValidationError({"id_number": "该人员已登记为亲情照护人员"}) from None


def _why_not(person: Person, carer: Carer, day: date, *, today: date, stays, ended: date | None,
             recorded: dict[date, str]) -> str:
    """Why the day cannot be recorded ("" if it can)."""
    if day > today:
        return "不能登记今天以后的日期"
    if day in recorded:
        return f"已登记（照护人员：{recorded[day]}）"
    if ended is not None and day > ended:
        return f"参保人已于{ended:%Y-%m-%d}死亡或迁出"
    if events.suspended_on(stays, day):
        return "参保人住院期间（入院次日至出院当日）暂停待遇"
    suspension = carer.suspensions.filter(start__lte=day, end__gte=day).first()
    if suspension:
        return f"照护人员{suspension.start:%Y-%m-%d}至{suspension.end:%Y-%m-%d}暂停结算：{suspension.reason}"
    choice = mode_on(person, day)
    if choice is None:
        return "当日尚未选择护理方式"
    if choice.mode not in FAMILY_MODES:
        return f"当日护理方式为{choice.get_mode_display()}，不含亲情照护"
    return ""


@transaction.atomic
def record_days(person: Person, user, *, carer: Carer, days: list[date]) -> int:
    """Records the days `carer` cared for `person`; all or none. Returns how many were recorded."""
    if not isinstance(days, (list, tuple, set)) or not days:
        raise ValidationError({"days": "请选择照护日期"})
    if not all(isinstance(d, date) and not isinstance(d, datetime) for d in days):
        raise ValidationError({"days": "照护日期格式不正确"})
    days = sorted(set(days))
    if len(days) > MAX_DAYS:
        raise ValidationError({"days": f"一次最多登记{MAX_DAYS}天"})
    if carer.kind != CarerKind.FAMILY or carer.beneficiary_id != person.pk:
        raise ValidationError({"carer": f"该人员不是{person.name}的亲情照护人员"})
    if not carer.active:
        raise ValidationError({"carer": "该亲情照护人员已停止照护"})
    Person.objects.select_for_update().filter(pk=person.pk).first()  # one batch of a person at a time
    recorded = dict(FamilyCareDay.objects.filter(person=person, day__in=days).values_list("day", "carer__name"))
    context = {"today": events.today(), "stays": events.hospital_stays(person), "ended": events.ended_on(person),
               "recorded": recorded}
    bad = [(d, why) for d in days if (why := _why_not(person, carer, d, **context))]
    if bad:
        raise ValidationError({"days": [f"{d:%Y-%m-%d}：{why}" for d, why in bad]})
    try:
        with transaction.atomic():
            FamilyCareDay.objects.bulk_create([FamilyCareDay(region_id=person.region_id, person=person, carer=carer,
                                                             day=d, entered_by=user) for d in days])
    except IntegrityError:  # the same days arrived at the same moment
        raise ValidationError({"days": "部分日期已由他人同时登记，请刷新后重试"}) from None
    record(Action.CREATE, object_type_="care.familycareday", object_id=person.pk,
           object_repr=f"{person.name} 亲情照护 {len(days)} 天", region=person.region_id, user=user,
           detail={"count": len(days), "carer": carer.pk, "first": days[0].isoformat(), "last": days[-1].isoformat()})
    return len(days)
