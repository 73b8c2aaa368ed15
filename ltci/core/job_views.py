"""Pages of long work: a job's progress (polled by htmx while it runs) and its report."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from ltci.accounts.roles import JOB_VIEW
from ltci.accounts.scope import get_visible_or_404, require

from . import jobs
from .exports import attachment
from .health import worker_state
from .models import REPORT_ORDER, IssueKind, Job, JobStatus
from .paging import querystring_without_page
from .reports import counts_shown, export_report


def _job(request, pk):
    require(request.user, JOB_VIEW)
    return jobs.checked(get_visible_or_404(Job.objects.all(), request.user, pk=pk))


def _progress_context(job):
    done, total = jobs.progress(job)
    percent = 100 if job.finished_at else (int(done * 100 / total) if total else 0)
    waiting = job.status == JobStatus.PENDING and job.finished_at is None and not job.owner
    return {"job": job, "done": done, "total": total, "percent": percent,
            "counts": counts_shown(job.counts),
            "no_worker": waiting and worker_state()["worker"] != "ok"}


@login_required
def job_detail(request, pk: int):
    job = _job(request, pk)
    kind = request.GET.get("kind", "")
    issues = job.issues.all() if kind not in IssueKind.values else job.issues.filter(kind=kind)
    page = Paginator(issues.select_related("person").order_by(REPORT_ORDER, "row", "id"), 100).get_page(request.GET.get("page"))
    return render(request, "core/job_detail.html", {
        **_progress_context(job), "page": page, "kind": kind, "kinds": IssueKind.choices,
        "querystring": querystring_without_page(request.GET),
    })


@login_required
def job_progress(request, pk: int):
    """The progress fragment; htmx polls it every second until the job is finished."""
    job = _job(request, pk)
    response = render(request, "core/_job_progress.html", _progress_context(job))
    if job.finished_at:
        response["HX-Refresh"] = "true"  # reload once: the report appears
    return response


@login_required
def job_report(request, pk: int):
    job = _job(request, pk)
    return attachment(export_report(job), f"job-{job.pk}-report.xlsx")
