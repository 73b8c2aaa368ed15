"""The cockpit: every figure for a selection of regions and a period, as plain data (the page draws
it, the API returns it)."""

from __future__ import annotations

from decimal import Decimal

from ltci.providers.catalogue import items_of

from .figures import (
    applications,
    beneficiaries,
    enrolment,
    fund,
    providers,
    supervision,
    targets,
)
from .period import Period
from .selection import Selection


def _actuals(region_id: str, period: Period, insured: dict, held: dict, supply: dict) -> dict:
    """The measures a target may name, unrounded, for one region's figures."""
    residents, elderly = insured["residents"], insured["elderly_60"]
    carers, people = supply["certified_carers"], held["total"]
    return {
        "coverage_rate": Decimal(insured["total"]) / residents if residents else None,
        "beneficiaries_cumulative": Decimal(held["cumulative"]),
        "service_items": Decimal(items_of(region_id, period.last_day).count()),
        "certified_carers": Decimal(carers),
        "carers_per_10k_elderly": Decimal(carers * 10_000) / elderly if elderly else None,
        "supply_ratio": Decimal(carers) / people if people else None,
    }


def _region_figures(region_id: str, name: str, period: Period) -> tuple[dict, dict, dict]:
    insured = enrolment.insured([region_id], period, {region_id: name})
    held = beneficiaries.beneficiaries([region_id], period)
    supply = providers.providers([region_id], period, elderly_60=insured["elderly_60"], beneficiaries=held["total"])
    return insured, held, supply


def build(selection: Selection, period: Period) -> dict:
    ids, names = selection.ids, {r.pk: r.name for r in selection.regions}
    insured = enrolment.insured(ids, period, names)
    held = beneficiaries.beneficiaries(ids, period)
    supply = providers.providers(ids, period, elderly_60=insured["elderly_60"], beneficiaries=held["total"])
    goals = []
    for region in selection.regions:
        if not targets.targets_of(region.pk, period.last_day)[0]:
            continue
        # One region selected: its figures are the ones just computed; together: that region's own.
        own = (insured, held, supply) if len(ids) == 1 else _region_figures(region.pk, region.name, period)
        goals.append(targets.compare(region.pk, region.name, period.last_day,
                                     _actuals(region.pk, period, *own)))
    return {
        "region": selection.code, "region_name": selection.label, "regions": ids, "period": period.as_dict(),
        "insured": insured, "beneficiaries": held,
        "applications": applications.applications(ids, period),
        "fund": fund.fund(ids, period, names), "providers": supply,
        "supervision": supervision.supervision(ids, period), "targets": goals,
    }


# --- figures kept between requests (docs/decisions/0027) ----------------------------------------------

def _stored(figures: dict) -> dict:
    """The figures as JSON keeps them (dates and decimals as text, as the API sends them)."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(figures, cls=DjangoJSONEncoder))


def compute(selection: Selection, period: Period):
    """Builds the figures and keeps them as the period's snapshot; the snapshot."""
    import time

    from django.utils import timezone

    from .models import Snapshot

    started = time.perf_counter()
    figures = _stored(build(selection, period))
    snapshot, _ = Snapshot.objects.update_or_create(
        code=selection.code, start=period.start, end=period.end,
        defaults={"figures": figures, "computed_at": timezone.now(), "seconds": time.perf_counter() - started})
    return snapshot


def figures(selection: Selection, period: Period) -> dict:
    """The period's figures as computed since the day began (by the night's schedule, or by the first
    asking today, which then keeps them); `computed_at` says when. A city's figures count millions
    of rows: seconds each time, and the same for everyone all day long."""
    from django.utils import timezone

    from .models import Snapshot

    now = timezone.now()
    midnight = timezone.make_aware(timezone.datetime.combine(timezone.localdate(now), timezone.datetime.min.time()))
    snapshot = Snapshot.objects.filter(code=selection.code, start=period.start, end=period.end,
                                       computed_at__gte=midnight).first()
    if snapshot is None:
        snapshot = compute(selection, period)
    if snapshot.asked_at is None or snapshot.asked_at < now - timezone.timedelta(hours=1):
        Snapshot.objects.filter(pk=snapshot.pk).update(asked_at=now)  # at most hourly: the nightly round's list
    return {**snapshot.figures, "computed_at": timezone.localtime(snapshot.computed_at).isoformat(timespec="minutes")}
