"""The nightly screening: every region's current month (as far as recorded) and the month before
(late records arrive after a month ends). The platform's schedule runs it at 02:00 local time in a
worker (ltci.core.schedule); `ltci supervise --nightly` runs the same round once, by hand.

Screening is idempotent, so a round run twice (the schedule and a hand) stores nothing twice.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.utils import timezone

from ltci.core.context import Actor, acting
from ltci.core.models import Job
from ltci.regions.models import Region

from .screening import start_screening

log = logging.getLogger(__name__)


def months(today: date) -> list[date]:
    current = today.replace(day=1)
    return [(current - timedelta(days=1)).replace(day=1), current]


def run_round(today: date | None = None) -> list[Job]:
    """Screens every region's months for today's round; a region that fails is logged and skipped."""
    today = today or timezone.localdate()
    done = []
    with acting(Actor(name="夜间筛查（定时任务）", channel="cli")):
        for region in Region.objects.order_by("code"):
            for month in months(today):
                try:
                    done.append(start_screening(region, f"{month:%Y-%m}", today=today))
                except Exception:  # one region's failure must not stop the others' screening
                    log.exception("nightly screening of %s %s failed", region.pk, f"{month:%Y-%m}")
    return done


def scheduled_round() -> str:
    """The schedule's run: the round, in words for the bureau's schedule page."""
    done = run_round()
    failed = sum(1 for job in done if job.status == "failed")
    return f"已筛查 {len(done)} 个地区月份" + (f"，其中 {failed} 个失败" if failed else "")
