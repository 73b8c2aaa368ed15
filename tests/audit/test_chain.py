"""The trail cannot be rewritten quietly: the database refuses every edit it can (SQLite and
PostgreSQL alike), and `verify` names what got past it (issue 15, docs/decisions/0012)."""

import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, models, transaction

from ltci.audit import chain, triggers
from ltci.audit.models import Action, AuditChainHead, AuditEvent, AuditLink, AuditTrailIsAppendOnly
from ltci.audit.recorder import record
from ltci.core.context import Actor, acting

from .conftest import POSTGRESQL, SQLITE, named, sealed_events, unguarded


def verdict_text(verdict) -> str:
    return "\n".join(verdict.problems)


# -- every write takes its place --------------------------------------------------------------

def test_every_event_takes_the_next_place_and_the_chain_verifies(trail):
    verdict = chain.verify()
    assert verdict.ok, verdict.problems
    assert verdict.events == len(trail) and verdict.last_seq == trail[-1].seq
    assert verdict.last_hash == trail[-1].hash == AuditChainHead.objects.get().hash
    previous = chain.GENESIS
    for event in trail:  # each link covers the previous one, its place, the event and its content
        assert event.hash == chain.link_hash(previous, event.seq, event.pk, chain.digest(chain.content_of(event)))
        previous = event.hash
    assert verdict.summary().startswith(f"审计日志完整：核验 {len(trail)} 条事件（序号 1–{len(trail)}）")


def test_bulk_inserts_take_their_places_too(trail):
    AuditEvent.objects.bulk_create([AuditEvent(actor_name="batch", channel="cli", action=Action.IMPORT,
                                               object_repr=f"第{n}批", detail={"n": n}) for n in range(3)])
    events = sealed_events()
    assert [e.seq for e in events] == list(range(1, len(trail) + 4))
    assert chain.verify().ok


DETAILS = [
    {"rows": 3, "share": 0.1, "whole": 2.0, "big": 1e20, "tiny": 1.5e-7, "neg": -0.0},
    {"名字": "王秀英", "nested": {"b": [1, 2, {"c": None}], "a": True}, "emoji": "\U0001f600", "esc": "a\"b\\c\n"},
    {"tuple": (1, "x"), 7: "int key", "empty": {}, "list": []},
]
ADDRESSES = [None, "", "192.0.2.7", "2001:DB8::1", "::ffff:192.0.2.7"]


def test_what_the_database_gives_back_hashes_as_it_was_written(world):
    """Any detail a caller may write, from any address: the hash made at insert matches the row read
    back (jsonb's numbers, inet's spelling of IPv6, JSON's keys)."""
    made = []
    for detail in DETAILS:
        for ip in ADDRESSES:
            with acting(Actor(name="tester", ip=ip, channel="api", path="/api/x")):
                made.append(record(Action.EXPORT, object_type_="x.y", object_id=7, object_repr="导出", detail=detail))
    sealed_events()
    verdict = chain.verify()
    assert verdict.ok, verdict.problems
    assert AuditLink.objects.filter(event__in=made).count() == len(made)


def test_an_event_rolled_back_with_its_savepoint_leaves_no_gap(world):
    record(Action.LOGIN, actor_name="before")
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            record(Action.LOGIN, actor_name="rolled back")
            raise RuntimeError
    record(Action.LOGIN, actor_name="after")
    events = sealed_events()
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert "rolled back" not in {e.actor_name for e in events}
    assert chain.verify().ok


# -- the database refuses ----------------------------------------------------------------------

PLAIN = models.QuerySet(model=AuditEvent)  # a queryset that is not the model's append-only one


