"""Designated institutions (those whose agreement is not terminated) by kind with their filed beds
and the beds occupied on the period's last day; certified carers (active, 机构护理员) per 10,000
elderly aged 60+; and the supply ratio, certified carers : beneficiaries (Jiaxing's "1:6")."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from ltci.care.models import Stay
from ltci.providers.models import (
    Carer,
    CarerKind,
    Institution,
    InstitutionKind,
    InstitutionStatus,
)

from ..period import Period
from . import one_to, ratio, text


def certified_carers(region_ids: list[str]) -> int:
    return Carer.objects.filter(region_id__in=region_ids, kind=CarerKind.CERTIFIED, active=True).count()


def supply(carers: int, beneficiaries: int) -> dict:
    """The ratio as 1:n (n beneficiaries per certified carer) and as carers ÷ beneficiaries."""
    return {"supply_ratio": one_to(carers, beneficiaries),
            "supply_value": text(ratio(carers, beneficiaries, "0.0001"))}


def providers(region_ids: list[str], period: Period, *, elderly_60: int | None, beneficiaries: int) -> dict:
    day = period.last_day
    rows = {r["kind"]: r for r in (Institution.objects.filter(region_id__in=region_ids)
                                   .exclude(status=InstitutionStatus.TERMINATED).order_by().values("kind")
                                   .annotate(n=Count("id"), beds=Coalesce(Sum("filed_beds"), 0)))}
    occupied = Stay.objects.filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=day),
                                   region_id__in=region_ids, admitted_on__lte=day).count()
    carers = {r["kind"]: r["n"] for r in Carer.objects.filter(region_id__in=region_ids, active=True).order_by()
              .values("kind").annotate(n=Count("id"))}
    certified = carers.get(CarerKind.CERTIFIED, 0)
    by_kind = [{"kind": k.value, "label": k.label, "n": rows.get(k.value, {}).get("n", 0),
                "beds": rows.get(k.value, {}).get("beds", 0)} for k in InstitutionKind]
    return {
        "on": day.isoformat(), "institutions": sum(r["n"] for r in by_kind), "by_kind": by_kind,
        "beds": sum(r["beds"] for r in by_kind), "occupied_beds": occupied,
        "certified_carers": certified, "family_carers": carers.get(CarerKind.FAMILY, 0),
        "elderly_60": elderly_60,
        "carers_per_10k_elderly": text(ratio(certified * 10_000, elderly_60, "0.1")),
        "beneficiaries": beneficiaries, **supply(certified, beneficiaries),
    }
