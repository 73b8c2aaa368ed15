"""The nightly screening: every region's current month (as far as recorded) and the month before
(late records arrive after a month ends). `ltci serve` runs it at 02:00 local time in a thread of its
own; `ltci supervise --nightly` runs the same round once, for a system timer or cron instead.

Screening is idempotent, so a round run twice (two servers, or a server and cron) stores nothing twice.
"""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime, time, timedelta

from django.db import close_old_connections
from django.utils import timezone

from ltci.core.context import Actor, acting
from ltci.core.models import Job
from ltci.regions.models import Region

from .screening import start_screening

log = logging.getLogger(__name__)
AT = time(2, 0)


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


def seconds_until(now: datetime, at: time = AT) -> float:
    """Seconds from `now` (aware, local) to the next `at`."""
    target = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    return (target - now).total_seconds()


def start_scheduler(stop: threading.Event | None = None) -> threading.Thread:
    stop = stop or threading.Event()

    def loop():
        while not stop.wait(seconds_until(timezone.localtime())):
            close_old_connections()
            try:
                jobs = run_round()
                log.info("nightly screening: %d region-months screened", len(jobs))
            finally:
                close_old_connections()

    thread = threading.Thread(target=loop, name="ltci-nightly-screening", daemon=True)
    thread.start()
    return thread