@pytest.mark.parametrize("attempt", [
    pytest.param(lambda pk: PLAIN.filter(pk=pk).update(object_repr="改过"), id="plain queryset update"),
    pytest.param(lambda pk: PLAIN.filter(pk=pk).delete(), id="plain queryset delete"),
    pytest.param(lambda pk: PLAIN.filter(pk=pk)._raw_delete(connection.alias), id="plain queryset raw delete"),
    pytest.param(lambda pk: connection.cursor().execute(
        "UPDATE audit_auditevent SET object_repr = 'x' WHERE id = %s", [pk]), id="raw SQL UPDATE"),
    pytest.param(lambda pk: connection.cursor().execute(
        "UPDATE audit_link SET seq = seq + 1000 WHERE event_id = %s", [pk]), id="raw SQL renumbering"),
    pytest.param(lambda pk: connection.cursor().execute(
        "UPDATE audit_link SET hash = %s WHERE event_id = %s", ["0" * 64, pk]), id="raw SQL rehashing"),
    pytest.param(lambda pk: connection.cursor().execute(
        "DELETE FROM audit_link WHERE event_id = %s", [pk]), id="raw SQL unlinking"),
    pytest.param(lambda pk: AuditLink.objects.filter(event_id=pk).delete(), id="link queryset delete"),
    pytest.param(lambda pk: connection.cursor().execute("DELETE FROM audit_auditevent WHERE id = %s", [pk]),
                 id="raw SQL DELETE"),
    pytest.param(lambda pk: connection.cursor().execute("DELETE FROM audit_auditevent"), id="raw SQL DELETE all"),
])
def test_the_database_refuses_edits_and_deletes_from_any_client(trail, attempt):
    """(Django's own deletion stops first at the links' PROTECT; the raw deletes reach the database.)"""
    event = trail[3]
    with pytest.raises(DatabaseError, match="append-only|protected foreign keys"):
        with transaction.atomic():
            attempt(event.pk)
    assert AuditEvent.objects.get(pk=event.pk).object_repr == event.object_repr
    assert AuditEvent.objects.count() == len(trail)
    assert chain.verify().ok


@pytest.mark.parametrize("attempt", [
    lambda pk: AuditEvent._base_manager.filter(pk=pk).update(object_repr="改过"),
    lambda pk: AuditEvent._base_manager.filter(pk=pk).delete(),
    lambda pk: AuditEvent.objects.filter(pk=pk).update(object_repr="改过"),
    lambda pk: AuditEvent.objects.get(pk=pk).delete(),
    lambda pk: AuditEvent.objects.bulk_update([AuditEvent.objects.get(pk=pk)], ["object_repr"]),
    lambda pk: AuditEvent.objects.bulk_create([AuditEvent.objects.get(pk=pk)]),
], ids=["base manager update", "base manager delete", "manager update", "instance delete", "bulk_update",
        "bulk_create of a stored row"])
def test_the_models_refuse_edits_before_they_reach_the_database(trail, attempt):
    with pytest.raises(AuditTrailIsAppendOnly):
        attempt(trail[3].pk)
    assert chain.verify().ok


