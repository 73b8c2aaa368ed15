"""What every serving process gives alike is made once: by one thread while the others wait, and
kept in the database for the other processes."""

import threading
import time

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

from ltci.core import shared
from ltci.core.shared import once


def test_threads_asking_at_once_wait_for_one_making(monkeypatch):
    # The waiting is the process's own; a memory cache stands for the table, so that no thread opens
    # a connection to the test database (SQLite's in-memory one keeps every thread's open).
    monkeypatch.setattr(shared, "caches", {"shared": LocMemCache("test-shared", {})})
    made, results = [], []

    def make():
        made.append(1)
        time.sleep(0.2)
        return {"figure": 42}

    threads = [threading.Thread(target=lambda: results.append(once("test:figure", make))) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert made == [1] and results == [{"figure": 42}] * 5


@pytest.mark.django_db
def test_another_process_finds_it_in_the_database():
    caches["shared"].clear()
    once("test:kept", lambda: "made")
    from django.db import connection

    with connection.cursor() as cur:  # the row another process reads
        cur.execute("SELECT COUNT(*) FROM ltci_shared_cache WHERE cache_key LIKE %s", ["%test:kept"])
        assert cur.fetchone()[0] == 1
    assert once("test:kept", lambda: "made again") == "made"
