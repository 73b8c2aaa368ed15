"""The fund's projection as the bureau asks for it on its page or over the API (issue 18): a job that
projects the current policy and, when a draft is given, the draft beside it, with the same inputs,
assumptions and random numbers, and keeps both results. Books nothing."""

from __future__ import annotations

import logging
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.core import jobs
from ltci.core.models import Job, JobKind, JobStatus
from ltci.policy.errors import PolicyError
from ltci.policy.params import ParamsDataError
from ltci.projection.assumptions import AssumptionsError, load
from ltci.projection.model import project

from .drafts import check_draft, draft_error, draft_params
from .models import Projection
from .projection_inputs import read_inputs

MAX_YEARS, MAX_RUNS = 30, 2000
log = logging.getLogger(__name__)


def _whole(value, field: str, label: str, low: int, high: int) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ValidationError({field: f"{label}应为 {low}～{high} 的整数"})
    return int(text)


def start_projection(region, *, on: date, years, runs, seed=2026, draft_text: str = "", draft_name: str = "",
                     user=None, background: bool = False) -> Projection:
    """Checks the settings and the draft, then queues the projection; refused with the field and the
    reason, nothing created, when they cannot be right."""
    years = _whole(years, "years", "预测年数", 1, MAX_YEARS)
    runs = _whole(runs, "runs", "随机模拟次数", 1, MAX_RUNS)
    seed = _whole(seed, "seed", "随机种子", 0, 2**31 - 1)
    draft_text = (draft_text or "").replace("\r\n", "\n")
    draft_name = (draft_name or "").strip()[:100]
    if draft_text.strip():
        check_draft(region.pk, on, draft_text)
        draft_name = draft_name or "政策草案"
    elif draft_name:
        raise ValidationError({"draft": "填写了草案名称，但没有上传或填写草案参数"})
    title = f"{region.name}基金收支{years}年预测" + (f"（对比{draft_name}）" if draft_text.strip() else "")
    with transaction.atomic():
        job = Job.objects.create(kind=JobKind.PROJECTION, region=region, title=title[:200],
                                 params={"years": years, "runs": runs}, created_by=user)
        projection = Projection.objects.create(region=region, job=job, on=on, years=years, runs=runs, seed=seed,
                                               draft_name=draft_name if draft_text.strip() else "",
                                               draft_text=draft_text if draft_text.strip() else "", created_by=user)
    projection.thread = jobs.run(job, mode=jobs.mode_of(background))
    return projection


@jobs.runner(JobKind.PROJECTION)
def _projection_job(job: Job) -> None:
    p = Projection.objects.get(job=job)
    drafts = bool(p.draft_text)
    jobs.report(job, 0, 2 if drafts else 1)
    try:
        inputs = read_inputs(p.region_id, p.on)
        assumptions = load(p.region_id)
        current = project(inputs, assumptions, years=p.years, runs=p.runs, seed=p.seed)
        jobs.report(job, 1)
        draft = None
        if drafts:
            with draft_params(p.region_id, p.on, p.draft_text) as params_dir:
                draft = project(inputs, assumptions, years=p.years, runs=p.runs, seed=p.seed, params_dir=params_dir)
            jobs.report(job, 2)
    except (PolicyError, ParamsDataError) as exc:  # a draft the check let through, refused mid-way
        raise ValidationError({"draft": draft_error(exc)}) from None
    except AssumptionsError:
        log.exception("projection %s: assumptions", job.pk)
        raise ValidationError({"assumptions": "测算假设文件有误，请联系运维人员（详见系统日志）"}) from None
    with transaction.atomic():
        p.result = current.as_dict()
        p.draft_result = draft.as_dict() if draft else None
        p.save(update_fields=["result", "draft_result"])
        counts = {"years": p.years, "runs": p.runs, "first_below": _year_text(p.result)}
        if draft:
            counts["draft_first_below"] = _year_text(p.draft_result)
        jobs.finish(job, JobStatus.DONE, counts)
        record(Action.BATCH, job, region=job.region_id, detail={"kind": job.kind, **counts})


def _year_text(result: dict) -> str:
    year = result["first_below"].get("p50_year") or result["first_below"].get("central")
    return f"{year} 年" if year else "预测期内不低于"


def first_below_text(result: dict | None) -> str:
    """The year the fund would fall below the warning line, as the page and the report say it."""
    if not result:
        return ""
    fb = result["first_below"]
    year = fb.get("p50_year") or fb.get("central")
    share = f"{fb.get('share_of_runs', 0):.0%} 的模拟" if result["runs"] > 1 else "中心路径"
    if year:
        return f"预计 {year} 年低于预警线（{share}在预测期内低于预警线）"
    return f"预测期内不低于预警线（{share}在预测期内低于预警线）" if result["runs"] > 1 else "预测期内不低于预警线"
