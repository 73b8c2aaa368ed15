"""The frame of every file import: rows in chunks, checked first, then written; strict or lenient; a report.

Two passes. The first reads the file and checks every row against the database without writing to
it (it holds no lock: logins and other writes go on), staging the changes each chunk will make and
the report lines in the job's folder. Strict mode with a rejected row, or a dry run, stops there:
nothing was written. Otherwise the second pass writes the staged changes chunk by chunk: on
PostgreSQL in one transaction; on SQLite each chunk commits on its own with the count of chunks
written, so the one writer's lock is held a chunk at a time. A process that dies while writing
leaves a job that the next start finishes from the staged changes (`recover`): what was checked is
written, all of it, once. Finishing the job and its audit event are one transaction.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ltci.audit.models import Action
from ltci.audit.recorder import record

from . import jobs
from .errors import reasons
from .models import IssueKind, Job, JobIssue, JobKind, JobStatus
from .stage import Stage, dumps
from .tabular import Column, cell_problem, read_table

CHUNK = 2000
WRITE_SLICE = 0.25  # seconds of writing per transaction while an import writes its checked changes
ISSUE_BATCH = 5000

# The module of each import kind, with its `apply(job, changes)`: what finishes a job after a restart.
APPLIERS = {JobKind.ROSTER_IMPORT: "ltci.enrolment.roster", JobKind.PAYMENT_IMPORT: "ltci.contributions.payments"}


class Conflict(ValidationError):
    """The register changed between the check and the write in a way the write must not overwrite."""


CONFLICT = ("写入时发现文件中的人员或参保登记在检查之后已被他人变更，为免覆盖，其余未导入；"
            "请重新导入同一文件（已导入的不会重复）")


class RowRejected(Exception):
    """A row that cannot be taken: the column (its code) and the reason, in Chinese."""

    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column, self.reason = column, reason


class Report:
    """Counts and report lines of one import; the lines go to a file, never all into memory."""

    def __init__(self, labels: dict[str, str], path: Path):
        self.labels = labels  # column code → Chinese header
        self.path = path
        self.file = path.open("a", encoding="utf-8")
        self.counts = {"rows": 0, "accepted": 0, "updated": 0, "unchanged": 0, "rejected": 0}

    def add(self, kind: str, row: int | None, column: str, reason: str, person_id: int | None = None) -> None:
        self.file.write(json.dumps([kind, row, self.labels.get(column, column), reason[:300], person_id],
                                   ensure_ascii=False) + "\n")

    def reject(self, row: int, column: str, reason: str) -> None:
        self.counts["rejected"] += 1
        self.add(IssueKind.REJECTED, row, column, reason)

    def close(self) -> None:
        self.file.close()


def save_issues(job: Job, path: Path) -> None:
    """The report's lines as the job's issues, a batch per transaction (no long lock on SQLite);
    a resumed job first drops what an earlier attempt saved."""
    JobIssue.objects.filter(job=job).delete()
    with path.open(encoding="utf-8") as fh:
        batch = []
        for line in fh:
            kind, row, column, reason, person_id = json.loads(line)
            batch.append(JobIssue(job=job, kind=kind, row=row, column=column, reason=reason, person_id=person_id))
            if len(batch) == ISSUE_BATCH:
                JobIssue.objects.bulk_create(batch)
                batch = []
        JobIssue.objects.bulk_create(batch)


def import_file(job: Job, path: Path, columns: tuple[Column, ...], plan: Callable[[list, Report], object],
                apply: Callable[[Job, object], None], *, strict: bool, dry_run: bool,
                after: Callable[[Report], None] | None = None) -> Job:
    """Checks `path` chunk by chunk with `plan(chunk, report)`, which reads the database and returns
    the chunk's changes; then, unless nothing may be kept, writes them with `apply(job, changes)`."""
    stage = Stage(job.pk).create()
    report = Report({c.key: c.header for c in columns}, stage.report_path)
    try:
        return _check_then_write(job, stage, report, path, columns, plan, apply, strict=strict, dry_run=dry_run,
                                 after=after)
    except Exception:  # the job fails (ltci.core.jobs.failed): nothing it checked stays on disk (names, ID
        report.close()  # numbers). A process that is killed or interrupted keeps them, for the next start.
        stage.discard()
        raise


