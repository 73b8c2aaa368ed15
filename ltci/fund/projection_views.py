"""Pages of the fund's projections (issue 18): the list with the form that asks for one (a draft
policy uploaded or edited beside it), a projection's figures and charts, and its Excel, PDF and
draft downloads."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ltci.accounts.roles import JOB_VIEW, PROJECTION_RUN, PROJECTION_VIEW
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.audit.recorder import record_export
from ltci.core.exports import attachment
from ltci.core.job_views import _progress_context

from . import projection_report
from .drafts import MAX_DRAFT, current_text
from .models import Projection
from .projections import MAX_RUNS, MAX_YEARS, first_below_text, start_projection


def _form(request, values: dict, errors: dict | None = None, status: int = 200):
    rows = visible(Projection.objects.select_related("job", "created_by"), request.user)[:30]
    return render(request, "fund/projections.html", {
        "values": values, "errors": errors or {}, "max_years": MAX_YEARS, "max_runs": MAX_RUNS,
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
        values = {"years": "10", "runs": "1000", "draft_name": "", "draft_text": ""}
        if request.GET.get("draft") == "current" and request.user.can(PROJECTION_RUN):
            values["draft_text"] = current_text(request.user.region_id, timezone.localdate())
            values["draft_name"] = "政策草案"
        return _form(request, values)
    require(request.user, PROJECTION_RUN)
    values = {k: request.POST.get(k, "") for k in ("years", "runs", "draft_name", "draft_text")}
    try:
        upload = request.FILES.get("draft_file")
        if upload is not None:  # a file chosen wins over the text box
            values["draft_text"] = _draft_upload(upload)
            values["draft_name"] = values["draft_name"] or upload.name.rsplit(".", 1)[0][:100]
        p = start_projection(request.user.region, on=timezone.localdate(), years=values["years"],
                             runs=values["runs"], draft_text=values["draft_text"], draft_name=values["draft_name"],
                             user=request.user, background=settings.JOBS_IN_BACKGROUND)
    except ValidationError as exc:
        return _form(request, values, exc.message_dict, status=400)
    return redirect("fund:projection", pk=p.pk)


def _draft_upload(upload) -> str:
    """A draft parameter file chosen on the page: a .toml of UTF-8 text, a few kilobytes."""
    if not upload.name.lower().endswith(".toml"):
        raise ValidationError({"draft": "政策草案参数文件应为 .toml 文件"})
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
    response["Content-Disposition"] = f'attachment; filename="projection-{p.region_id}-{p.pk}.pdf"'
    return response


@login_required
def projection_draft(request, pk: int):
    p = _projection(request, pk)
    if not p.draft_text:
        return redirect("fund:projection", pk=pk)
    response = HttpResponse(p.draft_text, content_type="application/toml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="draft-{p.region_id}-{p.pk}.toml"'
    return response
