"""The frame of every file import: rows in chunks, one transaction, strict or lenient, a report.

Strict mode keeps nothing when a row is rejected; lenient mode keeps the good rows; a dry run keeps
nothing. Report lines are spooled to disk while the transaction runs (they must survive its
rollback, and a file of millions of bad rows must not fill memory), then saved with the job.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from ltci.audit.models import Action
from ltci.audit.recorder import record

from . import jobs
from .errors import reasons
from .models import IssueKind, Job, JobIssue, JobStatus
from .tabular import Column, read_table

CHUNK = 2000


class RowRejected(Exception):
    """A row that cannot be taken: the column (its code) and the reason, in Chinese."""

    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column, self.reason = column, reason


class Report:
    """Counts and report lines of one import."""

    def __init__(self, labels: dict[str, str]):
        self.labels = labels  # column code → Chinese header
        self.file = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.counts = {"rows": 0, "accepted": 0, "updated": 0, "unchanged": 0, "rejected": 0}

    def add(self, kind: str, row: int | None, column: str, reason: str, person_id: int | None = None) -> None:
        self.file.write(json.dumps([kind, row, self.labels.get(column, column), reason[:300], person_id],
                                   ensure_ascii=False) + "\n")

    def reject(self, row: int, column: str, reason: str) -> None:
        self.counts["rejected"] += 1
        self.add(IssueKind.REJECTED, row, column, reason)

    def save(self, job: Job) -> None:
        self.file.seek(0)
        batch = []
        for line in self.file:
            kind, row, column, reason, person_id = json.loads(line)
            batch.append(JobIssue(job=job, kind=kind, row=row, column=column, reason=reason, person_id=person_id))
            if len(batch) == 5000:
                JobIssue.objects.bulk_create(batch)
                batch = []
        JobIssue.objects.bulk_create(batch)
        self.file.close()


class _Rollback(Exception):
    pass


def import_file(job: Job, path: Path, columns: tuple[Column, ...], handle: Callable[[list, Report], None], *,
                strict: bool, dry_run: bool, after: Callable[[Report], None] | None = None) -> Job:
    """Reads `path` in chunks and passes each to `handle(chunk, report)` inside one transaction."""
    report = Report({c.key: c.header for c in columns})
    try:
        with transaction.atomic():
            chunk = []
            for number, values in read_table(path, columns):
                chunk.append((number, values))
                if len(chunk) == CHUNK:
                    _step(job, handle, chunk, report)
                    chunk = []
            _step(job, handle, chunk, report)
            if after:
                after(report)
            if dry_run or (strict and report.counts["rejected"]):
                raise _Rollback
    except _Rollback:
        pass
    except ValidationError as exc:  # the file as a whole cannot be read (type, header, encoding)
        report.file.close()
        message = reasons(exc)
        return jobs.finish(job, JobStatus.FAILED, report.counts, message)
    report.save(job)
    rejected = report.counts["rejected"]
    if dry_run:
        status, note = JobStatus.DRY_RUN, f"试导入：未保存任何数据（{rejected} 行有错误）"
    elif strict and rejected:
        status, note = JobStatus.REJECTED, f"严格模式：有 {rejected} 行错误，未导入任何数据"
    elif rejected:
        status, note = JobStatus.DONE, f"宽松模式：已导入正确的行，跳过 {rejected} 行错误"
    else:
        status, note = JobStatus.DONE, "全部导入"
    jobs.finish(job, status, report.counts, note)
    record(Action.IMPORT, job, region=job.region_id, detail={"kind": job.kind, "status": status, **report.counts})
    return job


def _step(job: Job, handle, chunk: list, report: Report) -> None:
    if chunk:
        report.counts["rows"] += len(chunk)
        handle(chunk, report)
        jobs.report(job, report.counts["rows"])