@pytest.mark.skipif(not POSTGRESQL, reason="TRUNCATE is PostgreSQL's (SQLite empties a table with DELETE)")
@pytest.mark.parametrize("table", triggers.TABLES)
def test_postgresql_refuses_truncate(trail, table):
    with pytest.raises(DatabaseError, match="TRUNCATE refused"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # nothing pending: the trigger is what refuses
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.count() == len(trail)


@pytest.mark.parametrize("sql", ["UPDATE audit_chainhead SET seq = seq - 1, hash = %s",
                                 "UPDATE audit_chainhead SET hash = %s",
                                 "DELETE FROM audit_chainhead WHERE hash <> %s"])
def test_the_chain_head_never_moves_back(trail, sql):
    with pytest.raises(DatabaseError, match="only moves forward"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [chain.GENESIS])
    assert AuditChainHead.objects.get().seq == trail[-1].seq


@pytest.mark.skipif(not SQLITE, reason="SQLite links at insert; PostgreSQL seals after commit")
@pytest.mark.parametrize("seq, event, digest", [(1, "new", "a" * 64), (10**6, "new", "a" * 64),
                                               ("next", "new", "short"), ("next", 10**9, "a" * 64)],
                         ids=["a taken place", "a gap", "no hash", "no event"])
def test_sqlite_refuses_a_link_out_of_its_place(trail, seq, event, digest):
    seq = trail[-1].seq + 1 if seq == "next" else seq
    with connection.cursor() as cursor:  # an event inserted around record(), and its forged link
        cursor.execute("INSERT INTO audit_auditevent (at, actor_name, actor_role, channel, path, action, object_type,"
                       " object_id, object_repr, outcome, detail) VALUES ('2026-01-01 00:00:00', 'x', '', 'cli', '',"
                       " 'login', '', '', '', 'success', '{}')")
        event = cursor.lastrowid if event == "new" else event
    with pytest.raises(DatabaseError, match="out of place"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO audit_link (seq, event_id, hash) VALUES (%s, %s, %s)", [seq, event, digest])
    assert AuditLink.objects.count() == len(trail)


@pytest.mark.skipif(not POSTGRESQL, reason="sealing is PostgreSQL's")
def test_postgresql_seals_a_committed_event_once_and_nothing_that_is_not_there(world):
    event = record(Action.LOGIN, actor_name="sealing")
    chain.sweep()
    sealed = AuditLink.objects.get(event=event)
    content = chain.digest(chain.content_of(event))
    assert chain.seal({event.pk: content}) == 0  # sealed already
    assert chain.seal({10**12: content}) == 0  # no such event (rolled back with its savepoint)
    assert AuditLink.objects.get(event=event) == sealed and chain.verify().ok


def test_every_guard_trigger_is_installed(db):
    assert triggers.expected() and triggers.missing() == []


@pytest.mark.skipif(not SQLITE, reason="SQLite's triggers go with a rebuilt table")
def test_sqlite_triggers_come_back_after_a_migrate(db):
    from ltci.audit.apps import _guard_after_migrate

    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER audit_event_no_delete")
    assert triggers.missing() == ["audit_event_no_delete"]
    _guard_after_migrate(sender=None, using="default")
    assert triggers.missing() == []


def test_the_flush_empties_the_trail_and_puts_the_guards_back(trail):
    """The test runner's flush (DELETE on SQLite, TRUNCATE on PostgreSQL) is the one path that lifts
    the guards, and only for itself; rolled back with the test."""
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    assert not AuditEvent.objects.exists() and not AuditLink.objects.exists() and not AuditChainHead.objects.exists()
    assert triggers.missing() == []
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            record(Action.LOGIN, actor_name="after the flush")
            cursor.execute("DELETE FROM audit_auditevent")
    record(Action.LOGIN, actor_name="after the flush")
    assert [e.seq for e in sealed_events()] == [1]
    assert chain.verify().ok


# -- what got past the database is named by verify ----------------------------------------------

def test_an_edited_detail_is_named(trail):
    event = trail[5]
    with unguarded():
        PLAIN.filter(pk=event.pk).update(detail={**event.detail, "rows": 9999})
    verdict = chain.verify()
    assert not verdict.ok and verdict.count == 1
    assert verdict.problems[0].startswith(named(event)) and "与链不符" in verdict.problems[0]


@pytest.mark.parametrize("column, value", [("object_repr", "无"), ("actor_name", "someone-else"),
                                           ("outcome", "failure"), ("at", "2020-01-01 00:00:00+00:00"),
                                           ("ip", "198.51.100.1"), ("region_id", None), ("path", "/elsewhere")])
def test_an_edit_of_any_column_is_named(trail, column, value):
    event = trail[4]
    with unguarded() as cursor:
        cursor.execute(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [value, event.pk])
    verdict = chain.verify()
    assert verdict.count == 1 and verdict.problems[0].startswith(f"事件 #{event.pk}（序号 {event.seq}")


def test_a_row_deleted_in_the_middle_leaves_a_named_gap(trail):
    gone, after = trail[6], trail[7]
    with unguarded() as cursor:
        cursor.execute("DELETE FROM audit_link WHERE event_id = %s", [gone.pk])
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [gone.pk])
    verdict = chain.verify()
    assert verdict.count == 1
    problem = verdict.problems[0]
    assert problem.startswith(f"序号 {gone.seq}–{gone.seq} 的 1 条事件缺失（被删除），缺口在{named(after)}")
    assert problem.endswith("之前")


def test_a_swapped_order_is_named(trail):
    first, second = trail[3], trail[4]
    with unguarded() as cursor:
        cursor.execute("UPDATE audit_link SET seq = -1 WHERE seq = %s", [first.seq])
        cursor.execute("UPDATE audit_link SET seq = %s WHERE seq = %s", [first.seq, second.seq])
        cursor.execute("UPDATE audit_link SET seq = %s WHERE seq = -1", [second.seq])
    verdict = chain.verify()
    # both swapped events, and the next one, whose link now follows the wrong predecessor
    assert verdict.count == 3
    assert verdict.problems[0].startswith(f"事件 #{second.pk}（序号 {first.seq}，")
    assert verdict.problems[1].startswith(f"事件 #{first.pk}（序号 {second.seq}，")
    assert verdict.problems[2].startswith(named(trail[5]))


@pytest.mark.parametrize("cut", [1, 3, "all"])
def test_a_cut_tail_is_detected_by_the_head(trail, cut):
    cut = len(trail) if cut == "all" else cut
    kept = trail[: len(trail) - cut]
    with unguarded() as cursor:
        cursor.execute("DELETE FROM audit_link WHERE seq > %s", [len(kept)])
        cursor.execute("DELETE FROM audit_auditevent WHERE id NOT IN (SELECT event_id FROM audit_link)")
    verdict = chain.verify()
    assert verdict.count == 1
    assert verdict.problems[0] == (f"链尾被截断：链头记录到序号 {len(trail)}，链中最后一条为序号 {len(kept)}，"
                                   f"序号 {len(kept) + 1}–{len(trail)} 的事件缺失")


def test_a_chain_rewritten_from_an_edit_onwards_is_caught_by_an_anchor_kept_elsewhere(trail):
    """Without a secret, whoever controls the database can recompute every hash after an edit and
    move the head: the chain is consistent again. A hash printed earlier (an anchor) still tells."""
    anchor = (trail[-1].seq, trail[-1].hash)  # what an earlier verify printed
    edited = trail[2]
    with unguarded() as cursor:
        cursor.execute("UPDATE audit_auditevent SET object_repr = '无' WHERE id = %s", [edited.pk])
        previous = trail[1].hash
        for link in AuditLink.objects.filter(seq__gte=edited.seq).select_related("event").order_by("seq"):
            previous = chain.link_hash(previous, link.seq, link.event_id, chain.digest(chain.content_of(link.event)))
            cursor.execute("UPDATE audit_link SET hash = %s WHERE seq = %s", [previous, link.seq])
        cursor.execute("UPDATE audit_chainhead SET hash = %s", [previous])
    assert chain.verify().ok  # consistent …
    verdict = chain.verify(anchors=[anchor])
    assert verdict_text(verdict) == f"锚点序号 {anchor[0]} 的哈希与链中记录不符：锚点之前的记录被改写"


def test_an_event_inserted_around_the_chain_is_named(trail):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO audit_auditevent (at, actor_name, actor_role, channel, path, action, object_type, "
                       "object_id, object_repr, outcome, detail) VALUES (%s, 'x', '', 'cli', '', 'login', '', '',"
                       " '', 'success', %s)", [trail[0].at, json.dumps({})])
    verdict = chain.verify()
    if SQLITE:  # every event is linked as it is inserted: this one went around record()
        assert verdict.count == 1 and verdict.problems[0].startswith("1 条事件不在链中（第一条为事件 #")
    else:  # committed events are sealed after commit, whoever inserted them: verify's sweep does it
        assert verdict.ok and verdict.sealed == 1


@pytest.mark.parametrize("name", triggers.expected())
def test_a_missing_or_disabled_trigger_is_named(trail, name):
    with connection.cursor() as cursor:
        if SQLITE:
            cursor.execute(f"DROP TRIGGER {name}")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {triggers.POSTGRESQL_TRIGGERS[name]} DISABLE TRIGGER {name}")
    verdict = chain.verify()
    assert verdict_text(verdict) == f"数据库缺少保护审计日志的触发器（或已停用）：{name}"
