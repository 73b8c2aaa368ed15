"""The audit trail's hash chain (docs/decisions/0012).

Events are only ever inserted. Each gets a link (`AuditLink`): a place `seq` (1, 2, 3, …, no gaps)
and a hash over the previous link's hash, the place, the event's id and the digest of its content
(time, actor, role, region, address, channel, path, action, object, outcome, and the detail as
canonical JSON). An edited event no longer matches its link; a deleted one leaves a gap; a swapped
pair breaks both links; a cut tail leaves the chain shorter than its head (`AuditChainHead`, moved
by every link and never back).

SQLite serialises writers, so an event is linked in the transaction that inserts it (`link`).
PostgreSQL does not: an event is linked ("sealed") after its transaction commits (`after_commit`
→ `seal` → the SQL function `audit_seal`), under a lock on the chain head held for that one short
statement, never for the audited transaction itself: a login does not wait for a settlement run
that has recorded events.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from itertools import islice

from django.db import connections, transaction

GENESIS = "0" * 64
# The content a digest covers, as the event's attribute names.
CONTENT = ("at", "actor_id", "actor_name", "actor_role", "region_id", "ip", "channel", "path", "action",
           "object_type", "object_id", "object_repr", "outcome", "detail")
SEAL_CHUNK = 500  # events sealed per statement (the head's lock is held for one)
VERIFY_CHUNK = 5000  # links read per query by verify: memory stays bounded whatever the trail's size


# --------------------------------------------------------------------------------------------
# The hashes
# --------------------------------------------------------------------------------------------

def _integral_floats_as_ints(value):
    """PostgreSQL's jsonb gives 1e20 back as an int and 2.0 as 2.0: both hash as the integer."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _PLAIN else _integral_floats_as_ints(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _PLAIN else _integral_floats_as_ints(v) for v in value]
    if kind is float and value.is_integer():
        return int(value)
    return value


_PLAIN = frozenset((str, int, bool, type(None)))


def _time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"  # 2026-11-24T06:34:00.000000Z


@lru_cache(maxsize=4096)  # a trail repeats few addresses
def _address(ip) -> str | None:
    """An address in one spelling whatever the database returns (PostgreSQL's inet rewrites IPv6)."""
    if not ip:
        return None
    try:
        return ipaddress.ip_address(ip).exploded
    except ValueError:
        return str(ip)


def digest(content, *, read_back: bool = False) -> str:
    """The digest of an event's content in CONTENT's order: as written (the detail is then put through
    JSON as its column will give it back: tuples as lists, keys as text, …) or as read back."""
    at, actor, name, role, region, ip, channel, path, action, otype, oid, orepr, outcome, detail = content
    if not read_back:
        detail = json.loads(json.dumps(detail))
    payload = [_time(at), actor, name, role, region, _address(ip), channel, path, action, otype, oid, orepr,
               outcome, _integral_floats_as_ints(detail)]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))  # ASCII (\u escapes): one spelling
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def link_hash(previous: str, seq: int, event_id: int, content_digest: str) -> str:
    """The hash of the link at `seq` to event `event_id`. The SQL function audit_seal computes the
    same (triggers.py): sha256 of 'previous:seq:event_id:digest'."""
    return hashlib.sha256(f"{previous}:{seq}:{event_id}:{content_digest}".encode("ascii")).hexdigest()


def content_of(event) -> tuple:
    return tuple(getattr(event, name) for name in CONTENT)


# --------------------------------------------------------------------------------------------
# Writing: linked in the inserting transaction (SQLite) or sealed after commit (PostgreSQL)
# --------------------------------------------------------------------------------------------

def links_at_insert(connection) -> bool:
    """SQLite has one writer at a time: the next place is known while the event is inserted."""
    return connection.vendor == "sqlite"


