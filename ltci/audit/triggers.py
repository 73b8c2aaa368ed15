"""The database's own guard of the audit trail, whatever the client (docs/decisions/0012).

PostgreSQL: UPDATE and DELETE of an event are refused, except the sealing of a committed event (its
`seq` and `hash` set once, nothing else changed; chain.seal); TRUNCATE of the trail and of its chain
head is refused; the head never moves back and is never deleted. The application's role owns
neither table (README, Production), so it cannot disable these triggers.

SQLite: UPDATE and DELETE of an event are refused; an event is inserted only in its place in the
chain (the next `seq`, a 64-character hash), and the insert moves the chain head; the head never
moves back and is never deleted. SQLite drops a table's triggers when a migration rebuilds the
table, so they are (re)installed after every migrate (apps.py).

Both: the test runner's flush (DELETE on SQLite, TRUNCATE on PostgreSQL) is the one path that may
empty the trail; the platform's `flush` command lifts the guards for it and puts them back
(management/commands/flush.py). Messages are English (they reach logs, not users).
"""

from __future__ import annotations

from contextlib import contextmanager

TABLES = ("audit_auditevent", "audit_chainhead")

POSTGRESQL_INSTALL = """
CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger AS $$
BEGIN
    -- Sealing: a committed event gets its place in the chain once; nothing else of it changes.
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND to_jsonb(NEW) - 'seq' - 'hash' = to_jsonb(OLD) - 'seq' - 'hash' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit trail is append-only: % refused on audit_auditevent', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION audit_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit trail is append-only: TRUNCATE refused on %', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION audit_chainhead_forward() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id
       AND (NEW.seq > OLD.seq OR (NEW.seq = OLD.seq AND NEW.hash = OLD.hash)) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit chain head only moves forward: % refused on audit_chainhead', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
DROP TRIGGER IF EXISTS audit_chainhead_forward ON audit_chainhead;
CREATE TRIGGER audit_chainhead_forward BEFORE UPDATE OR DELETE ON audit_chainhead
    FOR EACH ROW EXECUTE FUNCTION audit_chainhead_forward();
DROP TRIGGER IF EXISTS audit_chainhead_no_truncate ON audit_chainhead;
CREATE TRIGGER audit_chainhead_no_truncate BEFORE TRUNCATE ON audit_chainhead
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS audit_chainhead_no_truncate ON audit_chainhead;
DROP TRIGGER IF EXISTS audit_chainhead_forward ON audit_chainhead;
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_chainhead_forward();
DROP FUNCTION IF EXISTS audit_refuse_truncate();
"""

# What migration 0002 installed: every UPDATE and DELETE refused (the state before the chain).
POSTGRESQL_BEFORE_CHAIN = """
CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit trail is append-only: % refused on audit_auditevent', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

POSTGRESQL_TRIGGERS = ("audit_event_append_only", "audit_event_no_truncate", "audit_chainhead_forward",
                       "audit_chainhead_no_truncate")
# The statement triggers that stand in the way of the test runner's TRUNCATE.
POSTGRESQL_FLUSH_GUARDS = (("audit_auditevent", "audit_event_no_truncate"),
                           ("audit_chainhead", "audit_chainhead_no_truncate"))

# One statement each: SQLite's driver runs one statement per execute().
SQLITE_TRIGGERS = {
    "audit_event_no_update": """
        CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
        BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: UPDATE refused on audit_auditevent'); END""",
    "audit_event_no_delete": """
        CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent
        BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: DELETE refused on audit_auditevent'); END""",
    "audit_event_in_sequence": """
        CREATE TRIGGER IF NOT EXISTS audit_event_in_sequence BEFORE INSERT ON audit_auditevent
        WHEN NEW.seq IS NULL OR length(NEW.hash) <> 64
             OR NEW.seq <> coalesce((SELECT max(seq) FROM audit_auditevent), 0) + 1
        BEGIN SELECT RAISE(ABORT, 'audit event out of sequence: an event takes the next place in the chain'); END""",
    "audit_event_moves_head": """
        CREATE TRIGGER IF NOT EXISTS audit_event_moves_head AFTER INSERT ON audit_auditevent
        BEGIN
            INSERT INTO audit_chainhead (id, seq, hash) VALUES (1, NEW.seq, NEW.hash)
            ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash;
        END""",
    "audit_chainhead_forward": """
        CREATE TRIGGER IF NOT EXISTS audit_chainhead_forward BEFORE UPDATE ON audit_chainhead
        WHEN NEW.id <> OLD.id OR NEW.seq < OLD.seq OR (NEW.seq = OLD.seq AND NEW.hash <> OLD.hash)
        BEGIN SELECT RAISE(ABORT, 'audit chain head only moves forward: UPDATE refused on audit_chainhead'); END""",
    "audit_chainhead_no_delete": """
        CREATE TRIGGER IF NOT EXISTS audit_chainhead_no_delete BEFORE DELETE ON audit_chainhead
        BEGIN SELECT RAISE(ABORT, 'audit chain head only moves forward: DELETE refused on audit_chainhead'); END""",
}
SQLITE_FLUSH_GUARDS = ("audit_event_no_delete", "audit_chainhead_no_delete")


