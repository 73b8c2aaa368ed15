"""The fund's projections over JSON (issue 18): ask for one (a draft policy beside the current one, as
the text of a parameter file), follow its job, read its figures year by year."""

from datetime import date, datetime

from django.conf import settings
from django.utils import timezone
from ninja import Router, Schema, Status

from ltci.accounts.roles import PROJECTION_RUN, PROJECTION_VIEW
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.core.api import JobOut, job_out

from . import projection_report
from .models import Projection, Trial
from .projections import first_below_text, start_projection
from .trials import start_trial

router = Router(tags=["基金收支预测"])


class ProjectionIn(Schema):
    years: int = 10
    runs: int = 1000
    seed: int = 2026
    draft_name: str = ""
    draft_text: str = ""


class ProjectionOut(Schema):
    id: int
    region: str
    on: date
    years: int
    runs: int
    seed: int
    draft_name: str
    created_at: datetime
    job: JobOut
    verdict: str
    draft_verdict: str
    rows: list[dict]
    draft_rows: list[dict]
    assumptions: list[dict]


def _rows(result) -> list[dict]:
    """Year rows with money as text of two decimals (exact), people as whole numbers."""
    def text(v):
        return None if v is None else {k: (f"{x:.2f}" if not isinstance(x, int) else x) for k, x in v.items()}
    return [{"year": r["year"], **{k: text(r[k]) for k in ("insured", "contributions", "new_disability",
                                                             "beneficiaries", "benefits", "agency_fees", "balance")},
             "cover_months": None if r["cover_months"] is None else {k: str(v) for k, v in r["cover_months"].items()}}
            for r in projection_report.year_rows(result)] if result else []


def _out(p: Projection) -> dict:
    return {"id": p.pk, "region": p.region_id, "on": p.on, "years": p.years, "runs": p.runs, "seed": p.seed,
            "draft_name": p.draft_name, "created_at": p.created_at, "job": job_out(p.job),
            "verdict": first_below_text(p.result), "draft_verdict": first_below_text(p.draft_result),
            "rows": _rows(p.result), "draft_rows": _rows(p.draft_result),
            "assumptions": [{k: a[k] for k in ("name", "value", "origin", "source")}
                            for a in projection_report.assumption_rows(p.result)] if p.result else []}


@router.post("/fund/projections", response={202: ProjectionOut}, summary="基金收支预测（可并列测算政策草案；不记账）")
def create(request, body: ProjectionIn):
    require(request.user, PROJECTION_RUN)
    p = start_projection(request.user.region, on=timezone.localdate(), years=body.years, runs=body.runs,
                         seed=body.seed, draft_text=body.draft_text, draft_name=body.draft_name, user=request.user,
                         background=settings.JOBS_IN_BACKGROUND)
    p.refresh_from_db()
    return Status(202, _out(p))


@router.get("/fund/projections", response=list[ProjectionOut], summary="基金收支预测记录")
def index(request, limit: int = 20, offset: int = 0):
    require(request.user, PROJECTION_VIEW)
    qs = visible(Projection.objects.select_related("job"), request.user)
    return [_out(p) for p in qs[max(offset, 0):max(offset, 0) + min(max(limit, 1), 100)]]


@router.get("/fund/projections/{pk}", response=ProjectionOut, summary="一次基金收支预测的逐年结果")
def detail(request, pk: int):
    require(request.user, PROJECTION_VIEW)
    return _out(get_visible_or_404(Projection.objects.select_related("job"), request.user, pk=pk))


class TrialIn(Schema):
    kind: str  # replay: a settled month (target YYYY-MM); rebill: a billing period (target 2025 or 2025-03)
    target: str
    draft_text: str
    draft_name: str = ""


class DraftTrialOut(Schema):
    id: int
    region: str
    kind: str
    kind_label: str
    target: str
    draft_name: str
    created_at: datetime
    job: JobOut
    totals: dict | None


def _trial_out(t: Trial) -> dict:
    return {"id": t.pk, "region": t.region_id, "kind": t.kind, "kind_label": t.get_kind_display(), "target": t.target,
            "draft_name": t.draft_name, "created_at": t.created_at, "job": job_out(t.job), "totals": t.totals}


@router.post("/fund/trials", response={202: DraftTrialOut}, summary="政策草案试算：重算已结算月份或重新核定缴费期间（不记账）")
def create_trial(request, body: TrialIn):
    require(request.user, PROJECTION_RUN)
    t = start_trial(request.user.region, kind=body.kind, target=body.target, draft_text=body.draft_text,
                    draft_name=body.draft_name, user=request.user, background=settings.JOBS_IN_BACKGROUND)
    t.refresh_from_db()
    return Status(202, _trial_out(t))


@router.get("/fund/trials/{pk}", response=DraftTrialOut, summary="一次政策草案试算的合计与分项")
def trial_detail(request, pk: int):
    require(request.user, PROJECTION_VIEW)
    return _trial_out(get_visible_or_404(Trial.objects.select_related("job"), request.user, pk=pk))
