"""定时任务: the bureau administrator's page of the schedule (each entry's last and next run and its
outcome, 立即执行) and of the worker processes' heartbeats."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ltci.accounts.roles import SCHEDULE_RUN, SCHEDULE_VIEW
from ltci.accounts.scope import require

from . import schedule
from .jobs import STALE
from .models import ScheduledRun, WorkerBeat


def entries() -> list[dict]:
    """Every entry with its state, in the schedule's order."""
    schedule.sync()
    rows = {r.code: r for r in ScheduledRun.objects.all()}
    return [{"entry": e, "row": rows[e.code]} for e in schedule.SCHEDULE if e.code in rows]


def workers() -> list[dict]:
    now = timezone.now()
    return [{"beat": b, "age": int((now - b.seen_at).total_seconds()), "alive": now - b.seen_at < STALE}
            for b in WorkerBeat.objects.all()]


@login_required
def schedule_page(request):
    require(request.user, SCHEDULE_VIEW)
    return render(request, "core/schedule.html", {
        "entries": entries(), "workers": workers(), "can_run": request.user.can(SCHEDULE_RUN)})


@login_required
@require_POST
def run_now(request, code: str):
    require(request.user, SCHEDULE_RUN)
    if code not in schedule.ENTRIES:
        raise Http404("no such entry")
    schedule.run_now(code, region=request.user.region_id)
    messages.success(request, f"已安排立即执行：{schedule.ENTRIES[code].title}。后台处理进程空闲时即开始，结果见本页。")
    return redirect("schedule")