def install(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(POSTGRESQL_INSTALL)  # no parameters: the % belong to PL/pgSQL
    elif connection.vendor == "sqlite":
        install_sqlite(connection)


def install_sqlite(connection, names=None) -> None:
    with connection.cursor() as cursor:
        for name, sql in SQLITE_TRIGGERS.items():
            if names is None or name in names:
                cursor.execute(sql)
        # Events linked while the triggers were away (during migrate) did not move the head: move it
        # up to the last link. Never back: a chain cut short of its head stays detectable.
        cursor.execute("INSERT INTO audit_chainhead (id, seq, hash) SELECT 1, seq, hash FROM audit_auditevent "
                       "WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1 "
                       "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash "
                       "WHERE excluded.seq > audit_chainhead.seq")


def uninstall(connection) -> None:
    """Back to migration 0002's state: PostgreSQL refuses every UPDATE and DELETE; SQLite has no trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_DROP)
            cursor.execute(POSTGRESQL_BEFORE_CHAIN)
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def expected(connection=None) -> tuple[str, ...]:
    """The triggers this database should have."""
    from django.db import connection as default

    vendor = (connection or default).vendor
    return {"postgresql": POSTGRESQL_TRIGGERS, "sqlite": tuple(SQLITE_TRIGGERS)}.get(vendor, ())


def missing(connection=None) -> list[str]:
    """Guard triggers absent from the database or disabled (a disabled trigger guards nothing)."""
    from django.db import connection as default

    connection = connection or default
    names = expected(connection)
    if not names:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
                           "AND tgrelid IN ('audit_auditevent'::regclass, 'audit_chainhead'::regclass)")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                           "AND tbl_name IN ('audit_auditevent', 'audit_chainhead')")
        present = {row[0] for row in cursor.fetchall()}
    return [n for n in names if n not in present]


@contextmanager
def lifted_for_flush(connection):
    """The guards that refuse emptying the trail are lifted inside this block and put back after it.

    Only the flush (the test runner's, or an operator's `ltci manage flush`) goes through here; it
    empties every table, the trail and its head included. On PostgreSQL this needs the table owner."""
    tables = set(connection.introspection.table_names())
    if not set(TABLES) <= tables:
        yield
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_FLUSH_GUARDS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no table is altered with checks pending
            for table, name in POSTGRESQL_FLUSH_GUARDS:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            install_sqlite(connection, SQLITE_FLUSH_GUARDS)
        elif connection.vendor == "postgresql":
            for table, name in POSTGRESQL_FLUSH_GUARDS:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {name}")


def role_problems(connection=None) -> list[str]:
    """PostgreSQL: what the connected role may do to the trail that a serving role must not (README,
    Production): own it (and so disable its triggers, drop it, migrate it back), TRUNCATE it, or
    UPDATE or DELETE it beyond sealing. In words for an operator (Chinese)."""
    from django.db import connection as default

    connection = connection or default
    if connection.vendor != "postgresql":
        return []
    problems = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, r.rolsuper, pg_has_role(current_user, c.relowner, 'USAGE'), "
                       "pg_get_userbyid(c.relowner) FROM pg_class c, pg_roles r "
                       "WHERE c.oid = 'audit_auditevent'::regclass AND r.rolname = current_user")
        user, superuser, owns, owner = cursor.fetchone()
        if superuser:
            problems.append(f"数据库角色 {user} 是超级用户：可停用审计日志的触发器、清空或删除审计日志")
        elif owns:
            problems.append(f"数据库角色 {user} 拥有审计日志表（属主 {owner}）：可停用其触发器、清空或删除它")
        else:
            for privilege, words in (("TRUNCATE", "清空（TRUNCATE）"), ("DELETE", "删除（DELETE）"),
                                     ("UPDATE", "修改（UPDATE 全部列）")):
                cursor.execute("SELECT has_table_privilege('audit_auditevent', %s)", [privilege])
                if cursor.fetchone()[0]:
                    problems.append(f"数据库角色 {user} 有权{words}审计日志")
    if problems:
        problems.append("请按 README“生产部署：PostgreSQL 角色”一节，以不拥有任何表的应用角色运行平台")
    return problems
