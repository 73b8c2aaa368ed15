from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from ltci.accounts.roles import JOB_VIEW
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
