"""Running long work (imports, billing, settlement, screening) and showing its progress while it runs.

Progress is kept here, in the serving process, and in the Job row once done. Pages start the work
in a thread; commands and tests run it in the caller's thread. Each job names the process that runs
it, so that a later start can tell a job whose process died from one still running: such a job is
finished from its staged changes where it has them (an import that was writing), and otherwise
marked failed with the reason, on the trail (`recover`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from contextlib import nullcontext

from django.db import close_old_connections, connection, connections, transaction
from django.utils import timezone

from .context import Actor, acting, current_actor
from .models import Job, JobStatus

log = logging.getLogger(__name__)

_progress: dict[int, tuple[int, int | None]] = {}
_lock = threading.Lock()


def report(job: Job, done: int, total: int | None = None) -> None:
    """Records progress; called once per chunk of long work."""
    with _lock:
        _progress[job.pk] = (done, total if total is not None else job.total)
    # With DEBUG on (LTCI_DEBUG=1), Django keeps the last 9,000 queries' SQL: with thousands of parameters each,
    # that alone would take a gigabyte during a city-sized import.
    connection.queries_log.clear()


def progress(job: Job) -> tuple[int, int | None]:
    """(done, total) of a job: live while it runs here, from its row once finished."""
    with _lock:
        live = _progress.get(job.pk)
    return live if live is not None and job.finished_at is None else (job.done, job.total)


def finish(job: Job, status: str, counts: dict, message: str = "") -> Job:
    done, total = progress(job)
    job.status, job.counts, job.message = status, counts, message
    job.done, job.total = done, total if total is not None else done
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "counts", "message", "done", "total", "finished_at"])
    with _lock:
        _progress.pop(job.pk, None)
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


def process_alive(owner: str) -> bool:
    """Whether the process named by `owner` still runs. When it cannot be told (another host, whose
    own next start judges it; no /proc to read), the job is taken to run: never recovered twice."""
    host, _, rest = owner.partition(":")
    pid, _, ticks = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return host != socket.gethostname()
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    now = _start_ticks(int(pid))
    return not (now and ticks and now != ticks)  # a pid reused by a later process: the job's is gone


def run(job: Job, work: Callable[[Job], None], *, background: bool = False) -> threading.Thread | None:
    """Runs `work(job)`; in a thread (returned) when `background`, acting as the current actor either way."""
    job.owner = this_process()
    Job.objects.filter(pk=job.pk).update(owner=job.owner)
    actor = current_actor()
    if not background:
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
