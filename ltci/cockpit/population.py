"""Entering the population figures (a new entry per correction) and reading the one that counts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ltci.accounts.roles import LEDGER_MANAGE

from .models import Population

# Population figures are entered by the bureau's administrators, who hold LEDGER_MANAGE (the fund's
# management); roles.py has no cockpit-specific write permission (docs/decisions/0010).
POPULATION_MANAGE = LEDGER_MANAGE
MAX_PEOPLE = 100_000_000
MAX_SOURCE = 200


def _whole(value, field: str, label: str) -> int:
    text = str(value).strip() if value is not None and not isinstance(value, bool) else ""
    if not text.isascii() or not text.isdigit():
        raise ValidationError({field: f"{label}须为不小于0的整数"})
    number = int(text)
    if number > MAX_PEOPLE:
        raise ValidationError({field: f"{label}不能超过1亿"})
    return number


@transaction.atomic
def record(region_id: str, user, *, year, residents, elderly_60, source: str) -> Population:
    """A new entry of the region's population for a year; it replaces earlier entries of that year
    for the cockpit (the earlier ones stay, with who entered them)."""
    this_year = timezone.localdate().year
    year = _whole(year, "year", "年度")
    if not 2000 <= year <= this_year:
        raise ValidationError({"year": f"年度应为2000年至{this_year}年之间的年份"})
    residents = _whole(residents, "residents", "户籍人口数")
    if residents == 0:
        raise ValidationError({"residents": "户籍人口数须大于0"})
    elderly_60 = _whole(elderly_60, "elderly_60", "60周岁及以上老年人口数")
    if elderly_60 > residents:
        raise ValidationError({"elderly_60": "60周岁及以上老年人口数不能多于户籍人口数"})
    source = (source or "").strip()
    if not source or len(source) > MAX_SOURCE:
        raise ValidationError({"source": f"请填写数据来源（如统计年鉴，不超过{MAX_SOURCE}字）"})
    from .models import Snapshot
    from .selection import ALL

    entered = Population.objects.create(region_id=region_id, year=year, residents=residents,
                                        elderly_60=elderly_60, source=source, entered_by=user)
    Snapshot.objects.filter(code__in=[region_id, ALL]).delete()  # the rates divide by it: computed afresh
    return entered


def latest(region_ids: list[str], year: int) -> dict[str, Population | None]:
    """Each region's figures for `year`, or for its latest earlier year entered; None where none is."""
    out: dict[str, Population | None] = {r: None for r in region_ids}
    years = (Population.objects.filter(region_id__in=region_ids, year__lte=year).order_by()
             .values("region_id").annotate(y=Max("year")))
    for row in years:
        out[row["region_id"]] = (Population.objects.filter(region_id=row["region_id"], year=row["y"])
                                 .order_by("-id").first())
    return out
