"""A real worker process killed (SIGKILL) in the middle of an import: the job is not left running.
The next process that looks finishes it from its staged changes or fails it with the reason, and a
worker then completes it; the register holds each person once. PostgreSQL: the worker is a separate
process on the test database, which the SQLite suite keeps in memory."""

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from ltci.core import jobs, worker
from ltci.core.models import Job, JobProgress, JobStatus
from ltci.enrolment import roster
from ltci.enrolment.models import Person

from ..enrolment.test_roster import row, write_csv
from .test_serve_processes import _database_url

ROWS = 20_000


def test_a_worker_killed_mid_import_leaves_no_job_running_and_the_import_completes_once(transactional_db, world,
                                                                                          tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process on the test database: PostgreSQL")
    settings.JOBS_IN_BACKGROUND = True
    region = world["home"].region
    rows = [row(n % 400 + 1, birth=date(1940, 1, 1) + timedelta(days=n // 400)) for n in range(ROWS)]
    path = write_csv(tmp_path / "roster.csv", rows)
    before = Person.objects.count()
    job = roster.start_import(path, region, background=True)
    env = {**os.environ, "DATABASE_URL": _database_url(), "LTCI_LOG_FORMAT": "plain"}
    proc = subprocess.Popen([sys.executable, "-m", "ltci.cli", "worker", "--interval", "0.2"],
                            cwd=Path(django_settings.BASE_DIR), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # killed once the work is under way, its progress written
            if JobProgress.objects.filter(job_id=job.pk, done__gt=0).exists():
                break
            assert Job.objects.get(pk=job.pk).finished_at is None, "the import ended before it could be killed"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.finished_at is None  # as the dead worker left it

    assert [j.pk for j in jobs.recover()] == [job.pk]  # another process looks: not left running
    job.refresh_from_db()
    if job.status == JobStatus.FAILED:  # killed while checking: nothing written, and it says so
        assert "处理进程意外中止" in job.message and Person.objects.count() == before
        return
    worker.run(batch=True, interval=0)  # killed while writing: queued to be written to its end
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.counts["accepted"] == ROWS
    assert Person.objects.count() == before + ROWS
