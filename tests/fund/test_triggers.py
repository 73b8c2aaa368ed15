"""The books are append-only and balanced: refused by the write path on every database, and by the
database itself (PostgreSQL: every guarantee; SQLite: no UPDATE, no journal in a closed month)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from ltci.fund import accounts, periods, triggers
from ltci.fund.apps import _guard_after_migrate
from ltci.fund.models import BooksAreAppendOnly, Journal, Posting
from ltci.fund.services import Entry

from .conftest import book, income

D = Decimal
PG = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's triggers")
SQLITE = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's triggers")
ON = date(2025, 3, 10)


@pytest.mark.parametrize("entries, field, message", [
    ([Entry(accounts.BANK, debit=D("10.00")), Entry("4101", credit=D("9.99"))], "amount", "借贷不平衡"),
    ([], "entries", "没有分录"),
    ([Entry("9999", debit=D("1.00")), Entry("4101", credit=D("1.00"))], "account", "未知的会计科目"),
    ([Entry(accounts.BANK, debit=D("1.00"), credit=D("1.00"))], "amount", "借贷只能一方"),
    ([Entry(accounts.BANK, debit=D("-1.00")), Entry("4101", credit=D("-1.00"))], "amount", "非负数"),
    ([Entry(accounts.BANK, debit=D("1.005")), Entry("4101", credit=D("1.005"))], "amount", "两位小数"),
    ([Entry(accounts.BENEFIT_CASH, debit=D("5.00")), Entry(accounts.PAYABLE_INSURED, credit=D("5.00"), party="7")],
     "party", "往来单位"),
])
def test_the_write_path_refuses_what_cannot_be_booked(xuzhou, entries, field, message):
    with pytest.raises(ValidationError) as exc:
        book(xuzhou, ON, *entries)
    assert message in exc.value.message_dict[field][0]
    assert not Journal.objects.exists() and not Posting.objects.exists()


def test_the_same_key_posts_once(xuzhou):
    first = income(xuzhou, ON, "3.00")
    again = book(xuzhou, ON, Entry(accounts.BANK, debit=D("9.00")), Entry("4101", credit=D("9.00")), key=first.key)
    assert again.pk == first.pk and Posting.objects.count() == 2


def test_the_application_never_edits_or_deletes_the_books(xuzhou):
    journal = income(xuzhou, ON, "3.00")
    posting = journal.postings.first()
    for attempt in (lambda: Posting.objects.filter(pk=posting.pk).update(debit=D("4.00")),
                    lambda: Journal.objects.filter(pk=journal.pk).delete(), posting.delete, journal.save,
                    lambda: Posting.objects.bulk_update([posting], ["debit"])):
        with pytest.raises(BooksAreAppendOnly):
            attempt()
    assert Posting.objects.get(pk=posting.pk).debit == D("3.00")


@pytest.mark.parametrize("sql", ["UPDATE fund_posting SET debit = debit + 1 WHERE id = %s",
                                 "UPDATE fund_journal SET memo = 'x' WHERE id = (SELECT journal_id FROM fund_posting WHERE id = %s)"])
def test_the_database_refuses_updates_from_any_client(xuzhou, sql):
    posting = income(xuzhou, ON, "3.00").postings.first()
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [posting.pk])
    assert Posting.objects.get(pk=posting.pk).debit == D("3.00")


def test_the_database_refuses_a_journal_dated_in_a_closed_month(xuzhou, manager):
    periods.close(xuzhou.pk, date(2025, 3, 1), manager)
    with pytest.raises(DatabaseError, match="closed"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO fund_journal (region_id, key, posted_on, kind, memo, source_type, source_id, "
                           "created_at) VALUES ('xuzhou', 'raw', '2025-03-31', 'raw', 'raw', 'x', '1', %s)",
                           ["2026-01-01T00:00:00+00:00"])
    assert not Journal.objects.filter(key="raw").exists()


@PG
@pytest.mark.parametrize("sql", ["DELETE FROM fund_posting WHERE id = %s",
                                 "DELETE FROM fund_journal WHERE id = (SELECT journal_id FROM fund_posting WHERE id = %s)"])
def test_postgresql_refuses_deletes(xuzhou, sql):
    posting = income(xuzhou, ON, "3.00").postings.first()
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [posting.pk])
    assert Posting.objects.filter(pk=posting.pk).exists()


def _raw_journal(cursor, key: str) -> int:
    cursor.execute("INSERT INTO fund_journal (region_id, key, posted_on, kind, memo, source_type, source_id, created_at)"
                   " VALUES ('xuzhou', %s, '2025-03-10', 'raw', 'raw', 'x', '1', now()) RETURNING id", [key])
    return cursor.fetchone()[0]


@PG
def test_postgresql_refuses_an_unbalanced_journal_at_commit(xuzhou):
    with pytest.raises(DatabaseError, match="unbalanced"):
        with transaction.atomic(), connection.cursor() as cursor:
            jid = _raw_journal(cursor, "raw-1")
            cursor.execute("INSERT INTO fund_posting (journal_id, account, party, debit, credit) VALUES "
                           "(%s, '1002', '', 10, 0), (%s, '4101', '', 0, 9)", [jid, jid])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT would do
    # A posting added later to a balanced journal unbalances it: refused too.
    journal = income(xuzhou, ON, "3.00")
    with pytest.raises(DatabaseError, match="unbalanced"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO fund_posting (journal_id, account, party, debit, credit) VALUES "
                           "(%s, '1002', '', 1, 0)", [journal.pk])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@PG
def test_postgresql_refuses_a_journal_without_postings(xuzhou):
    with pytest.raises(DatabaseError, match="no postings"):
        with transaction.atomic(), connection.cursor() as cursor:
            _raw_journal(cursor, "raw-2")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@PG
def test_postgresql_accepts_a_balanced_journal_written_in_two_statements(xuzhou):
    with transaction.atomic(), connection.cursor() as cursor:
        jid = _raw_journal(cursor, "raw-3")
        cursor.execute("INSERT INTO fund_posting (journal_id, account, party, debit, credit) VALUES "
                       "(%s, '1002', '', 10, 0)", [jid])
        cursor.execute("INSERT INTO fund_posting (journal_id, account, party, debit, credit) VALUES "
                       "(%s, '4101', '', 0, 10)", [jid])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert Journal.objects.filter(key="raw-3").exists()


@PG
def test_postgresql_refuses_deleting_a_closed_period(xuzhou, manager):
    period = periods.close(xuzhou.pk, date(2025, 3, 1), manager)
    with pytest.raises(DatabaseError, match="never reopened"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM fund_period WHERE id = %s", [period.pk])


@SQLITE
def test_sqlite_triggers_come_back_after_a_table_rebuild(db):
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER fund_posting_append_only")
    assert triggers.missing() == ["fund_posting_append_only"]
    _guard_after_migrate(sender=None, using="default")
    assert triggers.missing() == []


def test_every_guard_trigger_is_installed(db):
    assert triggers.expected() and triggers.missing() == []
