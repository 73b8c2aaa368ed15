"""Writers at the same time leave one valid chain; a transaction holding events makes no other writer
wait (PostgreSQL); the migration chains the events recorded before the chain existed.

Threads share a committed copy of the test database (tests/settlement: `database_copy`), on SQLite
a file (whose writers queue, as in production) and on PostgreSQL a database made from the test one."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from ltci.audit import chain, triggers
from ltci.audit.models import Action, AuditEvent
from ltci.audit.recorder import record
from tests.settlement.test_invariants import database_copy  # noqa: F401  (the fixture)

from .conftest import POSTGRESQL

WRITERS, TRANSACTIONS, EVENTS = 6, 12, 4


class Rollback(Exception):
    pass


def in_threads(target, n: int, timeout: float = 120) -> list[Exception]:
    errors = []

    def run(i):
        try:
            target(i)
        except Exception as exc:  # noqa: BLE001 (asserted by the caller)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), name=f"writer-{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_leave_one_valid_chain(database_copy):  # noqa: F811
    before = AuditEvent.objects.count()
    start = threading.Barrier(WRITERS, timeout=60)

    def writer(n):
        start.wait()
        for t in range(TRANSACTIONS):
            with transaction.atomic():
                for k in range(EVENTS):
                    record(Action.LOGIN, object_type_="test.writer", object_id=f"{n}-{t}-{k}", actor_name=f"writer-{n}")
                if t % 4 == 3:  # a savepoint rolled back: its event never takes a place
                    try:
                        with transaction.atomic():
                            record(Action.LOGIN, actor_name="rolled back")
                            raise Rollback
                    except Rollback:
                        pass
            record(Action.LOGOUT, object_type_="test.writer", object_id=f"{n}-{t}", actor_name=f"writer-{n}")

    assert not in_threads(writer, WRITERS)
    verdict = chain.verify()
    assert verdict.ok, verdict.problems
    written = WRITERS * TRANSACTIONS * (EVENTS + 1)
    assert verdict.events == AuditEvent.objects.count() == before + written
    assert verdict.sealed == 0  # every transaction sealed its own events as it committed
    assert not AuditEvent.objects.filter(actor_name="rolled back").exists()
    assert not AuditEvent.objects.filter(link__isnull=True).exists()


@pytest.mark.skipif(not POSTGRESQL, reason="SQLite has one writer at a time whatever the trail does")
@pytest.mark.django_db(transaction=True)
def test_a_transaction_holding_events_makes_no_other_writer_wait(database_copy):  # noqa: F811
    """A long run records events early and commits late; logins meanwhile commit and are sealed at
    once. Were the chain's lock held from the first event to the commit, they would wait for it."""
    holding, release = threading.Event(), threading.Event()

    def long_run(_):
        with transaction.atomic():
            for k in range(300):
                record(Action.BATCH, object_type_="test.run", object_id=k, actor_name="long run")
            holding.set()
            assert release.wait(120)

    runner = threading.Thread(target=lambda: in_threads(long_run, 1, timeout=150))
    runner.start()
    assert holding.wait(60)

    def logins(n):
        for k in range(10):
            record(Action.LOGIN, object_type_="test.login", object_id=f"{n}-{k}", actor_name=f"login-{n}")

    try:
        assert not in_threads(logins, 3, timeout=30)  # all done while the long run still holds its events
        logins_sealed = AuditEvent.objects.filter(object_type="test.login", link__isnull=False)
        assert logins_sealed.count() == 30
        assert not AuditEvent.objects.filter(object_type="test.run").exists()  # not committed yet
    finally:
        release.set()
        runner.join(150)
    run_events = AuditEvent.objects.filter(object_type="test.run")
    assert run_events.count() == 300 and not run_events.filter(link__isnull=True).exists()
    # the run's events have the smaller ids, and the later places: sealed in the order they committed
    assert min(run_events.values_list("link__seq", flat=True)) > max(logins_sealed.values_list("link__seq", flat=True))
    verdict = chain.verify()
    assert verdict.ok and verdict.sealed == 0, verdict.problems


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_the_events_already_there(database_copy):  # noqa: F811
    call_command("migrate", "audit", "0004", verbosity=0)
    with connection.cursor() as cursor:
        for n, detail in enumerate(['{"rows": 2.0}', '{"名": "王"}', "{}"]):
            cursor.execute("INSERT INTO audit_auditevent (at, actor_name, actor_role, channel, path, action, "
                           "object_type, object_id, object_repr, outcome, detail, ip) VALUES "
                           "(%s, 'before', '', 'web', '/x', 'login', '', '', '', 'success', %s, %s)",
                           [f"2026-0{n + 1}-01 00:00:00+00:00", detail, "2001:db8::1" if n else None])
    before = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    assert len(before) >= 3
    call_command("migrate", "audit", verbosity=0)
    assert triggers.missing() == []
    verdict = chain.verify()
    assert verdict.ok and verdict.events == len(before) + AuditEvent.objects.exclude(pk__in=before).count()
    # the events already there took the first places, in the order they were inserted
    places = AuditEvent.objects.filter(pk__in=before).order_by("link__seq")
    assert list(places.values_list("id", flat=True)) == before
    assert list(places.values_list("link__seq", flat=True)) == list(range(1, len(before) + 1))
