"""The worker process (`ltci worker`): runs the queued tasks one at a time, says every few seconds that
it is alive, recovers the jobs of processes that died, and starts what the schedule says is due.

Several workers may run, on one host or several: a task is claimed by one of them (the task
backend's row lock), a scheduled run by one per due time (`ltci.core.schedule`)."""

from __future__ import annotations

import logging
import threading

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from . import jobs
from .models import WorkerBeat

log = logging.getLogger(__name__)
BEAT_EVERY = 5.0  # seconds between heartbeats
SWEEP_EVERY = 12  # beats between two looks for dead processes' jobs and for due scheduled runs


def beat(worker: str, *, started_at=None) -> None:
    now = timezone.now()
    updated = WorkerBeat.objects.filter(worker=worker).update(seen_at=now)
    if not updated:
        WorkerBeat.objects.create(worker=worker, started_at=started_at or now, seen_at=now)


def sweep() -> None:
    """What any worker does now and then: finish or fail dead processes' jobs, start due scheduled runs."""
    from . import schedule

    for job in jobs.recover():
        log.warning("job %s of a process that died: %s %s", job.pk, job.get_status_display(), job.message)
    schedule.run_due()


class Heartbeat(threading.Thread):
    def __init__(self, worker: str):
        super().__init__(name="ltci-worker-heartbeat", daemon=True)
        self.worker, self.stop = worker, threading.Event()
        self.started_at = timezone.now()

    def run(self):
        n = 0
        while not self.stop.is_set():
            close_old_connections()
            try:
                beat(self.worker, started_at=self.started_at)
                if n % SWEEP_EVERY == 0:
                    sweep()
            except DatabaseError:  # a busy database (SQLite's writer): the next beat tries again
                log.warning("worker heartbeat not written", exc_info=True)
            except Exception:  # a failing sweep must not stop the heartbeat
                log.exception("worker sweep failed")
            n += 1
            self.stop.wait(BEAT_EVERY)
        connection.close()


def run(*, interval: float = 1.0, batch: bool = False, max_tasks: int | None = None) -> None:
    """Runs until stopped (SIGINT or SIGTERM end the task in hand first), or, with `batch`, until
    nothing is queued."""
    me = jobs.this_process()
    heart = Heartbeat(me)
    beat(me, started_at=heart.started_at)
    sweep()
    heart.start()
    worker = Worker(queue_names=["default"], interval=interval, batch=batch, backend_name="default",
                    startup_delay=not batch, max_tasks=max_tasks, worker_id=me[:64], excluded_queue_names=[])
    worker.configure_signals()
    try:
        worker.run()
    finally:
        worker.reset_signals()
        heart.stop.set()
        heart.join(timeout=BEAT_EVERY + 1)
        WorkerBeat.objects.filter(worker=me).delete()
