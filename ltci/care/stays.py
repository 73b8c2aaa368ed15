"""Institutional stays: a filed bed, admission and discharge; no two stays of a person overlap, no
bed holds two people, and an institution never holds more people than its filed beds."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from ltci.enrolment.models import Person
from ltci.providers.models import Institution

from .choices import free_beds, mode_on
from .models import STAY_MODES, Stay


def _overlapping(qs, start: date, end: date | None):
    """Stays that share a day with [start, end] (end None: open)."""
    qs = qs.filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=start))
    return qs.filter(admitted_on__lte=end) if end else qs


@transaction.atomic
def admit(person: Person, institution: Institution, user, *, bed: str, on: date) -> Stay:
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    bed = (bed or "").strip()
    errors = {}
    if institution.region_id != person.region_id:
        errors["institution"] = "该机构不在参保人的统筹地区"
    elif institution.filed_beds == 0:
        errors["institution"] = "该机构没有备案床位"
    if not bed or len(bed) > 32:
        errors["bed"] = "请填写床位号（不超过32个字符）"
    choice = mode_on(person, on)
    if not errors and (choice is None or choice.mode not in STAY_MODES or choice.institution_id != institution.pk):
        errors["institution"] = f"{person.name}{on:%Y-%m-%d}未选择在该机构入住护理"
    if errors:
        raise ValidationError(errors)
    if _overlapping(Stay.objects.filter(person=person), on, None).exists():
        raise ValidationError({"admitted_on": "该参保人在此期间已有入住记录"})
    if _overlapping(Stay.objects.filter(institution=institution, bed=bed), on, None).exists():
        raise ValidationError({"bed": f"床位 {bed} 已有人入住"})
    if free_beds(institution, on) == 0:
        raise ValidationError({"institution": f"备案床位 {institution.filed_beds} 张已满"})
    return Stay.objects.create(region_id=person.region_id, person=person, institution=institution, bed=bed,
                               admitted_on=on, entered_by=user)


@transaction.atomic
def discharge(stay: Stay, user, *, on: date) -> Stay:
    stay = Stay.objects.select_for_update().get(pk=stay.pk)
    if stay.discharged_on:
        raise ValidationError({"discharged_on": f"已于{stay.discharged_on:%Y-%m-%d}离开"})
    if on < stay.admitted_on:
        raise ValidationError({"discharged_on": "离开日期不能早于入住日期"})
    stay.discharged_on = on
    stay.save()
    return stay
