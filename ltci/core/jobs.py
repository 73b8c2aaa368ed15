"""Running long work (imports, billing, settlement, screening) and showing its progress while it runs.

A page enqueues the work as a task kept in the database (`run(job, mode=QUEUE)`); a worker process
(`ltci worker`) runs it (`execute`). Progress is written to the database as the work goes, on a
connection of the worker's own where the work holds its transaction open (PostgreSQL), so that every
process shows the same. Commands run the work in a thread of their own process and print its
progress; tests run it inline. Each job names the process that runs it, so that a job whose process
died is told from one still running: such a job is finished from its staged changes where it has
them (an import that was writing), and otherwise marked failed with the reason, on the trail
(`recover`). Decision 0024.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import timedelta

from django.db import DatabaseError, close_old_connections, connection, connections, transaction
from django.utils import timezone

from .context import Actor, acting, current_actor
from .models import Job, JobKind, JobProgress, JobStatus, WorkerBeat

log = logging.getLogger(__name__)

INLINE, THREAD, QUEUE = "inline", "thread", "queue"  # how `run` runs a job: see the module's docstring
PROGRESS_EVERY = 0.5  # seconds between two progress writes of one job (the last one is always kept)

_progress: dict[int, tuple[int, int | None]] = {}
_written: dict[int, float] = {}
_lock = threading.Lock()
_worker = threading.local()  # set while a worker runs a job: progress goes to the database at once


def report(job: Job, done: int, total: int | None = None) -> None:
    """Records progress; called once per chunk of long work."""
    total = total if total is not None else job.total
    with _lock:
        _progress[job.pk] = (done, total)
        due = time.monotonic() - _written.get(job.pk, 0.0) >= PROGRESS_EVERY or (total is not None and done >= total)
        if due:
            _written[job.pk] = time.monotonic()
    if due:
        _store(job.pk, done, total)
    # With DEBUG on (LTCI_DEBUG=1), Django keeps the last 9,000 queries' SQL: with thousands of parameters each,
    # that alone would take a gigabyte during a city-sized import.
    connection.queries_log.clear()


def _store(job_id: int, done: int, total: int | None) -> None:
    """Writes a job's progress where other processes read it. Outside a transaction the work's own
    connection commits it at once. Inside one (PostgreSQL keeps a long write in one transaction) a
    worker writes on a second connection; SQLite has one writer, whose lock the work holds: there the
    figure waits for the work's commit, and pages show what was committed last."""
    values = {"done": done, "total": total, "updated_at": timezone.now()}
    try:
        if not connection.in_atomic_block:
            JobProgress.objects.update_or_create(job_id=job_id, defaults=values)
        elif getattr(_worker, "side", None) is not None:
            side = _worker.side
            with side.cursor() as cur:
                table = JobProgress._meta.db_table
                cur.execute(f"INSERT INTO {table} (job_id, done, total, updated_at) VALUES (%s, %s, %s, %s) "
                            "ON CONFLICT (job_id) DO UPDATE SET done = EXCLUDED.done, total = EXCLUDED.total, "
                            "updated_at = EXCLUDED.updated_at", [job_id, done, total, values["updated_at"]])
    except DatabaseError:  # progress is a courtesy: the work goes on without it
        log.warning("progress of job %s not written", job_id, exc_info=True)


def progress(job: Job) -> tuple[int, int | None]:
    """(done, total) of a job: live while it runs (in this process, or as its worker last wrote it),
    from its row once finished."""
    if job.finished_at is not None:
        return job.done, job.total
    with _lock:
        live = _progress.get(job.pk)
    if live is not None:
        return live
    row = JobProgress.objects.filter(job_id=job.pk).values_list("done", "total").first()
    return (row[0], row[1] if row[1] is not None else job.total) if row else (job.done, job.total)


