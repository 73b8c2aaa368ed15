"""Helpers of the trail's tests: a sealed trail, and the database as an attacker who controls it."""

from contextlib import contextmanager

import pytest
from django.db import connection

from ltci.audit import chain, triggers
from ltci.audit.models import AuditEvent

SQLITE = connection.vendor == "sqlite"
POSTGRESQL = connection.vendor == "postgresql"


def sealed_events() -> list[AuditEvent]:
    """Every event in its place, with its link's `seq` and `hash` (PostgreSQL seals after commit,
    which a test's transaction never reaches: sweep now)."""
    chain.sweep()
    events = list(AuditEvent.objects.select_related("link").order_by("link__seq"))
    for event in events:
        event.seq, event.hash = event.link.seq, event.link.hash
    return events


def named(event) -> str:
    """How verify begins naming an event."""
    return f"事件 #{event.pk}（序号 {event.seq}，"


@pytest.fixture
def trail(world):
    """The world's events (users, people, institutions…), at least a dozen, all in the chain."""
    events = sealed_events()
    assert len(events) >= 12 and [e.seq for e in events] == list(range(1, len(events) + 1))
    return events


@contextmanager
def unguarded():
    """As someone who controls the database file or owns the tables: the guards dropped (SQLite) or
    disabled (PostgreSQL) for the block, put back after it, so that `verify` judges the data alone."""
    with connection.cursor() as cursor:
        if SQLITE:
            for name in triggers.SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # PostgreSQL alters no table with checks pending
            for table in triggers.TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield cursor
        if SQLITE:
            triggers.install_sqlite(connection)
        else:
            for table in triggers.TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
