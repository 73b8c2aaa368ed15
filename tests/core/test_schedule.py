"""The schedule held in the database: each due time runs once however many processes look, runs
missed during downtime are caught up once, outcomes are kept and shown to the bureau administrator,
and the month-start reminder reaches the settlement clerks' home page until the month is settled."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ltci.accounts.roles import Role
from ltci.core import schedule, worker
from ltci.core.models import Notice, ScheduledRun, WorkerBeat

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def test_due_times_are_local_daily_or_on_a_day_of_the_month():
    tick, reminder = schedule.ENTRIES["assessment_tick"], schedule.ENTRIES["settlement_reminder"]
    assert tick.next_after(at(2026, 12, 7, 0, 59)) == at(2026, 12, 7, 1, 0)
    assert tick.next_after(at(2026, 12, 7, 1, 0)) == at(2026, 12, 8, 1, 0)
    assert reminder.next_after(at(2026, 12, 7, 9, 0)) == at(2027, 1, 1, 8, 0)
    assert (tick.when, reminder.when) == ("每天 01:00", "每月1日 08:00")


def test_a_due_entry_is_claimed_once_however_many_processes_look(db, settings):
    settings.JOBS_IN_BACKGROUND = True
    now = at(2026, 12, 7, 2, 30)
    schedule.sync(now - timedelta(days=1))  # rows made yesterday: last night's 03:00, tonight's 01:00 and 02:00 are due
    first, second = schedule.run_due(now), schedule.run_due(now)
    assert sorted(first) == ["assessment_tick", "cockpit_figures", "nightly_screening"] and second == []
    row = ScheduledRun.objects.get(code="nightly_screening")
    assert row.last_due == at(2026, 12, 7, 2, 0) and row.next_due == at(2026, 12, 8, 2, 0)
    assert row.last_outcome == "排队中"


def test_runs_missed_while_nothing_ran_are_caught_up_once(db, settings):
    settings.JOBS_IN_BACKGROUND = True
    ScheduledRun.objects.create(code="assessment_tick", next_due=at(2026, 12, 4, 1, 0))  # down for three days
    now = at(2026, 12, 7, 9, 0)
    assert "assessment_tick" in schedule.run_due(now)
    row = ScheduledRun.objects.get(code="assessment_tick")
    assert "补执行" in row.last_outcome and row.next_due == at(2026, 12, 8, 1, 0)
    assert schedule.run_due(now) == []


def test_a_worker_runs_what_is_due_and_the_outcome_is_kept(transactional_db, world, settings):
    settings.JOBS_IN_BACKGROUND = True
    ScheduledRun.objects.create(code="assessment_tick", next_due=timezone.now() - timedelta(minutes=1))
    worker.run(batch=True, interval=0)  # its first sweep claims and queues the entry, then runs it
    row = ScheduledRun.objects.get(code="assessment_tick")
    assert row.last_ok is True and row.runs == 1 and row.last_outcome.startswith("出具评估结论")
    assert row.next_due > timezone.now() and row.last_finished_at >= row.last_started_at
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1


def test_the_month_start_reminder_shows_to_settlement_clerks_until_the_month_is_settled(db, world, client_for):
    from ltci.settlement.reminders import remind_last_month, resolve

    home = world["home"]
    day = timezone.localdate().replace(day=1)
    last_month = (day - timedelta(days=1)).replace(day=1)
    assert "提醒" in remind_last_month(day)
    notice = Notice.objects.get(region=home.region)
    assert notice.key == f"settle:{last_month:%Y-%m}"
    clerk_page = client_for(home.users[Role.CLERK]).get("/").content.decode()
    assert "待办提醒" in clerk_page and "待遇尚未结算" in clerk_page and "/settlement/" in clerk_page
    assert "待遇尚未结算" not in client_for(home.users[Role.CARER]).get("/").content.decode()
    assert remind_last_month(day).startswith("提醒 0 个")  # once per month
    resolve(home.region.pk, last_month)
    assert "待遇尚未结算" not in client_for(home.users[Role.CLERK]).get("/").content.decode()


def test_the_bureau_administrator_sees_the_schedule_and_runs_an_entry_now(db, world, client_for, settings):
    settings.JOBS_IN_BACKGROUND = True
    admin = client_for(world["home"].users[Role.BUREAU_ADMIN])
    page = admin.get("/schedule/").content.decode()
    for words in ("夜间疑点筛查", "每天 02:00", "月初结算提醒", "每月1日 08:00", "尚未执行", "没有正在运行的后台处理进程"):
        assert words in page, words
    response = admin.post("/schedule/nightly_screening/run", follow=True)
    assert "已安排立即执行" in response.content.decode()
    assert ScheduledRun.objects.get(code="nightly_screening").last_outcome == "排队中（手动执行）"
    WorkerBeat.objects.create(worker="h:1:1", started_at=timezone.now(), seen_at=timezone.now())
    assert "空闲" in admin.get("/schedule/").content.decode()
    listed = admin.get("/api/schedule").json()
    assert {x["code"] for x in listed} == set(schedule.ENTRIES)
    clerk = client_for(world["home"].users[Role.CLERK])
    assert clerk.get("/schedule/").status_code == 403
    assert clerk.post("/schedule/nightly_screening/run").status_code == 403


@pytest.mark.parametrize("seen, state", [(None, "none"), (timedelta(seconds=3), "ok"), (timedelta(minutes=10), "stale")])
def test_healthz_says_whether_a_worker_beats(db, client, seen, state):
    if seen is not None:
        WorkerBeat.objects.create(worker="h:1:1", started_at=timezone.now() - seen, seen_at=timezone.now() - seen)
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["worker"] == state
    assert "worker_heartbeat_age_seconds" not in body  # the details are the platform administrator's
