from datetime import datetime

from ninja import Router, Schema, Status
from ninja.pagination import paginate

from ltci.accounts.roles import JOB_VIEW, SCHEDULE_RUN, SCHEDULE_VIEW
from ltci.accounts.scope import get_visible_or_404, require

from . import jobs
from .models import REPORT_ORDER, IssueKind, Job

router = Router(tags=["批处理任务"])


class JobOut(Schema):
    id: int
    kind: str
    kind_label: str
    region: str
    title: str
    status: str
    status_label: str
    done: int
    total: int | None
    counts: dict
    message: str
    created_at: datetime
    finished_at: datetime | None


class RunOut(Schema):
    """A batch run started from another app's endpoint (a settlement, a screening): where it stands."""

    id: int
    title: str
    status: str
    percent: int
    counts: dict
    message: str


def run_out(job: Job) -> dict:
    done, total = jobs.progress(job)
    return {"id": job.pk, "title": job.title, "status": job.status,
            "percent": 100 if job.finished_at else int(100 * done / total) if total else 0,
            "counts": job.counts, "message": job.message}


class IssueOut(Schema):
    kind: str
    row: int | None
    column: str
    reason: str
    person_id: int | None


def job_out(job: Job) -> dict:
    done, total = jobs.progress(job)
    return {"id": job.pk, "kind": job.kind, "kind_label": job.get_kind_display(), "region": job.region_id,
            "title": job.title, "status": job.status, "status_label": job.get_status_display(), "done": done,
            "total": total, "counts": job.counts, "message": job.message, "created_at": job.created_at,
            "finished_at": job.finished_at}


@router.get("/jobs/{job_id}", response=JobOut, summary="任务进度与结果")
def job(request, job_id: int):
    require(request.user, JOB_VIEW)
    return job_out(jobs.checked(get_visible_or_404(Job.objects.all(), request.user, pk=job_id)))


@router.get("/jobs/{job_id}/issues", response=list[IssueOut], summary="任务报告明细（拒绝、更新、名单中未出现）")
@paginate
def job_issues(request, job_id: int, kind: str = ""):
    require(request.user, JOB_VIEW)
    job = get_visible_or_404(Job.objects.all(), request.user, pk=job_id)
    issues = job.issues.order_by(REPORT_ORDER, "row", "id")
    return issues.filter(kind=kind) if kind in IssueKind.values else issues


class ScheduledOut(Schema):
    code: str
    title: str
    when: str
    enabled: bool
    next_due: datetime
    last_due: datetime | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_ok: bool | None
    last_outcome: str


def _scheduled_out(x: dict) -> dict:
    row, entry = x["row"], x["entry"]
    return {"code": entry.code, "title": entry.title, "when": entry.when, "enabled": row.enabled,
            "next_due": row.next_due, "last_due": row.last_due, "last_started_at": row.last_started_at,
            "last_finished_at": row.last_finished_at, "last_ok": row.last_ok, "last_outcome": row.last_outcome}


@router.get("/schedule", response=list[ScheduledOut], tags=["定时任务"], summary="定时任务：上次与下次执行及结果")
def scheduled(request):
    from .schedule_views import entries

    require(request.user, SCHEDULE_VIEW)
    return [_scheduled_out(x) for x in entries()]


@router.post("/schedule/{code}/run", response={202: ScheduledOut}, tags=["定时任务"],
             summary="立即执行一项定时任务（排队，由后台处理进程执行；下次执行时间不变）")
def run_scheduled(request, code: str):
    from django.http import Http404

    from . import schedule
    from .schedule_views import entries

    require(request.user, SCHEDULE_RUN)
    if code not in schedule.ENTRIES:
        raise Http404("no such entry")
    schedule.run_now(code, region=request.user.region_id)
    return Status(202, next(_scheduled_out(x) for x in entries() if x["entry"].code == code))
