"""The database's own guard of the books, whatever the client.

PostgreSQL: UPDATE and DELETE of journals and postings are refused; a journal must have postings
and balance (sum of debits = sum of credits), checked at commit by DEFERRABLE INITIALLY DEFERRED
constraint triggers, so a journal and its postings can be inserted by separate statements; a
journal dated in a closed month is refused; a closed period is never changed or deleted.

SQLite: UPDATE of journals, postings and closed periods is refused, and so is a journal dated in a
closed month. SQLite cannot defer a check to commit, so balance is the write path's guarantee
(services.post); and DELETE is left to the application (the models refuse it) because the test
runner empties SQLite tables with DELETE. SQLite drops a table's triggers when a migration rebuilds
the table, so they are (re)installed after every migrate (apps.py); on PostgreSQL a changed
definition needs a new migration.

Messages are English (they reach logs, not users); the functions take no query parameters, so a
`%` in PL/pgSQL's RAISE is passed to the server as written.
"""

from __future__ import annotations

POSTGRESQL_INSTALL = """
CREATE OR REPLACE FUNCTION fund_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'fund books are append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER fund_journal_append_only BEFORE UPDATE OR DELETE ON fund_journal
    FOR EACH ROW EXECUTE FUNCTION fund_refuse_change();
CREATE TRIGGER fund_posting_append_only BEFORE UPDATE OR DELETE ON fund_posting
    FOR EACH ROW EXECUTE FUNCTION fund_refuse_change();

CREATE OR REPLACE FUNCTION fund_posting_check_balance() RETURNS trigger AS $$
DECLARE
    debits numeric;
    credits numeric;
BEGIN
    SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0) INTO debits, credits
        FROM fund_posting WHERE journal_id = NEW.journal_id;
    IF debits <> credits THEN
        RAISE EXCEPTION 'fund journal % is unbalanced: debits % <> credits %', NEW.journal_id, debits, credits
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER fund_posting_balanced AFTER INSERT ON fund_posting
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fund_posting_check_balance();

CREATE OR REPLACE FUNCTION fund_journal_check_postings() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM fund_posting WHERE journal_id = NEW.id) THEN
        RAISE EXCEPTION 'fund journal % has no postings', NEW.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER fund_journal_has_postings AFTER INSERT ON fund_journal
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fund_journal_check_postings();

CREATE OR REPLACE FUNCTION fund_journal_check_period() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM fund_period WHERE region_id = NEW.region_id AND closed_at IS NOT NULL
               AND month >= date_trunc('month', NEW.posted_on)::date) THEN
        RAISE EXCEPTION 'fund period of % is closed for region %', NEW.posted_on, NEW.region_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER fund_journal_open_period BEFORE INSERT ON fund_journal
    FOR EACH ROW EXECUTE FUNCTION fund_journal_check_period();

CREATE OR REPLACE FUNCTION fund_period_refuse_reopen() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a closed fund period is never reopened: % refused on period %', TG_OP, OLD.month
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER fund_period_stays_closed BEFORE UPDATE OR DELETE ON fund_period
    FOR EACH ROW WHEN (OLD.closed_at IS NOT NULL) EXECUTE FUNCTION fund_period_refuse_reopen();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS fund_period_stays_closed ON fund_period;
DROP TRIGGER IF EXISTS fund_journal_open_period ON fund_journal;
DROP TRIGGER IF EXISTS fund_journal_has_postings ON fund_journal;
DROP TRIGGER IF EXISTS fund_posting_balanced ON fund_posting;
DROP TRIGGER IF EXISTS fund_posting_append_only ON fund_posting;
DROP TRIGGER IF EXISTS fund_journal_append_only ON fund_journal;
DROP FUNCTION IF EXISTS fund_period_refuse_reopen();
DROP FUNCTION IF EXISTS fund_journal_check_period();
DROP FUNCTION IF EXISTS fund_journal_check_postings();
DROP FUNCTION IF EXISTS fund_posting_check_balance();
DROP FUNCTION IF EXISTS fund_refuse_change();
"""

# One statement each: SQLite's driver runs one statement per execute().
SQLITE_TRIGGERS = {
    "fund_journal_append_only": """
        CREATE TRIGGER IF NOT EXISTS fund_journal_append_only BEFORE UPDATE ON fund_journal
        BEGIN SELECT RAISE(ABORT, 'fund books are append-only: UPDATE refused on fund_journal'); END""",
    "fund_posting_append_only": """
        CREATE TRIGGER IF NOT EXISTS fund_posting_append_only BEFORE UPDATE ON fund_posting
        BEGIN SELECT RAISE(ABORT, 'fund books are append-only: UPDATE refused on fund_posting'); END""",
    "fund_journal_open_period": """
        CREATE TRIGGER IF NOT EXISTS fund_journal_open_period BEFORE INSERT ON fund_journal
        WHEN EXISTS (SELECT 1 FROM fund_period WHERE region_id = NEW.region_id AND closed_at IS NOT NULL
                     AND month >= date(NEW.posted_on, 'start of month'))
        BEGIN SELECT RAISE(ABORT, 'fund period is closed'); END""",
    "fund_period_stays_closed": """
        CREATE TRIGGER IF NOT EXISTS fund_period_stays_closed BEFORE UPDATE ON fund_period
        WHEN OLD.closed_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a closed fund period is never reopened'); END""",
}

POSTGRESQL_TRIGGERS = ("fund_journal_append_only", "fund_posting_append_only", "fund_posting_balanced",
                       "fund_journal_has_postings", "fund_journal_open_period", "fund_period_stays_closed")


def install(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(POSTGRESQL_INSTALL)  # no parameters: the % belong to PL/pgSQL
    elif connection.vendor == "sqlite":
        install_sqlite(connection)


def install_sqlite(connection) -> None:
    with connection.cursor() as cursor:
        for sql in SQLITE_TRIGGERS.values():
            cursor.execute(sql)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_DROP)
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def expected() -> tuple[str, ...]:
    """The triggers this database should have."""
    from django.db import connection

    return {"postgresql": POSTGRESQL_TRIGGERS, "sqlite": tuple(SQLITE_TRIGGERS)}.get(connection.vendor, ())


def missing() -> list[str]:
    """Guard triggers absent from the database (a check that the books are still protected)."""
    from django.db import connection

    names = expected()
    if not names:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # a disabled trigger guards nothing: count it as missing
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
                           "AND tgname LIKE 'fund%'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'fund%'")
        present = {row[0] for row in cursor.fetchall()}
    return [n for n in names if n not in present]