def finish(job: Job, status: str, counts: dict, message: str = "") -> Job:
    done, total = progress(job)
    job.status, job.counts, job.message = status, counts, message
    job.done, job.total = done, total if total is not None else done
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "counts", "message", "done", "total", "finished_at"])
    with _lock:
        _progress.pop(job.pk, None)
        _written.pop(job.pk, None)
    JobProgress.objects.filter(job_id=job.pk).delete()
    return job


def mark(job: Job, *, counts: dict | None = None, **params) -> None:
    """Writes a job's counts and parameters (e.g. how many chunks are written) in the caller's
    transaction, so that they are committed with the work they describe."""
    job.params = {**job.params, **params}
    fields = ["params"]
    if counts is not None:
        job.counts = dict(counts)
        fields.append("counts")
    Job.objects.filter(pk=job.pk).update(**{f: getattr(job, f) for f in fields})


def chunked_writes():
    """The frame of a long write made of chunks, each in its own atomic(). On PostgreSQL, which lets
    others write meanwhile, the whole is one transaction (a chunk's atomic() is a savepoint). SQLite
    has one writer: each chunk commits on its own, so the lock is held one chunk at a time and a
    login or a carer's check-in waits at most that long; what is committed is marked on the job."""
    return nullcontext() if connection.vendor == "sqlite" else transaction.atomic()


# --- what runs a job of each kind -----------------------------------------------------------------

# The module whose import registers each kind's runner (a worker process imports it when it needs it).
RUNNER_MODULES = {
    JobKind.ROSTER_IMPORT: "ltci.enrolment.roster", JobKind.PAYMENT_IMPORT: "ltci.contributions.payments",
    JobKind.BILLING: "ltci.contributions.billing", JobKind.SETTLEMENT: "ltci.settlement.run",
    JobKind.SCREENING: "ltci.supervision.screening", JobKind.PROJECTION: "ltci.fund.projections",
    JobKind.TRIAL: "ltci.fund.trials",
}
# kind -> work(job), reading what it needs from job.params; resumers finish a job whose process died.
RUNNERS: dict[str, Callable[[Job], None]] = {}
RESUMERS: dict[str, Callable[[Job], None]] = {}


def runner(kind: str, registry: dict | None = None):
    """Registers the work of a job kind: `@jobs.runner(JobKind.BILLING) def _bill_job(job): ...`."""
    def register(work: Callable[[Job], None]):
        (RUNNERS if registry is None else registry)[kind] = work
        return work
    return register


def work_for(kind: str, *, resume: bool = False) -> Callable[[Job], None]:
    registry = RESUMERS if resume else RUNNERS
    if kind not in registry:
        importlib.import_module(RUNNER_MODULES[kind])
    return registry[kind]


# --- the process that runs a job ----------------------------------------------------------------

def _start_ticks(pid: int) -> str:
    """A process's start time in clock ticks since boot (Linux), which tells a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_start_ticks(os.getpid())}"


STALE = timedelta(minutes=2)  # a worker on another host silent this long is taken to have died


def process_alive(owner: str) -> bool:
    """Whether the process named by `owner` still runs. On this host, by its pid and start time; on
    another, by its worker's heartbeat (a page's or server's process there judges its own jobs too).
    When it cannot be told, the job is taken to run: never recovered twice."""
    host, _, rest = owner.partition(":")
    pid, _, ticks = rest.partition(":")
    if host != socket.gethostname():
        beat = WorkerBeat.objects.filter(worker=owner).values_list("seen_at", flat=True).first()
        return beat is None or timezone.now() - beat < STALE
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    now = _start_ticks(int(pid))
    return not (now and ticks and now != ticks)  # a pid reused by a later process: the job's is gone


def mode_of(background: bool | str) -> str:
    """A starter's `background` argument as a mode: True queues for a worker (pages), THREAD runs in a
    thread of this process (commands), False inline (tests, and work that is already a worker's)."""
    return QUEUE if background is True else THREAD if background == THREAD else INLINE


def run(job: Job, *, mode: str = INLINE, resume: bool = False) -> threading.Thread | None:
    """Runs the job's work: here and now (INLINE), in a thread of this process, returned (THREAD, for
    commands that print progress), or by a worker (QUEUE: the task is enqueued when the caller's
    transaction commits), acting as the current actor in every case."""
    actor = current_actor()
    if mode == QUEUE:
        from .tasks import enqueue_job

        Job.objects.filter(pk=job.pk).update(owner="")
        transaction.on_commit(lambda: enqueue_job(job.pk, actor, resume=resume))
        return None
    job.owner = this_process()
    Job.objects.filter(pk=job.pk).update(owner=job.owner)
    work = work_for(job.kind, resume=resume)
    if mode == INLINE:
        _guarded(job, work)
        return None

    def target():
        close_old_connections()
        try:
            with acting(Actor(user=actor.user, name=actor.name, ip=actor.ip, channel=actor.channel, path=actor.path)):
                _guarded(job, work)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name=f"job-{job.pk}", daemon=True)
    thread.start()
    return thread


