"""The period totals the database keeps for the arrears list: every bill and payment counted once,
however it was inserted, exact to the fen, and the list read from them."""

import random
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from ltci.contributions import queries, totals
from ltci.contributions.billing import start_billing
from ltci.contributions.models import Bill, Payment, PeriodTotal
from ltci.contributions.payments import record_payment
from ltci.core.models import Job
from ltci.regions.models import Region

D = Decimal


@pytest.fixture
def billed(enrol):
    people = [enrol("xuzhou", i, category="in_service", birth=date(1980, 1, 1), start=date(2023, 3, 1))
              for i in range(1, 4)]
    start_billing(Region.objects.get(pk="xuzhou"), "2024")
    return people


def kept(person, period="2024"):
    t = PeriodTotal.objects.get(person=person, period=period)
    return t.billed_fen, t.paid_fen


def test_billing_and_payments_are_added_as_they_are_recorded(billed):
    first, second, third = billed
    assert kept(first) == (7000, 0)  # Xuzhou's in-service worker: 70 yuan a year
    record_payment(first, period="2024", payer="individual", channel="personal_account", amount="20.00",
                   reference="P-1", paid_on=date(2024, 2, 1))
    record_payment(second, period="2024", payer="individual", channel="personal_account",
                   amount=str(Bill.objects.get(person=second).individual), reference="P-2", paid_on=date(2024, 2, 1))
    assert kept(first) == (7000, 2000)
    rows, count = queries.arrears("xuzhou", "2024")
    owing = {r.person_id: (r.billed, r.paid, r.owed) for r in rows}
    assert first.pk in owing and owing[first.pk] == (D("70.00"), D("20.00"), D("50.00"))
    assert count == len(rows) == len(owing)
    assert totals.drift(connection) == []


def test_a_bulk_insert_outside_the_services_is_counted_too(billed):
    """As the benches and any loader write: straight into the table, several bills for one period."""
    person = billed[0]
    job = Job.objects.latest("id")
    with connection.cursor() as cur:
        cur.executemany(f"INSERT INTO {Bill._meta.db_table} (region_id, person_id, period, kind, due_date, individual, "
                        "employer, medical_fund, fiscal, total, job_id, created_at) "
                        "VALUES (%s, %s, %s, 'adjustment', %s, %s, 0, 0, 0, %s, %s, %s)",
                        [("xuzhou", person.pk, "2024", date(2024, 12, 31), amount, amount, job.pk, "2024-12-01")
                         for amount in ("0.10", "0.20", "-0.05")])
    assert kept(person) == (7025, 0)
    assert totals.drift(connection, "xuzhou") == []


def test_sums_that_floats_would_get_wrong_are_exact(billed):
    """0.1 + 0.2 is not 0.3 in binary floats, which SQLite uses for decimals: the totals are in fen."""
    person = billed[0]
    bill = Bill.objects.get(person=person)
    adjustments = [D(f"0.{i:02d}") for i in range(1, 41)] + [D("-0.10")] * 3
    job = Job.objects.latest("id")
    for amount in adjustments:
        Bill.objects.create(region_id="xuzhou", person=person, period="2024", kind="adjustment",
                            due_date=date(2024, 12, 31), individual=amount, total=amount, job=job)
    owed = bill.individual + sum(adjustments)
    random.seed(7)
    paid, n = D("0"), 0
    while paid < owed:  # many small payments until the individual's part is paid to the fen
        amount = min(owed - paid, D(random.randint(1, 300)) / 100)
        n += 1
        record_payment(person, period="2024", payer="individual", channel="personal_account", amount=str(amount),
                       reference=f"S-{n}", paid_on=date(2024, 3, 1))
        paid += amount
    for payer, channel in (("employer", "employer"), ("medical_fund", "medical_fund"), ("fiscal", "fiscal_transfer")):
        if getattr(bill, payer):
            record_payment(person, period="2024", payer=payer, channel=channel, amount=str(getattr(bill, payer)),
                           reference=f"{payer}-1", paid_on=date(2024, 3, 1))
    whole = int((bill.total + sum(adjustments)) * 100)
    assert n > 20 and kept(person) == (whole, whole)
    assert person.pk not in {r.person_id for r in queries.arrears("xuzhou", "2024")[0]}


def test_rebuilding_from_the_books_gives_the_kept_rows(billed):
    record_payment(billed[0], period="2024", payer="individual", channel="personal_account", amount="1.23",
                   reference="R-1", paid_on=date(2024, 2, 1))
    before = sorted(PeriodTotal.objects.values_list("person_id", "period", "billed_fen", "paid_fen"))
    PeriodTotal.objects.filter(person=billed[1]).update(billed_fen=1)  # damaged by hand
    assert [row[0] for row in totals.drift(connection)] == [billed[1].pk]
    totals.rebuild(connection)
    assert sorted(PeriodTotal.objects.values_list("person_id", "period", "billed_fen", "paid_fen")) == before
    assert Payment.objects.count() == 1


def test_the_arrears_list_pages_filters_and_exports_in_person_order(billed):
    rows, count = queries.arrears("xuzhou", "2024", limit=2)
    assert [r.person_id for r in rows] == sorted(p.pk for p in billed)[:2] and count == 3
    rest, _ = queries.arrears("xuzhou", "2024", limit=2, after=rows[-1].person_id, count=False)
    assert [r.person_id for r in rest] == [max(p.pk for p in billed)]
    assert queries.arrears("xuzhou", "2024", district="别处")[0] == []
    assert queries.arrears("nanning", "2024")[0] == []
    mine, n = queries.arrears("xuzhou", "2024", person_id=billed[1].pk)
    assert [r.person_id for r in mine] == [billed[1].pk] and n == 1
