"""The nightly cockpit round (ltci.core.schedule, 03:00): every region's figures of the default
period (the last 12 months) and of this year so far, and every other period someone looked at in
the last 31 days, recomputed and kept (cockpit.Snapshot), so that the day's askings answer from
them (docs/decisions/0027). Periods not looked at for 31 days are dropped."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from ltci.regions.models import Region

from . import cockpit
from .models import Snapshot
from .period import Period, parse_period
from .selection import ALL, Selection

log = logging.getLogger(__name__)


def _selection(code: str) -> Selection | None:
    if code == ALL:
        return Selection(list(Region.objects.order_by("pk")), True)
    region = Region.objects.filter(pk=code).first()
    return Selection([region], False) if region else None


def nightly_round(today=None) -> str:
    today = today or timezone.localdate()
    Snapshot.objects.filter(asked_at__lt=timezone.now() - timedelta(days=31)).delete()
    Snapshot.objects.filter(asked_at__isnull=True, computed_at__lt=timezone.now() - timedelta(days=31)).delete()
    wanted: dict[tuple, Period] = {}
    this_year = f"{today.year}-01"
    for code in [*Region.objects.order_by("pk").values_list("pk", flat=True), ALL]:
        for start in ("", this_year):
            period = parse_period(start, "", today)
            wanted[(code, period.start, period.end)] = period
    for code, start, end in Snapshot.objects.values_list("code", "start", "end"):
        if end <= today.replace(day=1):
            wanted.setdefault((code, start, end), parse_period(f"{start:%Y-%m}", f"{end:%Y-%m}", today))
    done, failed, seconds = 0, 0, 0.0
    for (code, _, _), period in sorted(wanted.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        selection = _selection(code)
        if selection is None:
            continue
        try:
            seconds += cockpit.compute(selection, period).seconds
            done += 1
        except Exception:  # one selection's failure must not stop the others'
            log.exception("cockpit figures of %s %s failed", code, period.label)
            failed += 1
    return f"计算驾驶舱指标 {done} 组（{seconds:.0f} 秒）" + (f"，失败 {failed} 组" if failed else "")
