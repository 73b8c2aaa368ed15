"""The facts a month was settled on, kept beside the database as Parquet files (one per frame of
`compute.Frames`) by each settlement run: a replay of the month under a draft policy (replay.py)
reads them in a fraction of a second instead of reading the month's visits again (18.8 s of 23 s
for a Jiaxing month on SQLite), and compares the draft with what those very facts booked.

Only the latest finished run's facts are used: a run that failed, or a database restored without
the files, falls back to reading the database (the same figures while the month's facts are
unchanged). They are derived data, rebuilt by the next run of the month (docs/decisions/0030)."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import polars as pl
from django.conf import settings

from ltci.core.models import Job, JobKind, JobStatus

from .compute import Frames

FIELDS = tuple(f.name for f in dataclasses.fields(Frames))


def folder(region: str, month: date) -> Path:
    return Path(settings.SETTLEMENT_FACTS_DIR) / region / f"{month:%Y-%m}"


def keep(job_id: int, region: str, month: date, frames: Frames) -> None:
    """Writes the run's facts beside the earlier run's, then puts them in its place."""
    target = folder(region, month)
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = target.with_name(f"{target.name}.job-{job_id}")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    for name in FIELDS:
        getattr(frames, name).write_parquet(fresh / f"{name}.parquet")
    (fresh / "job").write_text(str(job_id), encoding="ascii")
    old = target.with_name(f"{target.name}.old-{job_id}")
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def kept(region: str, month: date) -> Frames | None:
    """The facts of the month's latest finished settlement run, if they are on this machine."""
    latest = (Job.objects.filter(kind=JobKind.SETTLEMENT, region_id=region, params__month=f"{month:%Y-%m}",
                                 status=JobStatus.DONE).order_by("-id").values_list("pk", flat=True).first())
    where = folder(region, month)
    try:
        if latest is None or (where / "job").read_text(encoding="ascii") != str(latest):
            return None
        return Frames(**{name: pl.read_parquet(where / f"{name}.parquet") for name in FIELDS})
    except OSError:
        return None
