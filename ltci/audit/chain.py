"""The audit trail's hash chain (docs/decisions/0012).

Every event has a place, `seq` (1, 2, 3, …, no gaps), and a `hash`: SHA-256 over the previous
event's hash, its own place and its content (time, actor, role, region, address, channel, path,
action, object, outcome, and the detail as canonical JSON). An edited event no longer matches its
hash; a deleted one leaves a gap; a swapped pair breaks both links; a cut tail leaves the chain
shorter than its head (`AuditChainHead`, moved by every link, and never back).

SQLite serialises writers, so an event is linked as it is inserted (`link`). PostgreSQL does not:
an event is inserted unsealed and sealed after its transaction commits (`after_commit` → `seal`),
under a lock on the chain head held for one short sealing transaction, never for the audited
transaction itself — a login does not wait for a settlement run that has recorded events.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice

from django.db import connections, transaction

log = logging.getLogger(__name__)

GENESIS = "0" * 64
# The content a hash covers, as the model's attribute names.
CONTENT = ("at", "actor_id", "actor_name", "actor_role", "region_id", "ip", "channel", "path", "action",
           "object_type", "object_id", "object_repr", "outcome", "detail")
SEAL_CHUNK = 500  # events sealed per sealing transaction (the head lock is held for one chunk)
VERIFY_CHUNK = 5000  # events read per query by verify (memory stays bounded whatever the trail's size)


# --------------------------------------------------------------------------------------------
# The hash
# --------------------------------------------------------------------------------------------

def _integral_floats_as_ints(value):
    """PostgreSQL's jsonb gives 1e20 back as an int and 2.0 as 2.0: both hash as the integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral_floats_as_ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral_floats_as_ints(v) for v in value]
    return value


def normalised(detail) -> object:
    """The detail as the JSON column will give it back (tuples as lists, keys as text, …)."""
    return _integral_floats_as_ints(json.loads(json.dumps(detail)))


def _time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _address(ip) -> str | None:
    """An address in one spelling whatever the database returns (PostgreSQL's inet rewrites IPv6)."""
    if not ip:
        return None
    try:
        return ipaddress.ip_address(ip).exploded
    except ValueError:
        return str(ip)


def digest(previous: str, seq: int, content) -> str:
    """The hash of the event at `seq` whose predecessor's hash is `previous`; `content` in CONTENT's order."""
    at, actor, name, role, region, ip, channel, path, action, otype, oid, orepr, outcome, detail = content
    payload = [previous, seq, _time(at), actor, name, role, region, _address(ip), channel, path, action,
               otype, oid, orepr, outcome, _integral_floats_as_ints(detail)]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))  # ASCII: \u escapes, one spelling
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def content_of(event) -> tuple:
    values = [getattr(event, name) for name in CONTENT]
    values[-1] = normalised(values[-1])
    return tuple(values)


# --------------------------------------------------------------------------------------------
# Writing: linked at insert (SQLite) or sealed after commit (PostgreSQL)
# --------------------------------------------------------------------------------------------

def links_at_insert(connection) -> bool:
    """SQLite has one writer at a time: the next place is known when the event is inserted."""
    return connection.vendor == "sqlite"


