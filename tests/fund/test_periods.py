"""Accounting periods: months close in order, a closed month takes no journal and is never reopened,
and what arrives late for a closed month is booked in the first open one."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from ltci.audit.models import Action, AuditEvent
from ltci.contributions.billing import start_billing
from ltci.contributions.payments import PaymentItem, record_payment, record_payments
from ltci.fund import periods
from ltci.fund.models import Journal, Period
from ltci.fund.services import post_many
from tests.conftest import make_person

from .conftest import book, income

D = Decimal


def test_month_helpers():
    assert periods.month_start(date(2025, 3, 31)) == date(2025, 3, 1)
    assert periods.next_month(date(2025, 12, 1)) == date(2026, 1, 1)
    assert periods.month_end(date(2024, 2, 1)) == date(2024, 2, 29)


def test_without_periods_every_month_is_open(xuzhou):
    assert not periods.is_closed(xuzhou.pk, date(2025, 1, 1))
    assert periods.first_open_month(xuzhou.pk, date(2025, 1, 17)) == date(2025, 1, 1)


def test_months_close_in_order(xuzhou, manager):
    income(xuzhou, date(2025, 1, 10), "100.00")
    income(xuzhou, date(2025, 3, 5), "50.00")
    with pytest.raises(ValidationError) as exc:
        periods.close(xuzhou.pk, date(2025, 3, 1), manager)
    assert "请先结账2025年1月" in exc.value.message_dict["month"][0]
    periods.close(xuzhou.pk, date(2025, 1, 1), manager)
    # February has no journal: March may close, and February closes with it.
    period = periods.close(xuzhou.pk, date(2025, 3, 1), manager)
    assert period.month == date(2025, 3, 1) and period.closed_by == manager
    assert Period.objects.get(region=xuzhou, month=date(2025, 2, 1)).closed_at is not None
    assert periods.is_closed(xuzhou.pk, date(2025, 2, 14))
    assert periods.first_open_month(xuzhou.pk, date(2025, 1, 20)) == date(2025, 4, 1)
    assert periods.first_open_month(xuzhou.pk, date(2025, 6, 2)) == date(2025, 6, 1)


def test_the_first_close_closes_the_empty_months_since_the_scheme_began(xuzhou, manager):
    periods.close(xuzhou.pk, date(2025, 2, 1), manager)
    months = set(Period.objects.filter(region=xuzhou, closed_at__isnull=False).values_list("month", flat=True))
    assert min(months) == date(2022, 1, 1)  # Xuzhou's first policy version
    assert len(months) == 12 * 3 + 2
    # So every month up to the close reads closed, by its own row and by the books alike.
    assert all(periods.is_closed(xuzhou.pk, m) for m in months)


def test_a_month_that_has_not_ended_or_is_closed_cannot_be_closed(xuzhou, manager):
    with pytest.raises(ValidationError, match="尚未结束"):
        periods.close(xuzhou.pk, date.today().replace(day=1).replace(year=date.today().year + 1), manager)
    periods.close(xuzhou.pk, date(2025, 5, 1), manager)
    with pytest.raises(ValidationError) as exc:
        periods.close(xuzhou.pk, date(2025, 4, 1), manager)
    assert "已结账" in exc.value.message_dict["month"][0]


def test_posting_into_a_closed_month_is_refused_naming_posted_on(xuzhou, manager):
    periods.close(xuzhou.pk, date(2025, 5, 1), manager)
    with pytest.raises(ValidationError) as exc:
        income(xuzhou, date(2025, 5, 31), "10.00")
    assert "已结账" in exc.value.message_dict["posted_on"][0] and "2025年6月" in exc.value.message_dict["posted_on"][0]
    with pytest.raises(ValidationError) as exc:  # before the close too: it would change closed balances
        income(xuzhou, date(2024, 1, 2), "10.00")
    assert "posted_on" in exc.value.message_dict
    income(xuzhou, date(2025, 6, 1), "10.00")
    assert Journal.objects.filter(region=xuzhou).count() == 1


def test_post_many_refuses_all_when_one_is_in_a_closed_month(xuzhou, manager):
    from ltci.fund import accounts
    from ltci.fund.services import Entry

    periods.close(xuzhou.pk, date(2025, 5, 1), manager)
    entries = [Entry(accounts.BANK, debit=D("1.00")), Entry("4101", credit=D("1.00"))]
    batch = [{"region_id": "xuzhou", "key": f"k{n}", "posted_on": on, "kind": "test", "memo": "m", "source": xuzhou,
              "entries": entries} for n, on in enumerate((date(2025, 7, 1), date(2025, 5, 2)))]
    with pytest.raises(ValidationError) as exc:
        post_many(batch)
    assert "posted_on" in exc.value.message_dict
    assert not Journal.objects.exists()
    assert post_many(batch, into_open_month=True) == 2
    assert sorted(Journal.objects.values_list("posted_on", flat=True)) == [date(2025, 6, 1), date(2025, 7, 1)]


def test_closing_is_audited(xuzhou, manager):
    income(xuzhou, date(2025, 1, 10), "100.00")
    period = periods.close(xuzhou.pk, date(2025, 1, 1), manager)
    event = AuditEvent.objects.filter(action=Action.TRANSITION, object_type="fund.period").get()
    assert event.object_id == str(period.pk) and event.actor == manager and event.region_id == "xuzhou"
    assert event.detail["month"] == "2025-01" and event.detail["journals"] == 1


def test_a_closed_period_is_never_reopened_whatever_the_client(xuzhou, manager):
    period = periods.close(xuzhou.pk, date(2025, 1, 1), manager)
    with pytest.raises(DatabaseError, match="never reopened"):
        with transaction.atomic():
            Period.objects.filter(pk=period.pk).update(closed_at=None)
    assert Period.objects.get(pk=period.pk).closed_at is not None


def test_a_payment_recorded_after_its_month_closed_is_booked_in_the_first_open_month(xuzhou, manager):
    person = make_person(xuzhou, 7)
    other = make_person(xuzhou, 8, name="李建国")
    start_billing(xuzhou, "2025")
    book(xuzhou, date(2025, 2, 3), *_income_entries("5.00"))
    periods.close(xuzhou.pk, date(2025, 2, 1), manager)
    payment = record_payment(person, period="2025", payer="individual", channel="personal_account",
                             amount=D("20.00"), reference="PA-LATE", paid_on=date(2025, 2, 20))
    journal = Journal.objects.get(key=f"payment:{payment.pk}")
    assert payment.paid_on == date(2025, 2, 20)  # the record keeps when the money arrived
    assert journal.posted_on == date(2025, 3, 1) and "补记2025-02-20" in journal.memo
    record_payments([PaymentItem(other.pk, "xuzhou", "2025", "individual", "personal_account", D("20.00"), "PB-LATE",
                                 date(2025, 1, 31))])
    assert Journal.objects.filter(kind="contribution", posted_on=date(2025, 3, 1)).count() == 2


def _income_entries(amount):
    from ltci.fund import accounts
    from ltci.fund.services import Entry

    return Entry(accounts.BANK, debit=D(amount)), Entry("4101", credit=D(amount))


def test_the_months_list_shows_each_month_with_its_state(xuzhou, manager):
    income(xuzhou, date(2026, 8, 3), "1.00")
    income(xuzhou, date(2026, 8, 9), "1.00")
    periods.close(xuzhou.pk, date(2026, 8, 1), manager)
    rows = periods.months(xuzhou.pk, date(2026, 10, 15))
    assert [r["label"] for r in rows[:3]] == ["2026年10月", "2026年9月", "2026年8月"]
    august = rows[2]
    assert august["closed"] and august["journals"] == 2 and august["closed_by"] == manager
    assert not rows[0]["closed"] and not rows[0]["ended"] and rows[1]["ended"]