def link(events, using: str) -> None:
    """Links inserted events in the transaction that inserted them (SQLite: BEGIN IMMEDIATE holds the
    write lock, so no other writer takes a place meanwhile; a trigger refuses any other place)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT seq, hash FROM audit_link ORDER BY seq DESC LIMIT 1")
        seq, previous = cursor.fetchone() or (0, GENESIS)
        rows = []
        for event in events:
            seq += 1
            previous = link_hash(previous, seq, event.pk, digest(content_of(event)))
            rows.append((seq, event.pk, previous))
        cursor.executemany("INSERT INTO audit_link (seq, event_id, hash) VALUES (%s, %s, %s)", rows)


class _SealAfterCommit:
    """One per transaction: the events it inserted (id, digest), sealed once it has committed."""

    def __init__(self, using: str):
        self.using = using
        self.events: dict[int, str] = {}

    def __call__(self):
        seal(self.events, using=self.using)


def after_commit(events, using: str) -> None:
    """Seals these inserted events once their transaction commits (at once outside a transaction).

    Events rolled back with a savepoint stay in the list; `audit_seal` skips them (they are gone)."""
    digests = {event.pk: digest(content_of(event)) for event in events}
    connection = connections[using]
    if not connection.in_atomic_block:
        seal(digests, using=using)
        return
    for _, callback, _ in connection.run_on_commit:
        if isinstance(callback, _SealAfterCommit):
            callback.events.update(digests)
            return
    callback = _SealAfterCommit(using)
    callback.events.update(digests)
    # robust: a failed seal must not turn a committed request into an error; the events stay
    # unsealed and the next sweep (`ltci audit verify` runs one) seals them.
    transaction.on_commit(callback, using=using, robust=True)


def seal(events: dict[int, str], *, using: str = "default") -> int:
    """Links committed events {id: digest} that have no link yet, in order of id, SEAL_CHUNK per
    statement (each its own transaction outside one). Returns how many it linked."""
    ids = iter(sorted(events))
    sealed = 0
    with connections[using].cursor() as cursor:
        while chunk := list(islice(ids, SEAL_CHUNK)):
            cursor.execute("SELECT audit_seal(%s::bigint[], %s::text[])", [chunk, [events[i] for i in chunk]])
            sealed += cursor.fetchone()[0]
    return sealed


def _unlinked(using: str, model=None):
    from .models import AuditEvent

    model = model or AuditEvent
    return model._base_manager.using(using).filter(link__isnull=True)


def sweep(*, using: str = "default", model=None) -> int:
    """PostgreSQL: seals every committed event still without a link (its process died between its
    commit and its seal, or it was inserted around `record`), reading its content back. SQLite:
    nothing (every event is linked as it is inserted; one without a link went around, and verify
    names it). `model`: the historical model when a migration seals."""
    connection = connections[using]
    if links_at_insert(connection):
        return 0
    from .models import AuditEvent, AuditLink

    model = model or AuditEvent
    links = AuditLink if model is AuditEvent else model._meta.apps.get_model("audit", "AuditLink")
    if model._base_manager.using(using).count() == links._base_manager.using(using).count():
        return 0  # every event has its link: no need to look for strays among millions
    sealed, after = 0, 0
    rows = _unlinked(using, model).order_by("id").values_list("id", *CONTENT)
    while page := list(rows.filter(id__gt=after)[:SEAL_CHUNK]):
        sealed += seal({id_: digest(content, read_back=True) for id_, *content in page}, using=using)
        after = page[-1][0]
    return sealed


# --------------------------------------------------------------------------------------------
# Verifying
# --------------------------------------------------------------------------------------------

@dataclass
class Verdict:
    events: int = 0  # links walked (events checked)
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
            return (f"审计日志完整：核验 {self.events} 条事件{span}，链尾 {self.last_seq}:{self.last_hash}，"
                    f"保护触发器齐全，用时 {self.seconds:.1f} 秒")
        return f"审计日志核验未通过：发现 {self.count} 处问题（核验 {self.events} 条事件，用时 {self.seconds:.1f} 秒）"


def _named(event_id, seq, at, actor, action) -> str:
    from django.utils import timezone

    from .models import Action

    label = dict(Action.choices).get(action, action)
    return f"事件 #{event_id}（序号 {seq}，{timezone.localtime(at):%Y-%m-%d %H:%M:%S}，{actor}，{label}）"


def parse_anchor(text: str) -> tuple[int, str]:
    """'SEQ:HASH' as an earlier verify printed it (its 链尾) → (seq, hash)."""
    seq, _, digest_ = text.partition(":")
    if not seq.isdigit() or int(seq) < 1 or len(digest_) != 64 or any(c not in "0123456789abcdef" for c in digest_):
        raise ValueError(f"锚点应写作 序号:哈希（如 ltci audit verify 打印的链尾，哈希为 64 位小写十六进制），而不是 {text!r}")
    return int(seq), digest_


def verify(*, anchors=(), using: str = "default", chunk: int = VERIFY_CHUNK) -> Verdict:
    """Walks the whole chain in order of place, a chunk at a time, and reports (in Chinese) every
    edited event, every gap, a tail cut short of the head, events left out of the chain, missing or
    disabled guard triggers, and anchors (seq, hash) kept elsewhere that the chain no longer holds."""
    from . import triggers
    from .models import AuditEvent, AuditLink

    started = time.perf_counter()
    verdict = Verdict()
    connection = connections[using]
    verdict.sealed = sweep(using=using)
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq, hash FROM audit_chainhead WHERE id = 1")
        head = cursor.fetchone()  # read before the walk: links made meanwhile only lengthen the chain
    anchors = dict(anchors)
    wanted = set(anchors) | ({head[0]} if head else set())
    seen: dict[int, str] = {}

    rows = AuditLink.objects.using(using).order_by("seq").values_list(
        "seq", "event_id", "hash", *(f"event__{name}" for name in CONTENT))
    expected, previous, after = 1, GENESIS, 0
    while page := list(rows.filter(seq__gt=after)[:chunk]):
        for seq, event_id, stored, *content in page:
            if seq != expected:  # links or events deleted: the hash of this one cannot be checked
                verdict.add(f"序号 {expected}–{seq - 1} 的 {seq - expected} 条事件缺失（被删除），"
                            f"缺口在{_named(event_id, seq, content[0], content[2], content[8])}之前")
            elif link_hash(previous, seq, event_id, digest(content, read_back=True)) != stored:
                verdict.add(f"{_named(event_id, seq, content[0], content[2], content[8])}与链不符："
                            "内容被改动，或链接被改动、次序被调换")
            if seq in wanted:
                seen[seq] = stored
            previous, expected = stored, seq + 1
            verdict.events += 1
        after = page[-1][0]
    verdict.last_seq, verdict.last_hash = expected - 1, previous

    if head is None:
        if verdict.events:
            verdict.add("链头记录缺失：无法确认链尾是否被截断")
    elif head[0] > verdict.last_seq:
        verdict.add(f"链尾被截断：链头记录到序号 {head[0]}，链中最后一条为序号 {verdict.last_seq}，"
                    f"序号 {verdict.last_seq + 1}–{head[0]} 的事件缺失")
    elif head[0] and seen.get(head[0]) != head[1]:
        verdict.add(f"链头记录的哈希与序号 {head[0]} 的链接不符")

    # SQLite links every event as it is inserted: one without a link went around `record`. (PostgreSQL
    # swept them into the chain above; one committed since waits for its own seal.) Count first
    # (cheap), look for the strays only when the counts differ.
    if links_at_insert(connection) and AuditEvent._base_manager.using(using).count() > verdict.events:
        unlinked = _unlinked(using)
        if n := unlinked.count():
            first = unlinked.order_by("id").values_list("id", flat=True)[0]
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
