"""Each person's billed and paid totals per period, kept by the database (docs/decisions/0029).

A trigger after every inserted bill adds its total to the person's row for the period, one after
every inserted payment its amount, whatever inserts them: the billing batch's executemany, the
payment services, an import, or a bench's bulk load. Bills and payments are append-only, so
insertion is the only change to follow. Amounts are kept in integer fen: SQLite keeps decimals as
binary floats, and a sum of floats would leave a person owing 0.000001 yuan.

SQLite drops a table's triggers when a migration rebuilds it, so they are put back after every
migrate (apps.py). `rebuild` recomputes every row from the books: the migration fills the table
with it, and a test checks the kept rows against it.
"""

from __future__ import annotations

BILL, PAYMENT, TOTAL = "contributions_bill", "contributions_payment", "contributions_periodtotal"

# (table, the column it adds to, the amount column): one trigger each
_SOURCES = ((BILL, "billed_fen", "total"), (PAYMENT, "paid_fen", "amount"))


def _upsert(column: str, fen: str, rows: str = "") -> str:
    """The statement adding `fen` to `column` of a person's period row, made when absent."""
    other = "paid_fen" if column == "billed_fen" else "billed_fen"
    source = rows or f"VALUES (NEW.region_id, NEW.person_id, NEW.period, {fen}, 0)"
    return (f"INSERT INTO {TOTAL} (region_id, person_id, period, {column}, {other}) {source} "
            f"ON CONFLICT (person_id, period) DO UPDATE SET {column} = {TOTAL}.{column} + excluded.{column}")


def _sqlite_triggers() -> dict[str, str]:
    return {f"{table}_adds_to_total": f"CREATE TRIGGER {table}_adds_to_total AFTER INSERT ON {table} "
            f"FOR EACH ROW BEGIN {_upsert(column, f'CAST(ROUND(NEW.{amount} * 100) AS INTEGER)')}; END"
            for table, column, amount in _SOURCES}


def _postgresql_install() -> str:
    parts = []
    for table, column, amount in _SOURCES:
        parts.append(f"""
CREATE OR REPLACE FUNCTION {table}_add_to_total() RETURNS trigger AS $$
BEGIN
    {_upsert(column, f'(NEW.{amount} * 100)::bigint')};
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS {table}_adds_to_total ON {table};
CREATE TRIGGER {table}_adds_to_total AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_add_to_total();
""")
    return "".join(parts)


TRIGGERS = tuple(f"{table}_adds_to_total" for table, _, _ in _SOURCES)


def install(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_postgresql_install())
        elif connection.vendor == "sqlite":  # dropped first: a changed definition replaces the old one
            for name, sql in _sqlite_triggers().items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(sql)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        for table, _, _ in _SOURCES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_adds_to_total ON {table}; "
                               f"DROP FUNCTION IF EXISTS {table}_add_to_total()")
            elif connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_adds_to_total")


def _grouped(table: str, amount: str, vendor: str) -> str:
    fen = f"SUM({amount}) * 100" if vendor == "postgresql" else f"ROUND(SUM({amount}) * 100)"
    # WHERE 1 = 1: SQLite would read ON CONFLICT as a join's ON after a bare FROM
    return (f"SELECT region_id, person_id, period, CAST({fen} AS BIGINT), 0 FROM {table} WHERE 1 = 1 "
            f"GROUP BY region_id, person_id, period")


def rebuild(connection) -> None:
    """Every row recomputed from the bills and payments (the table emptied first)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TOTAL}")
        for table, column, amount in _SOURCES:
            cursor.execute(_upsert(column, "", _grouped(table, amount, connection.vendor)))
        if connection.vendor == "postgresql":  # a filled table's plan wants its statistics before autovacuum's
            cursor.execute(f"ANALYZE {TOTAL}")


def drift(connection, region_id: str | None = None) -> list[tuple]:
    """Rows whose kept totals differ from the books' sums: (person, period, kept billed, kept paid,
    billed, paid) in fen. Empty when the triggers have followed every insert."""
    where = "WHERE region_id = %s" if region_id else ""
    vendor = connection.vendor

    def summed(table, amount):
        fen = f"SUM({amount}) * 100" if vendor == "postgresql" else f"ROUND(SUM({amount}) * 100)"
        return (f"SELECT person_id, period, CAST({fen} AS BIGINT) AS fen FROM {table} {where} "
                f"GROUP BY person_id, period")

    sql = (f"SELECT k.person_id, k.period, t.billed_fen, t.paid_fen, COALESCE(b.fen, 0), COALESCE(y.fen, 0) "
           f"FROM (SELECT person_id, period FROM {BILL} {where} UNION SELECT person_id, period FROM {PAYMENT} {where} "
           f"UNION SELECT person_id, period FROM {TOTAL} {where}) k "
           f"LEFT JOIN {TOTAL} t ON t.person_id = k.person_id AND t.period = k.period "
           f"LEFT JOIN ({summed(BILL, 'total')}) b ON b.person_id = k.person_id AND b.period = k.period "
           f"LEFT JOIN ({summed(PAYMENT, 'amount')}) y ON y.person_id = k.person_id AND y.period = k.period "
           f"WHERE COALESCE(t.billed_fen, 0) <> COALESCE(b.fen, 0) OR COALESCE(t.paid_fen, 0) <> COALESCE(y.fen, 0)")
    with connection.cursor() as cursor:
        cursor.execute(sql, [region_id] * 5 if region_id else [])
        return cursor.fetchall()
