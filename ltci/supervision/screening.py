"""A month's screening: every enabled rule of the region evaluated over the month's records, the
findings stored as hits.

The rules run as Polars queries over frames read once (frames.py, rules.py); only findings become
Python objects. A finding is stored once: a re-run of the month finds it again under the same key
and adds nothing, so the nightly run and a run by hand never duplicate a hit or disturb its case.
"""

from __future__ import annotations

import json
import time
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.core import jobs
from ltci.core.models import Job, JobKind, JobStatus
from ltci.regions.models import Region
from ltci.settlement.run import parse_month_text

from . import frames, rulebase, rules
from .models import Hit, HitStatus

WRITE_BATCH = 5000
# Rules whose one finding a month sums up the month (a person's bed-days, an institution's fullest
# day, a person's requests): while nobody has taken the hit up, a later run brings its figures up to date.
SUMMING = frozenset({"bed_days_over_month", "beds_over_filed", "reassessment_frequent"})


def parse_month(text: str, *, today: date | None = None) -> date:
    """A month that has begun: the current month is screened as far as it has been recorded."""
    month = parse_month_text(text)
    today = today or timezone.localdate()
    if month > today.replace(day=1):
        raise ValidationError({"month": f"{month:%Y年%m月}尚未开始，不能筛查"})
    return month


def start_screening(region: Region | str, month_text: str, *, user=None, background: bool = False,
                    today: date | None = None) -> Job:
    region = region if isinstance(region, Region) else Region.objects.get(pk=region)
    month = parse_month(month_text, today=today)  # refuses before any job exists
    job = Job.objects.create(kind=JobKind.SCREENING, region=region, title=f"{month:%Y年%m月}疑点筛查",
                             params={"month": f"{month:%Y-%m}", **({"today": today.isoformat()} if today else {})},
                             created_by=user, total=100)
    job.thread = jobs.run(job, mode=jobs.mode_of(background))
    return job


@jobs.runner(JobKind.SCREENING)
def _run(job: Job) -> None:
    today = date.fromisoformat(job.params["today"]) if job.params.get("today") else None
    screen(job.region_id, parse_month_text(job.params["month"]), job=job, today=today)


def _message(counts: dict) -> str:
    return (f"筛查上门服务 {counts['visits']:,} 条，发现疑点 {counts['hits']:,} 个，其中新增 {counts['new']:,} 个"
            if counts["hits"] else f"筛查上门服务 {counts['visits']:,} 条，未发现疑点")


def evaluate(f: frames.Frames, settings: dict[str, rulebase.Effective]) -> dict[str, "rules.pl.DataFrame"]:
    """Each enabled rule's findings over the frames, by rule code."""
    return {code: rules.RULES[code](f, s.params) for code, s in settings.items() if s.enabled and s.rule.screened}


def screen(region: str, month: date, *, job: Job | None = None, today: date | None = None) -> dict:
    """Screens one month of a region; returns counts: visits screened, hits found, new ones stored, by rule."""
    started = time.monotonic()
    first, last = frames.month_bounds(month)
    settings = rulebase.effective(region, last)
    report = (lambda done, total=100: jobs.report(job, done, total)) if job else (lambda *a: None)
    report(5)
    f = frames.read(region, month, today=today or timezone.localdate())
    read_at = time.monotonic()
    report(50)
    found = evaluate(f, settings)
    rules_at = time.monotonic()
    report(80)
    counts = {"visits": f.visits.height, "hits": 0, "new": 0}
    with transaction.atomic():
        known = set(Hit.objects.filter(region_id=region, month=first).values_list("rule", "key"))
        open_sums = {(h.rule, h.key): h for h in Hit.objects.filter(region_id=region, month=first, rule__in=SUMMING,
                                                                     status=HitStatus.NEW, case__isnull=True)}
        new, refreshed = [], []
        for code, frame in found.items():
            s = settings[code]
            counts[code] = frame.height
            counts["hits"] += frame.height
            for row in frame.iter_rows(named=True):
                if (code, row["key"]) in known:
                    hit = open_sums.get((code, row["key"]))
                    detail, records = json.loads(row["detail"]), json.loads(row["records"])
                    if hit is not None and (hit.detail, hit.records) != (detail, records):
                        hit.detail, hit.records, hit.day = detail, records, row["day"]
                        refreshed.append(hit)
                    continue
                known.add((code, row["key"]))
                new.append(Hit(region_id=region, month=first, rule=code, severity=s.severity, key=row["key"][:120],
                               day=row["day"], person_id=row["person_id"], institution_id=row["institution_id"],
                               carer_id=row["carer_id"], records=json.loads(row["records"]),
                               detail=json.loads(row["detail"]), params=s.params, job=job))
        Hit.objects.bulk_create(new, batch_size=WRITE_BATCH, ignore_conflicts=True)
        Hit.objects.bulk_update(refreshed, ["detail", "records", "day"], batch_size=WRITE_BATCH)
        counts["new"] = len(new)
        if refreshed:
            counts["refreshed"] = len(refreshed)
        counts["seconds"] = round(time.monotonic() - started, 1)
        counts["timing"] = (f"读取 {read_at - started:.1f} · 规则 {rules_at - read_at:.1f} · "
                            f"写入 {time.monotonic() - rules_at:.1f}")
        report(100)
        if job is not None:  # the hits, the job's end and its audit event are committed together
            jobs.finish(job, JobStatus.DONE, counts, _message(counts))
            record(Action.BATCH, job, region=region, detail={"kind": job.kind, "month": f"{first:%Y-%m}", **counts})
    return counts
