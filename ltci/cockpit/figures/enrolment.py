"""Insured people on the period's last day, by scheme, and the coverage rate: insured ÷ registered
residents (户籍人口) of the population figures the bureau entered."""

from __future__ import annotations

from django.db.models import Count, Q

from ltci.enrolment.models import Enrolment, EnrolmentStatus, Scheme

from .. import population
from ..period import Period
from . import ratio, text


def insured_q(day) -> Q:
    """Enrolments in force on the day: begun, not yet ended (an ended one without a date ended when recorded)."""
    return (Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))
            & ~Q(status=EnrolmentStatus.ENDED, end__isnull=True))


def insured(region_ids: list[str], period: Period, names: dict[str, str]) -> dict:
    day = period.last_day
    rows = (Enrolment.objects.filter(insured_q(day), region_id__in=region_ids).order_by()
            .values("region_id", "scheme").annotate(n=Count("person_id", distinct=True)))
    by_region: dict[str, int] = {r: 0 for r in region_ids}
    by_scheme: dict[str, int] = {}
    for r in rows:
        by_region[r["region_id"]] += r["n"]
        by_scheme[r["scheme"]] = by_scheme.get(r["scheme"], 0) + r["n"]
    total = sum(by_region.values())
    figures = population.latest(region_ids, day.year)
    missing = [names[r] for r, p in figures.items() if p is None]
    residents = None if missing else sum(p.residents for p in figures.values())
    elderly = None if missing else sum(p.elderly_60 for p in figures.values())
    rate = ratio(total * 100, residents)
    return {
        "on": day.isoformat(), "total": total,
        "by_scheme": [{"scheme": s, "label": Scheme(s).label, "n": by_scheme.get(s, 0)} for s in Scheme.values],
        "by_region": [{"region": r, "name": names[r], "n": n} for r, n in by_region.items()],
        "residents": residents, "elderly_60": elderly,
        "population_years": sorted({p.year for p in figures.values() if p is not None}),
        "population_missing": missing,
        "coverage_rate": text(rate),  # percent, two places
    }
