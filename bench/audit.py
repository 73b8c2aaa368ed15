"""The audit trail's hash chain (issue 15, docs/decisions/0012): what it costs and how it behaves.

`writes`: events per second through `record()`, each in its own transaction (a login) and a
thousand in one (a batch). Run it on the code before the chain too (PYTHONPATH=<older checkout>,
from outside this tree) for the overhead.
`verify N`: a trail of N events (inserted in bulk, linked or sealed as the platform does), then
`ltci audit verify`'s rate and the process's peak memory.
`locks` (PostgreSQL): audited commits per second alone, while another transaction holds 10,000
uncommitted events, while a 100,000-event transaction's commit is being sealed, and while a
transaction holds the chain head's lock (the design not taken: a lock from the first event to
the commit).

Uses DATABASE_URL (default: a fresh SQLite file in a temporary folder); migrates it first. On
PostgreSQL: `scripts/with-postgresql.sh .venv/bin/python -m bench.audit …`.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time


def _django() -> None:
    if "DATABASE_URL" not in os.environ:
        folder = tempfile.mkdtemp(prefix="ltci-bench-audit.")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/ltci.sqlite3"
        os.environ.setdefault("LTCI_VAR_DIR", folder)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltci.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}/s ({n:,} in {seconds:.2f} s)"


def writes(n: int) -> None:
    """Wall-clock rates, and CPU-time rates (this process), which a busy machine disturbs less."""
    from django.db import connection, transaction

    from ltci.audit.models import Action
    from ltci.audit.recorder import record

    wall, cpu = time.perf_counter(), time.process_time()
    for k in range(n):
        record(Action.LOGIN, object_type_="bench.login", object_id=k, actor_name="bench", detail={"k": k})
    alone = time.perf_counter() - wall, time.process_time() - cpu
    batches = n // 1000 or 1
    wall, cpu = time.perf_counter(), time.process_time()
    for batch in range(batches):
        with transaction.atomic():
            for k in range(1000):
                record(Action.IMPORT, object_type_="bench.batch", object_id=k, actor_name="bench", detail={"b": batch})
    together = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{connection.vendor}: one event per transaction {_rate(n, alone[0])}, CPU {n / alone[1]:,.0f}/s; "
          f"1,000 per transaction {_rate(batches * 1000, together[0])}, CPU {batches * 1000 / together[1]:,.0f}/s")


def _bulk(n: int, make=None, first: int = 0) -> None:
    """N events in bulk through the model, 10,000 per transaction: linked as they are inserted on
    SQLite; on PostgreSQL sealed when each transaction commits (timed apart: the seal's rate).
    `make(k, now)` returns the k-th event (default: views of Xuzhou's people by 500 users);
    `first` numbers them from there (bench/city.py resumes a trail in parts)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from ltci.audit.models import Action, AuditEvent

    def xuzhou(k, now):
        return AuditEvent(
            at=now, actor_name=f"user{k % 500}", actor_role="clerk", region_id="xuzhou", ip="10.0.0.1",
            channel="web", path="/persons/", action=Action.VIEW_ID, object_type="enrolment.person",
            object_id=str(k), object_repr=f"王秀英 3203**********{k % 10000:04d}",
            detail={"k": k, "fields": {"name": "王秀英", "share": 0.3}})

    make = make or xuzhou
    now = timezone.now()
    made, sealing = 0, 0.0
    started = time.perf_counter()
    while made < n:
        size = min(10_000, n - made)
        with transaction.atomic():
            AuditEvent.objects.bulk_create([make(first + k, now) for k in range(made, made + size)],
                                           batch_size=2000)
            inserted = time.perf_counter()
        sealing += time.perf_counter() - inserted  # the commit, then (PostgreSQL) its seal
        made += size
        if made % 200_000 == 0:
            print(f"  {made:,} events written ({time.perf_counter() - started:.0f} s)", flush=True)
    if connection.vendor == "postgresql":
        print(f"  sealed after commit: {_rate(n, sealing)}")


def verify(n: int) -> None:
    from django.db import connection

    from ltci.audit import chain

    started = time.perf_counter()
    _bulk(n)
    print(f"{connection.vendor}: {n:,} events written in {time.perf_counter() - started:.0f} s")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    verdict = chain.verify()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert verdict.ok, verdict.problems
    print(f"{connection.vendor}: verify {_rate(verdict.events, verdict.seconds)}; peak memory {peak:.0f} MiB "
          f"(before verify {before:.0f} MiB)")
    print(verdict.summary())


def _commits_per_second(seconds: float, label: str) -> None:
    """Audited commits (a login's event, committed and sealed) from two threads for `seconds`."""
    from django.db import connection

    from ltci.audit.models import Action
    from ltci.audit.recorder import record

    done, worst = [0], [0.0]
    deadline = time.perf_counter() + seconds

    def login():
        try:
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                record(Action.LOGIN, object_type_="bench.login", actor_name="bench")
                worst[0] = max(worst[0], time.perf_counter() - t)
                done[0] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=login) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    print(f"  {label}: {done[0] / seconds:,.0f} audited commits/s, slowest {worst[0] * 1000:.0f} ms")


def _holding(events: int, hold: threading.Event, release: threading.Event):
    """A transaction that inserts `events` events, holds them uncommitted until `release`, then
    commits (and seals them); the thread's `sealed_at` is when its seal was done."""
    from django.db import connection, transaction

    from ltci.audit.models import Action, AuditEvent

    def run():
        try:
            with transaction.atomic():
                AuditEvent.objects.bulk_create([AuditEvent(actor_name="long run", channel="cli", action=Action.BATCH,
                                                           object_id=str(k)) for k in range(events)], batch_size=5000)
                hold.set()
                release.wait(300)
            thread.sealed_at = time.perf_counter()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def locks() -> None:
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        raise SystemExit("locks: PostgreSQL only (SQLite has one writer at a time)")
    _commits_per_second(5, "alone")

    hold, release = threading.Event(), threading.Event()
    thread = _holding(10_000, hold, release)
    hold.wait(120)
    _commits_per_second(5, "while another transaction holds 10,000 uncommitted events")
    release.set()
    thread.join()

    hold, release = threading.Event(), threading.Event()
    thread = _holding(100_000, hold, release)
    hold.wait(300)
    started = time.perf_counter()
    release.set()  # its commit seals 100,000 events, 500 per statement
    _commits_per_second(5, "while a 100,000-event commit is being sealed")
    thread.join()
    print(f"  (the 100,000 events were committed and sealed {thread.sealed_at - started:.1f} s after the release)")

    hold, release = threading.Event(), threading.Event()

    def head_lock():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT seq FROM audit_chainhead WHERE id = 1 FOR UPDATE")
                hold.set()
                release.wait(8)
        finally:
            connection.close()

    thread = threading.Thread(target=head_lock)
    thread.start()
    hold.wait(30)
    _commits_per_second(5, "while a transaction holds the chain head (a lock held until commit, 8 s)")
    release.set()
    thread.join()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    sub.add_parser("writes").add_argument("n", type=int, nargs="?", default=5000)
    sub.add_parser("verify").add_argument("n", type=int, nargs="?", default=1_000_000)
    sub.add_parser("locks")
    args = p.parse_args(argv)
    _django()
    if args.what == "writes":
        writes(args.n)
    elif args.what == "verify":
        verify(args.n)
    else:
        locks()
    return 0


if __name__ == "__main__":
    sys.exit(main())
