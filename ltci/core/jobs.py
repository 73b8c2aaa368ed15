"""Running long work (imports, billing) and showing its progress while it runs.

The work runs in one database transaction, so its progress cannot be read from the database by
the page that polls it: it is kept here, in the serving process, and in the Job row once done.
Pages start the work in a thread; commands and tests run it in the caller's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import close_old_connections, connection, connections
from django.utils import timezone

from .context import Actor, acting, current_actor
from .models import Job, JobStatus

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


def run(job: Job, work: Callable[[Job], None], *, background: bool = False) -> threading.Thread | None:
    """Runs `work(job)`; in a thread (returned) when `background`, acting as the current actor either way."""
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
    except Exception as exc:  # the job's row must say it failed; the error goes to the log too
        finish(job, JobStatus.FAILED, job.counts, f"处理失败：{exc}")
        raise
