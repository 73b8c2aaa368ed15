"""Pages of the fund's projections (issue 18): the list with the form that asks for one (a draft
policy uploaded or edited beside it), a projection's figures and charts, and its Excel, PDF and
draft downloads."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ltci.accounts.roles import JOB_VIEW, PROJECTION_RUN, PROJECTION_VIEW
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.audit.recorder import record_export
from ltci.core.exports import attachment
from ltci.core.job_views import _progress_context

from . import projection_report
from .drafts import MAX_DRAFT, current_text
from .models import Projection, Trial, TrialKind
from .projections import MAX_RUNS, MAX_YEARS, first_below_text, start_projection
from .trials import start_trial, workbook_path


EMPTY = {"years": "10", "runs": "1000", "draft_name": "", "draft_text": ""}
EMPTY_TRIAL = {"kind": TrialKind.REPLAY, "target": "", "draft_name": "", "draft_text": ""}


def _form(request, values: dict | None = None, errors: dict | None = None, status: int = 200, *,
          trial_values: dict | None = None, trial_errors: dict | None = None):
    rows = visible(Projection.objects.select_related("job", "created_by"), request.user)[:30]
    return render(request, "fund/projections.html", {
        "values": values or EMPTY, "errors": errors or {}, "max_years": MAX_YEARS, "max_runs": MAX_RUNS,
        "trial_values": trial_values or EMPTY_TRIAL, "trial_errors": trial_errors or {},
        "trial_kinds": TrialKind.choices,
        "trials": visible(Trial.objects.select_related("job", "created_by"), request.user)[:30],
        "may_run": request.user.can(PROJECTION_RUN), "region": request.user.region,
        "projections": [{"p": p, "verdict": first_below_text(p.result),
                         "draft_verdict": first_below_text(p.draft_result)} for p in rows],
    }, status=status)


@login_required
def projections(request):
    require(request.user, PROJECTION_VIEW)
    if request.user.region_id is None:
        return render(request, "fund/projections.html", {"no_region": True})
    if request.method != "POST":
        values, trial = dict(EMPTY), dict(EMPTY_TRIAL)
        if request.GET.get("draft") == "current" and request.user.can(PROJECTION_RUN):
            text = current_text(request.user.region_id, timezone.localdate())
            values.update(draft_text=text, draft_name="政策草案")
            trial.update(draft_text=text, draft_name="政策草案")
        return _form(request, values, trial_values=trial)
    require(request.user, PROJECTION_RUN)
    values = {k: request.POST.get(k, "") for k in ("years", "runs", "draft_name", "draft_text")}
    try:
        _take_upload(request.FILES.get("draft_file"), values)
        p = start_projection(request.user.region, on=timezone.localdate(), years=values["years"],
                             runs=values["runs"], draft_text=values["draft_text"], draft_name=values["draft_name"],
                             user=request.user, background=settings.JOBS_IN_BACKGROUND)
    except ValidationError as exc:
        return _form(request, values, exc.message_dict, status=400)
    return redirect("fund:projection", pk=p.pk)


def _take_upload(upload, values: dict) -> None:
    """A draft file chosen on the page wins over the text box; its name names the draft if none is typed."""
    if upload is not None:
        values["draft_text"] = _draft_upload(upload)
        values["draft_name"] = values["draft_name"] or upload.name.rsplit(".", 1)[0][:100]


def _draft_upload(upload) -> str:
    """A draft parameter file chosen on the page: a .toml of UTF-8 text, a few kilobytes."""
    if not upload.name.lower().endswith(".toml"):
        raise ValidationError({"draft": "政策草案应为政策参数文件（与现行政策参数的文件格式相同）"})
    if upload.size > MAX_DRAFT * 4:
        raise ValidationError({"draft": "政策草案参数文件过大"})
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"draft": "政策草案参数文件应为 UTF-8 编码的文本"}) from None


def _projection(request, pk: int) -> Projection:
    require(request.user, PROJECTION_VIEW)
    return get_visible_or_404(Projection.objects.select_related("job", "region", "created_by"), request.user, pk=pk)


@login_required
def projection_detail(request, pk: int):
    p = _projection(request, pk)
    ctx = {"p": p, "job_view": request.user.can(JOB_VIEW)}
    if p.result is None:
        ctx.update(_progress_context(p.job))
        return render(request, "fund/projection.html", ctx)
    ctx.update(projection_report.context(p))
    ctx["charts"] = projection_report.chart_data(p)
    return render(request, "fund/projection.html", ctx)


def _finished(request, pk: int) -> Projection:
    p = _projection(request, pk)
    if p.result is None:
        raise ValidationError("测算尚未完成")
    return p


@login_required
def projection_xlsx(request, pk: int):
    try:
        p = _finished(request, pk)
    except ValidationError:
        return redirect("fund:projection", pk=pk)
    data = projection_report.workbook_bytes(p)
    record_export("fund.projection", len(p.result["years"]), region=p.region_id, projection=p.pk, format="xlsx")
    return attachment(data, f"projection-{p.region_id}-{p.pk}.xlsx")


@login_required
def projection_pdf(request, pk: int):
    try:
        p = _finished(request, pk)
    except ValidationError:
        return redirect("fund:projection", pk=pk)
    data = projection_report.pdf_bytes(p)
    record_export("fund.projection", len(p.result["years"]), region=p.region_id, projection=p.pk, format="pdf")
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="projection-{p.region_id}-{p.pk}.pdf"'
    return response


@login_required
def projection_draft(request, pk: int):
    p = _projection(request, pk)
    if not p.draft_text:
        return redirect("fund:projection", pk=pk)
    return _draft_text(p.draft_text, f"draft-{p.region_id}-{p.pk}.toml")


@login_required
@require_POST
def trials(request):
    require(request.user, PROJECTION_RUN)
    if request.user.region_id is None:
        return redirect("fund:projections")
    values = {k: request.POST.get(k, "") for k in ("kind", "target", "draft_name", "draft_text")}
    try:
        _take_upload(request.FILES.get("draft_file"), values)
        trial = start_trial(request.user.region, kind=values["kind"], target=values["target"],
                            draft_text=values["draft_text"], draft_name=values["draft_name"], user=request.user,
                            background=settings.JOBS_IN_BACKGROUND)
    except ValidationError as exc:
        return _form(request, status=400, trial_values=values, trial_errors=exc.message_dict)
    return redirect("fund:trial", pk=trial.pk)


def _trial(request, pk: int) -> Trial:
    require(request.user, PROJECTION_VIEW)
    return get_visible_or_404(Trial.objects.select_related("job", "region", "created_by"), request.user, pk=pk)


@login_required
def trial_detail(request, pk: int):
    t = _trial(request, pk)
    ctx = {"t": t, "job_view": request.user.can(JOB_VIEW)}
    if t.totals is None:
        ctx.update(_progress_context(t.job))
    return render(request, "fund/trial.html", ctx)


@login_required
def trial_xlsx(request, pk: int):
    t = _trial(request, pk)
    path = workbook_path(t)
    if t.totals is None:
        return redirect("fund:trial", pk=pk)  # not finished: its page shows the progress
    if not path.exists():
        messages.error(request, "试算结果文件不在本服务器上（例如数据库从备份恢复后），请重新试算。")
        return redirect("fund:trial", pk=pk)
    record_export(f"fund.trial.{t.kind}", t.totals.get("written", 0), region=t.region_id, trial=t.pk)
    return attachment(path.read_bytes(), f"trial-{t.region_id}-{t.pk}.xlsx")


@login_required
def trial_draft(request, pk: int):
    t = _trial(request, pk)
    return _draft_text(t.draft_text, f"draft-{t.region_id}-trial-{t.pk}.toml")


def _draft_text(text: str, filename: str) -> HttpResponse:
    """A draft as it was given: a parameter file, shown as text."""
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