def _check_then_write(job, stage, report, path, columns, plan, apply, *, strict, dry_run, after) -> Job:
    try:
        with stage.writer() as out:
            chunk = []
            for number, values in read_table(path, columns):
                chunk.append((number, values))
                if len(chunk) == CHUNK:
                    _plan(job, plan, chunk, report, out)
                    chunk = []
            _plan(job, plan, chunk, report, out)
        if report.counts["rows"] == 0:
            raise ValidationError({"file": "文件中没有数据行（只有表头）"})
        if after:
            after(report)
    except ValidationError as exc:  # the file as a whole cannot be read (type, header, encoding, empty)
        report.close()
        with transaction.atomic():
            jobs.finish(job, JobStatus.FAILED, report.counts, reasons(exc))
            record(Action.IMPORT, job, region=job.region_id, detail={"kind": job.kind, "status": JobStatus.FAILED})
        return job
    report.close()
    rejected = report.counts["rejected"]
    if dry_run or (strict and rejected):
        status, note = ((JobStatus.DRY_RUN, f"试导入：未保存任何数据（{rejected} 行有错误）") if dry_run else
                        (JobStatus.REJECTED, f"严格模式：有 {rejected} 行错误，未导入任何数据"))
        save_issues(job, stage.report_path)
        with transaction.atomic():
            jobs.finish(job, status, report.counts, note)
            record(Action.IMPORT, job, region=job.region_id, detail={"kind": job.kind, "status": status, **report.counts})
        stage.discard()
        return job
    # Checked: from here on the job is written to the end, if need be by the next start.
    jobs.mark(job, counts=report.counts, phase="apply", applied=0, strict=strict)
    return write_staged(job, apply)


def _plan(job: Job, plan, chunk: list, report: Report, out) -> None:
    if chunk:
        report.counts["rows"] += len(chunk)
        clean = []
        for number, values in chunk:
            problem = cell_problem(values)
            if problem:
                report.reject(number, *problem)
            else:
                clean.append((number, values))
        out.write(dumps(plan(clean, report)) + "\n")
        jobs.report(job, report.counts["rows"])


def write_staged(job: Job, apply: Callable[[Job, object], None]) -> Job:
    """Writes a checked import's staged changes from the first chunk not yet written, then its report,
    and finishes the job with its audit event in one transaction."""
    stage = Stage(job.pk)
    try:
        job = _write(job, stage, apply)
    except IntegrityError as exc:  # someone registered one of the file's people meanwhile
        stage.discard()
        raise Conflict(CONFLICT) from exc
    except Exception:
        stage.discard()
        raise
    stage.discard()
    return job


def _write(job: Job, stage: Stage, apply) -> Job:
    counts = job.counts
    chunks = stage.chunks(start=job.params.get("applied", 0))
    with jobs.chunked_writes():
        while True:
            # As many chunks per transaction as fit in a short slice: few commits, a short lock on SQLite.
            with transaction.atomic():
                started, index = time.monotonic(), None
                for index, changes in chunks:
                    apply(job, changes)
                    if time.monotonic() - started > WRITE_SLICE:
                        break
                if index is None:
                    break
                jobs.mark(job, applied=index + 1, kept=f"已写入前 {(index + 1) * CHUNK:,} 行中通过检查的部分")
            jobs.report(job, min((index + 1) * CHUNK, counts["rows"]), counts["rows"])
        save_issues(job, stage.report_path)
        rejected = counts["rejected"]
        note = f"宽松模式：已导入正确的行，跳过 {rejected} 行错误" if rejected else "全部导入"
        with transaction.atomic():
            jobs.finish(job, JobStatus.DONE, counts, note)
            record(Action.IMPORT, job, region=job.region_id, detail={"kind": job.kind, "status": JobStatus.DONE, **counts})
    return job


def _recover(job: Job) -> bool:
    """A checked import whose process died while writing is written to its end from its staged
    changes (in the background when a page or the server found it, as any long work)."""
    if job.params.get("phase") != "apply" or not Stage(job.pk).exists():
        return False
    jobs.run(job, mode=jobs.mode_of(settings.JOBS_IN_BACKGROUND), resume=True)
    return True


def _resume(job: Job) -> None:
    write_staged(job, importlib.import_module(APPLIERS[job.kind]).apply)


for _kind in APPLIERS:
    jobs.RECOVERERS[_kind] = _recover
    jobs.RESUMERS[_kind] = _resume