def execute(job_id: int, actor: Actor, *, resume: bool = False) -> str:
    """A worker runs a queued job: claims it (a job finished meanwhile, or taken by another, is left),
    writes its progress on a connection of its own, and says it is running it in its heartbeat."""
    me = this_process()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.finished_at is not None:
            return "already finished"
        if job.owner and job.owner != me and process_alive(job.owner):
            return "run by another process"
        job.owner = me
        Job.objects.filter(pk=job.pk).update(owner=me)
    WorkerBeat.objects.filter(worker=me).update(job_id=job.pk)
    _worker.side = connections.create_connection("default") if connection.vendor == "postgresql" else None
    try:
        with acting(actor):
            _guarded(job, work_for(job.kind, resume=resume))
    finally:
        if _worker.side is not None:
            _worker.side.close()
        _worker.side = None
        WorkerBeat.objects.filter(worker=me).update(job_id=None)
    return "done"


def follow(job: Job, thread: threading.Thread | None, out, every: float = 1.0) -> Job:
    """For commands: prints the progress of a job running in `thread` until it ends."""
    while thread is not None and thread.is_alive():
        thread.join(every)
        done, total = progress(job)
        out.write(f"\r{job.get_kind_display()}：已处理 {done:,}" + (f" / {total:,}" if total else "") + " 行")
        out.flush()
    job.refresh_from_db()
    out.write("\n")
    return job


def _guarded(job: Job, work) -> None:
    job.status = JobStatus.RUNNING
    job.save(update_fields=["status"])
    try:
        work(job)
    except Exception as exc:  # the job says it failed, why in words and what it kept, on the trail; the error to the log
        failed(job, exc)
        raise


def failed(job: Job, exc: Exception) -> None:
    from django.core.exceptions import ValidationError

    from ltci.audit.models import Action, Outcome
    from ltci.audit.recorder import record

    from .errors import reasons
    from .imports import APPLIERS

    if not isinstance(exc, ValidationError):
        log.error("job %s (%s) failed", job.pk, job.kind, exc_info=exc)
    # What the database kept: a rolled-back transaction took its marks with it.
    job.params, job.counts = Job.objects.filter(pk=job.pk).values_list("params", "counts").get()
    why = reasons(exc) if isinstance(exc, ValidationError) else "系统错误，已记入系统日志"
    kept = job.params.get("kept") or "未保存任何数据"
    with transaction.atomic():
        finish(job, JobStatus.FAILED, job.counts, f"处理失败：{why}（{kept}）")
        record(Action.IMPORT if job.kind in APPLIERS else Action.BATCH, job, region=job.region_id,
               outcome=Outcome.FAILURE, detail={"kind": job.kind, "error": type(exc).__name__, **job.counts})


# --- jobs whose process died ----------------------------------------------------------------------

