"""The platform's schedule: what runs by the calendar, held in the database so that each due time runs
once however many workers and servers run, and is caught up after downtime.

The entries are code (below); their state is a `ScheduledRun` row each. A worker's sweep
(`ltci.core.worker`) calls `run_due` every minute: a due entry is claimed by a conditional update of
its `next_due` (only one process's update matches), then queued as a task that the next free worker
runs. Runs missed while nothing ran are run once, for the latest due time, and say so. Decision 0024.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from .context import Actor, acting
from .models import ScheduledRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    code: str
    title: str  # what the bureau's page calls it
    at: time  # local time of day
    day: int | None  # day of the month; None: every day
    run: str  # "module:function", a function() -> str: the outcome in words

    @property
    def when(self) -> str:
        return (f"每月{self.day}日" if self.day else "每天") + f" {self.at:%H:%M}"

    def next_after(self, now: datetime) -> datetime:
        """The first due time after `now` (aware), in local time."""
        local = timezone.localtime(now)
        day = local.date()
        for _ in range(400):
            if self.day is None or day.day == self.day:
                due = timezone.make_aware(datetime.combine(day, self.at))
                if due > now:
                    return due
            day += timedelta(days=1)
        raise ValueError(f"no due time for {self.code}")  # a day of the month no month has


SCHEDULE = (
    Entry("assessment_tick", "评估流程每日处理：公示期满出具评估结论，有效期将满的发出提醒", time(1, 0), None,
          "ltci.assessment.scheduled:daily_tick"),
    Entry("nightly_screening", "夜间疑点筛查：各统筹地区本月与上月", time(2, 0), None,
          "ltci.supervision.nightly:scheduled_round"),
    Entry("cockpit_figures", "驾驶舱指标：各统筹地区近12个月、本年度及近期查看过的期间", time(3, 0), None,
          "ltci.cockpit.scheduled:nightly_round"),
    Entry("settlement_reminder", "月初结算提醒：上月待遇尚未结算的统筹地区", time(8, 0), 1,
          "ltci.settlement.reminders:remind_last_month"),
)
ENTRIES = {e.code: e for e in SCHEDULE}


def sync(now: datetime | None = None) -> None:
    """A row for every entry (a new entry is first due at its next time, not at once)."""
    now = now or timezone.now()
    known = set(ScheduledRun.objects.values_list("code", flat=True))
    for entry in SCHEDULE:
        if entry.code not in known:
            ScheduledRun.objects.get_or_create(code=entry.code, defaults={"next_due": entry.next_after(now)})


def run_due(now: datetime | None = None) -> list[str]:
    """Claims and queues every entry that is due; returns the codes this process claimed."""
    from django.conf import settings

    from .tasks import enqueue_scheduled

    now = now or timezone.now()
    sync(now)
    claimed = []
    for row in ScheduledRun.objects.filter(enabled=True, next_due__lte=now):
        entry = ENTRIES.get(row.code)
        if entry is None:
            continue
        missed = entry.next_after(row.next_due) <= now  # more than one due time passed: caught up once
        with transaction.atomic():
            won = ScheduledRun.objects.filter(code=row.code, next_due=row.next_due).update(
                next_due=entry.next_after(now), last_due=row.next_due, last_started_at=None, last_finished_at=None,
                last_ok=None, last_outcome="补执行：停机期间错过的执行合并为一次" if missed else "排队中")
        if not won:
            continue  # another process claimed this due time
        claimed.append(row.code)
        if settings.JOBS_IN_BACKGROUND:
            transaction.on_commit(lambda code=row.code: enqueue_scheduled(code))
        else:
            execute(row.code)
    return claimed


def execute(code: str) -> str:
    """Runs one entry now, as the schedule (the trail names the entry), and keeps its outcome."""
    entry = ENTRIES[code]
    ScheduledRun.objects.filter(code=code).update(last_started_at=timezone.now())
    module, _, name = entry.run.partition(":")
    work = getattr(importlib.import_module(module), name)
    try:
        with acting(Actor(name=f"{entry.title.split('：')[0]}（定时任务）", channel="cli")):
            outcome, ok = work(), True
    except Exception as exc:  # the outcome says it failed; the error goes to the log
        log.exception("scheduled run %s failed", code)
        outcome, ok = f"失败：{type(exc).__name__}，详见系统日志", False
    before = ScheduledRun.objects.get(code=code)
    ScheduledRun.objects.filter(code=code).update(last_finished_at=timezone.now(), last_ok=ok,
                                                  last_outcome=outcome[:300], runs=before.runs + 1)
    return outcome


def run_now(code: str, *, region: str | None = None) -> None:
    """The bureau administrator's 立即执行: queued as the due time's run would be (its next due stays),
    on the trail as the current actor's."""
    from django.conf import settings

    from ltci.audit.models import Action
    from ltci.audit.recorder import record

    from .tasks import enqueue_scheduled

    if code not in ENTRIES:
        raise KeyError(code)
    sync()
    ScheduledRun.objects.filter(code=code).update(last_started_at=None, last_finished_at=None, last_ok=None,
                                                  last_outcome="排队中（手动执行）")
    record(Action.BATCH, ScheduledRun.objects.get(code=code), region=region,
           detail={"kind": "schedule_run_now", "entry": code})
    if settings.JOBS_IN_BACKGROUND:
        transaction.on_commit(lambda: enqueue_scheduled(code))
    else:
        execute(code)
