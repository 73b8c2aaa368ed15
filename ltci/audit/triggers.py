"""The database's own guard of the audit trail, whatever the client (docs/decisions/0012).

Both databases: events and their links are never updated or deleted; the chain head never moves
back and is never deleted. PostgreSQL also refuses TRUNCATE of the three tables, and holds the
sealing function `audit_seal` (chain.seal), which links committed events under the head's lock;
the application's role owns none of these tables (README, Production), so it can neither disable
the triggers nor drop or truncate the tables. SQLite also refuses a link out of its place (not the
next `seq`, not a 64-character hash, or to no event), and a link moves the head.

SQLite drops a table's triggers when a migration rebuilds the table, so they are (re)installed
after every migrate (apps.py); on PostgreSQL a changed definition needs a new migration (0002
installed `audit_event_append_only`, 0005 the rest).

The test runner empties the database with `flush` (DELETE on SQLite, TRUNCATE on PostgreSQL): the
platform's `flush` command lifts the guards that refuse emptying for that one command and puts them
back (management/commands/flush.py). Messages are English (they reach logs, not users); the SQL
takes no query parameters, so PL/pgSQL's `%` reaches the server as written.
"""

from __future__ import annotations

from contextlib import contextmanager

TABLES = ("audit_auditevent", "audit_link", "audit_chainhead")

POSTGRESQL_INSTALL = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit trail is append-only: % refused on %', TG_OP, TG_TABLE_NAME
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

DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
DROP TRIGGER IF EXISTS audit_link_append_only ON audit_link;
CREATE TRIGGER audit_link_append_only BEFORE UPDATE OR DELETE ON audit_link
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
DROP TRIGGER IF EXISTS audit_link_no_truncate ON audit_link;
CREATE TRIGGER audit_link_no_truncate BEFORE TRUNCATE ON audit_link
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
DROP TRIGGER IF EXISTS audit_chainhead_forward ON audit_chainhead;
CREATE TRIGGER audit_chainhead_forward BEFORE UPDATE OR DELETE ON audit_chainhead
    FOR EACH ROW EXECUTE FUNCTION audit_chainhead_forward();
DROP TRIGGER IF EXISTS audit_chainhead_no_truncate ON audit_chainhead;
CREATE TRIGGER audit_chainhead_no_truncate BEFORE TRUNCATE ON audit_chainhead
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Links the committed events among `ids` that have none yet, in order of id, after the head, which
-- it holds until the caller's transaction ends (one statement in autocommit). `digests` are the
-- events' content digests (chain.digest); the link hash is chain.link_hash's.
CREATE OR REPLACE FUNCTION audit_seal(ids bigint[], digests text[]) RETURNS integer AS $$
DECLARE
    head_seq bigint;
    head_hash text;
    made integer := 0;
    r record;
BEGIN
    SELECT seq, hash INTO head_seq, head_hash FROM audit_chainhead WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN  -- a new or flushed database
        INSERT INTO audit_chainhead (id, seq, hash) VALUES (1, 0, repeat('0', 64)) ON CONFLICT (id) DO NOTHING;
        SELECT seq, hash INTO head_seq, head_hash FROM audit_chainhead WHERE id = 1 FOR UPDATE;
    END IF;
    FOR r IN SELECT u.id, u.digest FROM unnest(ids, digests) AS u (id, digest)
             WHERE EXISTS (SELECT 1 FROM audit_auditevent e WHERE e.id = u.id)
               AND NOT EXISTS (SELECT 1 FROM audit_link l WHERE l.event_id = u.id)
             ORDER BY u.id LOOP
        head_seq := head_seq + 1;
        head_hash := encode(sha256(convert_to(head_hash || ':' || head_seq || ':' || r.id || ':' || r.digest,
                                              'UTF8')), 'hex');
        INSERT INTO audit_link (seq, event_id, hash) VALUES (head_seq, r.id, head_hash);
        made := made + 1;
    END LOOP;
    IF made > 0 THEN
        UPDATE audit_chainhead SET seq = head_seq, hash = head_hash WHERE id = 1;
    END IF;
    RETURN made;
END;
$$ LANGUAGE plpgsql;
"""

POSTGRESQL_DROP = """
DROP FUNCTION IF EXISTS audit_seal(bigint[], text[]);
DROP TRIGGER IF EXISTS audit_chainhead_no_truncate ON audit_chainhead;
DROP TRIGGER IF EXISTS audit_chainhead_forward ON audit_chainhead;
DROP TRIGGER IF EXISTS audit_link_no_truncate ON audit_link;
DROP TRIGGER IF EXISTS audit_link_append_only ON audit_link;
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_chainhead_forward();
DROP FUNCTION IF EXISTS audit_refuse_change();
"""

POSTGRESQL_TRIGGERS = {  # name: table
    "audit_event_append_only": "audit_auditevent",  # migration 0002
    "audit_event_no_truncate": "audit_auditevent",
    "audit_link_append_only": "audit_link",
    "audit_link_no_truncate": "audit_link",
    "audit_chainhead_forward": "audit_chainhead",
    "audit_chainhead_no_truncate": "audit_chainhead",
}
POSTGRESQL_FLUSH_GUARDS = ("audit_event_no_truncate", "audit_link_no_truncate", "audit_chainhead_no_truncate")


def _refuse(name: str, operation: str, table: str) -> str:
    return (f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {operation} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: {operation} refused on {table}'); END")


# One statement each: SQLite's driver runs one statement per execute().
SQLITE_TRIGGERS = {
    "audit_event_no_update": _refuse("audit_event_no_update", "UPDATE", "audit_auditevent"),
    "audit_event_no_delete": _refuse("audit_event_no_delete", "DELETE", "audit_auditevent"),
    "audit_link_no_update": _refuse("audit_link_no_update", "UPDATE", "audit_link"),
    "audit_link_no_delete": _refuse("audit_link_no_delete", "DELETE", "audit_link"),
    "audit_link_in_place": """
        CREATE TRIGGER IF NOT EXISTS audit_link_in_place BEFORE INSERT ON audit_link
        WHEN NEW.seq <> coalesce((SELECT max(seq) FROM audit_link), 0) + 1 OR length(NEW.hash) <> 64
             OR NOT EXISTS (SELECT 1 FROM audit_auditevent WHERE id = NEW.event_id)
        BEGIN SELECT RAISE(ABORT, 'audit link out of place: a link takes the next place, to an event'); END""",
    "audit_link_moves_head": """
        CREATE TRIGGER IF NOT EXISTS audit_link_moves_head AFTER INSERT ON audit_link
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
SQLITE_FLUSH_GUARDS = ("audit_event_no_delete", "audit_link_no_delete", "audit_chainhead_no_delete")