def last_link(cursor) -> tuple[int, str]:
    cursor.execute("SELECT seq, hash FROM audit_auditevent WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
    row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def link(events, using: str) -> None:
    """Gives each unsaved event the next place and its hash. Call inside the transaction that
    inserts them (SQLite: BEGIN IMMEDIATE holds the write lock, so no other writer takes a place)."""
    with connections[using].cursor() as cursor:
        seq, previous = last_link(cursor)
    for event in events:
        seq += 1
        event.seq = seq
        event.hash = previous = digest(previous, seq, content_of(event))


class _SealAfterCommit:
    """One per transaction: the events it recorded, sealed once it has committed."""

    def __init__(self, using: str):
        self.using = using
        self.ids: list[int] = []

    def __call__(self):
        seal(self.ids, using=self.using)


def after_commit(ids, using: str) -> None:
    """Seals these inserted events once their transaction commits (at once outside a transaction).

    Events rolled back with a savepoint stay in the list and are skipped by `seal` (they are gone)."""
    connection = connections[using]
    if not connection.in_atomic_block:
        seal(ids, using=using)
        return
    for _, callback, _ in connection.run_on_commit:
        if isinstance(callback, _SealAfterCommit):
            callback.ids.extend(ids)
            return
    callback = _SealAfterCommit(using)
    callback.ids.extend(ids)
    # robust: a failed seal must not turn the committed request into an error; the events stay
    # unsealed and the next `seal()` (ltci audit verify runs one) takes them.
    transaction.on_commit(callback, using=using, robust=True)


def _lock_head(cursor) -> None:
    """Holds the chain head until this transaction ends: one sealer at a time."""
    cursor.execute("SELECT seq FROM audit_chainhead WHERE id = 1 FOR UPDATE")
    if cursor.fetchone() is None:  # a new or flushed database
        cursor.execute("INSERT INTO audit_chainhead (id, seq, hash) VALUES (1, 0, %s) ON CONFLICT (id) DO NOTHING",
                       [GENESIS])
        cursor.execute("SELECT seq FROM audit_chainhead WHERE id = 1 FOR UPDATE")


def seal(ids=None, *, using: str = "default", model=None) -> int:
    """Gives committed, unsealed events their places, in order of id: those of `ids`, or all of
    them. Each chunk of SEAL_CHUNK is one short transaction holding the head's lock. Returns the
    number sealed. (`model`: the historical model when a migration seals.)"""
    if model is None:
        from .models import AuditEvent as model
    connection = connections[using]
    if links_at_insert(connection):
        return 0  # SQLite links every event as it is inserted: an unlinked one went around, verify names it
    if ids is not None:
        ids = iter(sorted(set(ids)))
    sealed = 0
    while True:
        chunk = None if ids is None else list(islice(ids, SEAL_CHUNK))
        if chunk == []:
            break
        with transaction.atomic(using=using), connection.cursor() as cursor:
            _lock_head(cursor)
            rows = model._base_manager.using(using).filter(seq__isnull=True).order_by("id").values_list("id", *CONTENT)
            rows = list(rows.filter(id__in=chunk) if chunk is not None else rows[:SEAL_CHUNK])
            if rows:
                seq, previous = last_link(cursor)
                values = []
                for id_, *content in rows:
                    seq += 1
                    previous = digest(previous, seq, content)
                    values += [id_, seq, previous]
                cursor.execute(
                    "UPDATE audit_auditevent AS e SET seq = v.seq, hash = v.hash FROM (VALUES "
                    + ", ".join(["(%s::bigint, %s::bigint, %s)"] * len(rows))
                    + ") AS v (id, seq, hash) WHERE e.id = v.id AND e.seq IS NULL", values)
                cursor.execute("UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = 1", [seq, previous])
        sealed += len(rows)
        if chunk is None and len(rows) < SEAL_CHUNK:
            break
    return sealed


# --------------------------------------------------------------------------------------------
# Verifying
# --------------------------------------------------------------------------------------------

@dataclass
class Verdict:
    events: int = 0  # events whose place was walked
    last_seq: int = 0
    last_hash: str = GENESIS
    sealed: int = 0  # committed events this run sealed first (PostgreSQL)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # the first MAX_PROBLEMS, in words (Chinese)
    count: int = 0  # all problems found

    MAX_PROBLEMS = 20

    @property
    def ok(self) -> bool:
        return self.count == 0

    def add(self, problem: str) -> None:
        self.count += 1
        if len(self.problems) < self.MAX_PROBLEMS:
            self.problems.append(problem)

    def summary(self) -> str:
        if self.ok:
            span = f"（序号 1–{self.last_seq}）" if self.events else ""
            return (f"审计日志完整：核验 {self.events} 条事件{span}，链尾哈希 {self.last_hash}，保护触发器齐全，"
                    f"用时 {self.seconds:.1f} 秒")
        return (f"审计日志核验未通过：发现 {self.count} 处问题（核验 {self.events} 条事件，用时 {self.seconds:.1f} 秒）")


def _named(event_id, seq, at, actor, action) -> str:
    from django.utils import timezone

    from .models import Action

    label = dict(Action.choices).get(action, action)
    return f"事件 #{event_id}（序号 {seq}，{timezone.localtime(at):%Y-%m-%d %H:%M:%S}，{actor}，{label}）"


def parse_anchor(text: str) -> tuple[int, str]:
    """'SEQ:HASH' as printed by an earlier verify (its 链尾哈希) → (seq, hash)."""
    seq, _, digest_ = text.partition(":")
    if not seq.isdigit() or int(seq) < 1 or len(digest_) != 64 or any(c not in "0123456789abcdef" for c in digest_):
        raise ValueError(f"锚点应写作 序号:哈希（64 位小写十六进制），而不是 {text!r}")
    return int(seq), digest_


def verify(*, anchors=(), using: str = "default", chunk: int = VERIFY_CHUNK) -> Verdict:
    """Walks the whole chain in order of place, a chunk at a time, and reports (in Chinese) every
    edited event, every gap, a tail cut short of the head, events left out of the chain, missing or
    disabled guard triggers, and anchors (seq, hash) kept elsewhere that the chain no longer holds."""
    from . import triggers
    from .models import AuditEvent

    started = time.perf_counter()
    verdict = Verdict()
    connection = connections[using]
    if not links_at_insert(connection):
        verdict.sealed = seal(using=using)
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq, hash FROM audit_chainhead WHERE id = 1")
        head = cursor.fetchone()  # read before the walk: events sealed meanwhile only lengthen the chain
    anchors = dict(anchors)
    wanted = dict(anchors)
    if head:
        wanted.setdefault(head[0], None)
    seen: dict[int, str] = {}

    rows = AuditEvent._base_manager.using(using).filter(seq__isnull=False).order_by("seq").values_list(
        "id", "seq", "hash", *CONTENT)
    expected, previous, after = 1, GENESIS, 0
    while True:
        page = list(rows.filter(seq__gt=after)[:chunk])
        if not page:
            break
        for id_, seq, stored, *content in page:
            if seq != expected:
                verdict.add(f"序号 {expected}–{seq - 1} 的 {seq - expected} 条事件缺失（被删除），"
                            f"缺口在{_named(id_, seq, content[0], content[2], content[8])}之前")
            elif digest(previous, seq, content) != stored:
                verdict.add(f"{_named(id_, seq, content[0], content[2], content[8])}与其哈希不符："
                            "内容被改动，或与前一条的次序被调换")
            if seq in wanted:
                seen[seq] = stored
            previous, expected = stored, seq + 1
            verdict.events += 1
        after = page[-1][1]
    verdict.last_seq, verdict.last_hash = expected - 1, previous

    if head is None:
        if verdict.events:
            verdict.add("链头记录缺失：无法确认链尾是否被截断")
    elif head[0] > verdict.last_seq:
        verdict.add(f"链尾被截断：链头记录到序号 {head[0]}，链中最后一条为序号 {verdict.last_seq}，"
                    f"序号 {verdict.last_seq + 1}–{head[0]} 的事件缺失")
    elif head[0] and seen.get(head[0]) != head[1]:
        verdict.add(f"链头记录的哈希与序号 {head[0]} 的事件不符")

    unsealed = AuditEvent._base_manager.using(using).filter(seq__isnull=True)
    if links_at_insert(connection) and (n := unsealed.count()):
        first = unsealed.order_by("id").values_list("id", flat=True)[0]
        verdict.add(f"{n} 条事件不在链中（第一条为事件 #{first}）：绕过了记录审计事件的唯一写入路径")

    for seq, expected_hash in sorted(anchors.items()):
        if seq not in seen:
            verdict.add(f"锚点序号 {seq} 的事件不在链中")
        elif seen[seq] != expected_hash:
            verdict.add(f"锚点序号 {seq} 的哈希与链中记录不符：锚点之前的记录被改写")

    missing = triggers.missing(connection)
    if missing:
        verdict.add(f"数据库缺少保护审计日志的触发器（或已停用）：{'、'.join(missing)}")
    verdict.seconds = time.perf_counter() - started
    return verdict
