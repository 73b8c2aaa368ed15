"""Draft policies tried on the books (issue 18), as the bureau asks for them on the projections page
or over the API: a settled month replayed (ltci.settlement.replay) or a billing period billed again
(ltci.contributions.rebill) under the draft, as a job; the totals are kept on the trial, the
per-person comparison as a workbook. Books nothing."""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.core import jobs
from ltci.core.models import Job, JobKind, JobStatus
from ltci.policy.batch import BatchError
from ltci.policy.errors import PolicyError
from ltci.policy.money import yuan
from ltci.policy.params import ParamsDataError

from .drafts import check_draft, draft_error
from .models import Trial, TrialKind


log = logging.getLogger(__name__)


def workbook_path(trial: Trial) -> Path:
    return Path(settings.TRIALS_DIR) / f"trial-{trial.pk}.xlsx"


def _target(region, kind: str, text: str) -> tuple[str, date]:
    """The month or period tried, checked as settlement and billing check them."""
    if kind == TrialKind.REPLAY:
        from ltci.settlement.models import Line
        from ltci.settlement.run import parse_month_text

        try:
            month = parse_month_text(text)
        except ValidationError:
            raise ValidationError({"target": "月份格式应为 YYYY-MM，如 2026-10"}) from None
        if not Line.objects.filter(claim__region=region, service_month=month).exists():
            raise ValidationError({"target": f"{month:%Y年%m月}尚未结算，没有可比较的结算结果"})
        return f"{month:%Y-%m}", month
    from ltci.contributions.models import Bill
    from ltci.contributions.periods import region_period

    period = region_period(region.pk, text)  # refuses with the field "period"
    if not Bill.objects.filter(region=region, period=period.code).exists():
        raise ValidationError({"target": f"{period.label}尚未核定缴费，没有可比较的核定结果"})
    return period.code, period.first


def start_trial(region, *, kind: str, target: str, draft_text: str, draft_name: str = "", user=None,
                background: bool = False) -> Trial:
    if kind not in TrialKind.values:
        raise ValidationError({"kind": "请选择测算内容"})
    try:
        code, on = _target(region, kind, (target or "").strip())
    except ValidationError as exc:
        raise ValidationError({"target": [m for ms in exc.message_dict.values() for m in ms]}) from None
    draft_text = (draft_text or "").replace("\r\n", "\n")
    check_draft(region.pk, on, draft_text)
    draft_name = (draft_name or "").strip()[:100] or "政策草案"
    with transaction.atomic():
        job = Job.objects.create(kind=JobKind.TRIAL, region=region, params={"trial": kind, "target": code},
                                 title=f"{TrialKind(kind).label}：{code}（{draft_name}）"[:200], created_by=user)
        trial = Trial.objects.create(region=region, job=job, kind=kind, target=code, draft_name=draft_name,
                                     draft_text=draft_text, created_by=user)
    trial.thread = jobs.run(job, mode=jobs.mode_of(background))
    return trial


@jobs.runner(JobKind.TRIAL)
def _trial_job(job: Job) -> None:
    trial = Trial.objects.get(job=job)
    jobs.report(job, 0, 1)
    try:
        data, totals = _run(trial)
    except (PolicyError, ParamsDataError) as exc:  # a draft the check let through, refused part way
        raise ValidationError({"draft": draft_error(exc)}) from None
    except BatchError:
        log.warning("trial %s: the draft's rules refused rows", trial.pk, exc_info=True)
        raise ValidationError({"draft": "按政策草案无法计算部分人员（参数取值不正确或缺少必需的参数），请核对草案"}) from None
    path = workbook_path(trial)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, path)  # whole or not at all
    with transaction.atomic():
        trial.totals = totals
        trial.save(update_fields=["totals"])
        counts = {"difference_yuan": totals["difference"], "people": totals["people"], "changed": totals["changed"]}
        jobs.finish(job, JobStatus.DONE, counts)
        record(Action.BATCH, job, region=job.region_id, detail={"kind": job.kind, "trial": trial.kind, **counts})


def _run(trial: Trial) -> tuple[bytes, dict]:
    """The workbook and the totals of a trial."""
    if trial.kind == TrialKind.REPLAY:
        from ltci.settlement import replay

        r = replay.replay(trial.region_id, date.fromisoformat(trial.target + "-01"), trial.draft_text)
        data = replay.workbook_bytes(r)
        t = r.totals()
        names = _institution_names(r.institutions)
        totals = {"booked": str(t["booked_fund"]), "draft": str(t["draft_fund"]), "difference": str(t["fund_difference"]),
                  "booked_personal": str(t["booked_personal"]), "draft_personal": str(t["draft_personal"]),
                  "people": t["people"], "changed": t["people_changed"], "source": r.source,
                  "rows": [{"name": names.get(k, "现金补助（支付给参保人）"), "booked": str(yuan(b)), "draft": str(yuan(d)),
                            "difference": str(yuan(d - b))} for k, (b, d) in sorted(r.institutions.items())],
                  "written": len(r.people)}
    else:
        from ltci.contributions import rebill
        from ltci.contributions.models import Payer

        r = rebill.rebill(trial.region_id, trial.target, trial.draft_text)
        data = rebill.workbook_bytes(r)
        t = rebill.totals(r)
        totals = {"booked": str(t["billed"]), "draft": str(t["draft"]), "difference": str(t["difference"]),
                  "people": t["billed_people"], "changed": t["changed"], "skipped": t["skipped"],
                  "rows": [{"name": Payer(p).label, "booked": str(yuan(b)), "draft": str(yuan(d)),
                            "difference": str(yuan(d - b))} for p, (b, d) in r.by_payer.items()]}
        totals["written"] = min(len(r.changed), rebill.EXCEL_ROWS)
    return data, totals


def _institution_names(institutions: dict) -> dict:
    from ltci.providers.models import Institution

    return dict(Institution.objects.filter(pk__in=[k for k in institutions if k]).values_list("pk", "name"))
