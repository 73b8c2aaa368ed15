"""Long work as tasks kept in the database: a page queues it, a worker runs it as the person who
started it, progress is read from the database by any process, and a job whose worker died is
retried once or marked failed with the reason, never left running."""

import socket
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ltci.accounts.roles import Role
from ltci.audit.models import Action, AuditEvent
from ltci.contributions.models import Bill
from ltci.core import jobs, worker
from ltci.core.models import Job, JobKind, JobProgress, JobStatus, WorkerBeat


def _run_worker() -> None:
    """`ltci worker --batch`. The test database is SQLite in memory with a shared cache, where a
    statement another thread left open (the live server's, after the browser tests) answers the
    worker's BEGIN EXCLUSIVE "table is locked" at once, where a database file waits its busy
    timeout: wait as that would, up to 5 s."""
    from django.db import OperationalError

    for attempt in range(50):
        try:
            return worker.run(batch=True, interval=0)
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.1)


@pytest.fixture
def queued(settings):
    settings.JOBS_IN_BACKGROUND = True  # as served: pages queue work for a worker


def test_a_page_queues_the_billing_and_a_worker_runs_it_as_the_clerk(transactional_db, world, queued, client_for):
    clerk = world["home"].users[Role.CLERK]
    client = client_for(clerk)
    response = client.post("/contributions/billing/", {"period": "2025"})
    job = Job.objects.get(kind=JobKind.BILLING)
    assert response.url == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.PENDING and not Bill.objects.exists()  # nothing ran in the web request
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    assert "排队中" in client.get(f"/jobs/{job.pk}/").content.decode()

    _run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.DONE and Bill.objects.filter(person__region=world["home"].region).exists()
    event = AuditEvent.objects.get(action=Action.BATCH, object_id=str(job.pk))
    assert event.actor_id == clerk.pk and event.channel == "web"  # the clerk, from the page, not the worker
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert not WorkerBeat.objects.exists() and not JobProgress.objects.exists()  # a clean exit leaves nothing


def test_progress_written_by_a_worker_is_what_another_process_reads(db, world):
    job = Job.objects.create(kind=JobKind.BILLING, region=world["home"].region, title="2025年缴费核定",
                             status=JobStatus.RUNNING, total=10)
    JobProgress.objects.create(job_id=job.pk, done=4, total=10, updated_at=timezone.now())
    assert jobs.progress(job) == (4, 10)  # nothing of it in this process's memory
    job.refresh_from_db()
    jobs.finish(job, JobStatus.DONE, {})
    assert (job.done, job.total) == (4, 10) and not JobProgress.objects.exists()


def test_outside_a_transaction_progress_goes_to_the_database_at_once(transactional_db, world, monkeypatch):
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 0)
    job = Job.objects.create(kind=JobKind.BILLING, region=world["home"].region, title="t", total=100)
    jobs.report(job, 30, 100)
    assert JobProgress.objects.values_list("done", "total").get(job_id=job.pk) == (30, 100)


def _worker_elsewhere(job: Job, *, silent_for: timedelta) -> None:
    owner = "another-host:4242:1"
    WorkerBeat.objects.update_or_create(worker=owner, defaults={
        "started_at": timezone.now() - timedelta(hours=1), "seen_at": timezone.now() - silent_for, "job_id": job.pk})
    Job.objects.filter(pk=job.pk).update(owner=owner, status=JobStatus.RUNNING)


def test_a_billing_whose_worker_died_is_queued_again_once_then_run(transactional_db, world, queued):
    from ltci.contributions.billing import start_billing

    job = start_billing(world["home"].region, "2025", background=True)
    DBTaskResult.objects.all().delete()  # the dead worker had claimed its task
    _worker_elsewhere(job, silent_for=timedelta(minutes=5))
    assert [j.pk for j in jobs.recover()] == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and job.params["attempt"] == 2 and "重新排队" in job.message
    _run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    # Dying a second time fails it, with the reason.
    again = start_billing(world["home"].region, "2026", background=True)
    DBTaskResult.objects.all().delete()
    Job.objects.filter(pk=again.pk).update(params={**again.params, "attempt": 2})
    _worker_elsewhere(again, silent_for=timedelta(minutes=5))
    jobs.recover()
    again.refresh_from_db()
    assert again.status == JobStatus.FAILED and "处理进程意外中止" in again.message and again.finished_at


def test_a_job_of_a_worker_elsewhere_that_still_beats_is_left_alone(db, world):
    job = Job.objects.create(kind=JobKind.BILLING, region=world["home"].region, title="t")
    _worker_elsewhere(job, silent_for=timedelta(seconds=10))
    assert jobs.recover() == [] and Job.objects.get(pk=job.pk).status == JobStatus.RUNNING
    assert jobs.process_alive(f"{socket.gethostname()}:999999999:1") is False


def test_the_command_runs_the_queue_and_exits_in_batch_mode(transactional_db, world, queued):
    from django.core.management import call_command

    from ltci.supervision.screening import start_screening

    job = start_screening(world["home"].region, "2025-03", background=True)
    assert Job.objects.get(pk=job.pk).status == JobStatus.PENDING
    call_command("worker", "--batch", "--interval", "0")
    assert Job.objects.get(pk=job.pk).status == JobStatus.DONE


def test_a_queued_job_says_when_no_worker_runs_to_take_it(db, world, queued, client_for):
    from ltci.contributions.billing import start_billing

    job = start_billing(world["home"].region, "2025", background=True)
    client = client_for(world["home"].users[Role.CLERK])
    assert "后台处理进程未在运行" in client.get(f"/jobs/{job.pk}/").content.decode()
    WorkerBeat.objects.create(worker="h:1:1", started_at=timezone.now(), seen_at=timezone.now())
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "排队中" in page and "后台处理进程未在运行" not in page