def install(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(POSTGRESQL_INSTALL)
    elif connection.vendor == "sqlite":
        install_sqlite(connection)


def install_sqlite(connection, names=None) -> None:
    with connection.cursor() as cursor:
        for name, sql in SQLITE_TRIGGERS.items():
            if names is None or name in names:
                cursor.execute(sql)
        # Links made while the triggers were away (during migrate) did not move the head: move it up
        # to the last link. Never back: a chain cut short of its head stays detectable.
        cursor.execute("INSERT INTO audit_chainhead (id, seq, hash) SELECT 1, seq, hash FROM audit_link "
                       "WHERE seq > 0 ORDER BY seq DESC LIMIT 1 "
                       "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash "
                       "WHERE excluded.seq > audit_chainhead.seq")


def uninstall(connection) -> None:
    """Back to migration 0004's state: on PostgreSQL 0002's trigger alone refuses UPDATE and DELETE
    of events; SQLite has no trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_DROP)
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def expected(connection=None) -> tuple[str, ...]:
    """The triggers this database should have."""
    from django.db import connection as default

    vendor = (connection or default).vendor
    return {"postgresql": tuple(POSTGRESQL_TRIGGERS), "sqlite": tuple(SQLITE_TRIGGERS)}.get(vendor, ())


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
                           "AND tgrelid IN ('audit_auditevent'::regclass, 'audit_link'::regclass, "
                           "'audit_chainhead'::regclass)")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                           "AND tbl_name IN ('audit_auditevent', 'audit_link', 'audit_chainhead')")
        present = {row[0] for row in cursor.fetchall()}
    return [n for n in names if n not in present]


@contextmanager
def lifted_for_flush(connection):
    """The guards that refuse emptying the trail are lifted inside this block and put back after it.

    Only the flush goes through here (the test runner's, or an operator's `ltci manage flush`), which
    empties every table, the trail and its chain included. On PostgreSQL only the owner can."""
    if not set(TABLES) <= set(connection.introspection.table_names()):
        yield
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_FLUSH_GUARDS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no table is altered with checks pending
            for name in POSTGRESQL_FLUSH_GUARDS:
                cursor.execute(f"ALTER TABLE {POSTGRESQL_TRIGGERS[name]} DISABLE TRIGGER {name}")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            install_sqlite(connection, SQLITE_FLUSH_GUARDS)
        elif connection.vendor == "postgresql":
            for name in POSTGRESQL_FLUSH_GUARDS:
                cursor.execute(f"ALTER TABLE {POSTGRESQL_TRIGGERS[name]} ENABLE TRIGGER {name}")


def role_problems(connection=None) -> list[str]:
    """PostgreSQL: what the connected role may do to the trail that a serving role must not (README,
    Production): be a superuser or own the trail (and so disable its triggers, drop it, migrate it
    back), TRUNCATE it, or UPDATE or DELETE events or links. In words for an operator (Chinese)."""
    from django.db import connection as default

    connection = connection or default
    if connection.vendor != "postgresql":
        return []
    problems = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        user, superuser = cursor.fetchone()
        if superuser:
            problems.append(f"数据库角色 {user} 是超级用户：可停用审计日志的触发器、清空或删除审计日志")
        for table in ("audit_auditevent", "audit_link"):
            if superuser:
                break
            cursor.execute("SELECT pg_get_userbyid(relowner), pg_has_role(current_user, relowner, 'USAGE') "
                           "FROM pg_class WHERE oid = %s::regclass", [table])
            owner, owns = cursor.fetchone()
            if owns:
                problems.append(f"数据库角色 {user} 拥有审计日志表 {table}（属主 {owner}）：可停用其触发器、清空或删除它")
                continue
            for privilege, words in (("TRUNCATE", "清空（TRUNCATE）"), ("UPDATE", "修改（UPDATE）"),
                                     ("DELETE", "删除（DELETE）")):
                cursor.execute("SELECT has_table_privilege(%s, %s)", [table, privilege])
                if cursor.fetchone()[0]:
                    problems.append(f"数据库角色 {user} 有权{words}审计日志表 {table}")
    if problems:
        problems.append("请按 README“生产部署：PostgreSQL 角色”一节，以不拥有任何表的应用角色运行平台")
    return problems