# How a job of each kind is finished or described after its process died: a function (job) -> bool,
# True when it finished the job itself. Apps register theirs (ltci.core.imports for the imports).
RECOVERERS: dict[str, Callable[[Job], bool]] = {}

ABANDONED = ("处理进程意外中止（服务重启或进程被终止），{kept}。")


def checked(job: Job) -> Job:
    """The job as it stands; one shown running whose process died is first finished or failed."""
    if job.finished_at is None and job.owner and not process_alive(job.owner):
        recover(Job.objects.filter(pk=job.pk))
        job.refresh_from_db()
    return job


def orphans(jobs=None):
    """Unfinished jobs (of `jobs`, or all) whose process is gone (a job is given its process before
    it runs: `run`)."""
    jobs = Job.objects.all() if jobs is None else jobs
    for job in (jobs.filter(finished_at__isnull=True, status__in=[JobStatus.PENDING, JobStatus.RUNNING])
                .exclude(owner="")):
        if not process_alive(job.owner):
            yield job


RECOVERY = Actor(name="任务恢复（系统）", channel="cli")  # whoever's page found the job, the platform finishes it


def recover(jobs=None) -> list[Job]:
    """Finishes or fails every job (of `jobs`, or all) whose process died; returns them. Called when
    the platform starts serving, and for one job when its page is read; the trail names the
    platform, not the reader."""
    with acting(RECOVERY):
        return _recover(jobs)


def _recover(jobs) -> list[Job]:
    from ltci.audit.models import Action, Outcome
    from ltci.audit.recorder import record

    from . import imports  # noqa: F401  (registers how an import is finished)

    handled = []
    for job in orphans(jobs):
        with transaction.atomic():
            claimed = Job.objects.select_for_update().filter(pk=job.pk, owner=job.owner, finished_at__isnull=True)
            if not claimed.update(owner=this_process()):
                continue  # another process took it meanwhile
        job.owner = this_process()
        recoverer = RECOVERERS.get(job.kind)
        try:
            if recoverer is not None and recoverer(job):
                handled.append(job)
                continue
            if _retried(job, record, Action):
                handled.append(job)
                continue
        except Exception:  # recovery itself failed: the job is marked failed below, with the reason logged
            log.exception("recovering job %s failed", job.pk)
        kept = job.params.get("kept") or "未保存任何数据"
        from .stage import Stage

        Stage(job.pk).discard()  # what it had checked goes with it (names and ID numbers)
        with transaction.atomic():
            finish(job, JobStatus.FAILED, job.counts, ABANDONED.format(kept=kept))
            record(Action.IMPORT if job.kind in imports.APPLIERS else Action.BATCH, job,
                   region=job.region_id, outcome=Outcome.FAILURE,
                   detail={"kind": job.kind, "abandoned": True, **job.counts})
        handled.append(job)
    return handled


# Kinds whose work can start over after its process died: what it wrote is kept or rolled back whole,
# and a second run adds nothing twice (billing adjusts, settlement and screening are idempotent).
RETRIED = frozenset({JobKind.BILLING, JobKind.SETTLEMENT, JobKind.SCREENING})
ATTEMPTS = 2


def _retried(job: Job, record, Action) -> bool:
    """Queues a job of a kind that can start over once more, when workers run jobs; False otherwise."""
    from django.conf import settings

    attempt = int(job.params.get("attempt", 1))
    if job.kind not in RETRIED or attempt >= ATTEMPTS or not settings.JOBS_IN_BACKGROUND:
        return False
    job.params = {**job.params, "attempt": attempt + 1}
    job.status, job.message = JobStatus.PENDING, f"处理进程意外中止，已重新排队（第 {attempt + 1} 次）"
    job.save(update_fields=["params", "status", "message"])
    JobProgress.objects.filter(job_id=job.pk).delete()
    record(Action.BATCH, job, region=job.region_id, detail={"kind": job.kind, "retried": attempt + 1})
    run(job, mode=QUEUE)
    return True
