"""The facts a month was settled on, kept beside the database as Parquet files (one per frame of
`compute.Frames`) by each settlement run: a replay of the month under a draft policy (replay.py)
reads them in a fraction of a second instead of reading the month's visits again (18.8 s of 23 s
for a Jiaxing month on SQLite), and compares the draft with what those very facts booked.

Only the latest finished run's facts are used: a run that failed, or a database restored without
the files, falls back to reading the database (the same figures while the month's facts are
unchanged). They are derived data, rebuilt by the next run of the month (docs/decisions/0030)."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from datetime import date
from pathlib import Path

import polars as pl
from django.conf import settings

from ltci.core.models import Job, JobKind, JobStatus

from .compute import Frames

FIELDS = tuple(f.name for f in dataclasses.fields(Frames))
log = logging.getLogger(__name__)


def folder(region: str, month: date, job_id: int) -> Path:
    return Path(settings.SETTLEMENT_FACTS_DIR) / region / f"{month:%Y-%m}" / f"job-{job_id}"


def keep(job_id: int, region: str, month: date, frames: Frames) -> None:
    """Writes a finished run's facts in a folder of its own (complete before it has its name), then
    removes the month's earlier runs' folders. A failure to write is logged and leaves the month to
    be replayed from the database: it never fails the settlement."""
    target = folder(region, month, job_id)
    partial = target.with_name(f"{target.name}.part")
    try:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for name in FIELDS:
            getattr(frames, name).write_parquet(partial / f"{name}.parquet")
        partial.rename(target)
        for other in target.parent.iterdir():
            if other != target:
                shutil.rmtree(other, ignore_errors=True)
    except OSError:
        log.warning("settlement facts of %s %s (job %s) not kept", region, f"{month:%Y-%m}", job_id, exc_info=True)
        shutil.rmtree(partial, ignore_errors=True)


def kept(region: str, month: date) -> Frames | None:
    """The facts of the month's latest finished settlement run, if they are on this machine."""
    latest = (Job.objects.filter(kind=JobKind.SETTLEMENT, region_id=region, params__month=f"{month:%Y-%m}",
                                 status=JobStatus.DONE).order_by("-id").values_list("pk", flat=True).first())
    if latest is None:
        return None
    where = folder(region, month, latest)
    try:
        return Frames(**{name: pl.read_parquet(where / f"{name}.parquet") for name in FIELDS})
    except OSError:
        return None
