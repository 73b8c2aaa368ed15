"""The institutions of a region ranked by confirmed findings over a period: confirmed cases (by
the day they were decided), the hits those cases confirmed, and what recovery sanctions took back
and fines imposed on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.utils import timezone

from ltci.providers.models import Institution

from .models import Case, CaseStatus, HitStatus, Sanction, SanctionKind

MAX_DAYS = 366 * 5
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Row:
    rank: int
    institution: Institution
    cases: int
    hits: int
    recovered: Decimal
    fined: Decimal


def period(start_text: str | None, end_text: str | None, *, today: date | None = None) -> tuple[date, date]:
    """The period asked for; the last twelve months when none is."""
    today = today or timezone.localdate()
    try:
        end = date.fromisoformat(end_text) if end_text else today
    except ValueError:
        raise ValidationError({"end": "日期格式应为“年-月-日”，如 2026-01-31"}) from None
    try:
        start = date.fromisoformat(start_text) if start_text else end - timedelta(days=365)
    except ValueError:
        raise ValidationError({"start": "日期格式应为“年-月-日”，如 2026-01-31"}) from None
    if start > end:
        raise ValidationError({"start": "开始日期不能晚于结束日期"})
    if (end - start).days > MAX_DAYS:
        raise ValidationError({"start": "统计期间不能超过5年"})
    return start, end


def ranking(region: str, start: date, end: date) -> list[Row]:
    cases = Case.objects.filter(region_id=region, status=CaseStatus.CONFIRMED, institution__isnull=False,
                                decided_at__date__gte=start, decided_at__date__lte=end)
    counts = {r["institution_id"]: r for r in cases.values("institution_id").annotate(
        n=Count("id", distinct=True), hits=Count("hits", filter=Q(hits__status=HitStatus.CONFIRMED), distinct=True))}
    money = {}
    for r in (Sanction.objects.filter(case__in=cases, kind__in=[SanctionKind.RECOVERY, SanctionKind.FINE],
                                     withdrawal__isnull=True)
              .values("case__institution_id", "kind").annotate(s=Sum("amount"))):
        money[(r["case__institution_id"], r["kind"])] = Decimal(str(r["s"] or 0)).quantize(Decimal("0.01"))
    names = Institution.objects.in_bulk(list(counts))
    rows = sorted(counts.values(), key=lambda r: (-r["n"], -r["hits"],
                                                  -money.get((r["institution_id"], SanctionKind.RECOVERY), ZERO),
                                                  names[r["institution_id"]].name))
    return [Row(i + 1, names[r["institution_id"]], r["n"], r["hits"],
                money.get((r["institution_id"], SanctionKind.RECOVERY), ZERO),
                money.get((r["institution_id"], SanctionKind.FINE), ZERO)) for i, r in enumerate(rows)]
