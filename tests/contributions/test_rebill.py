"""A period's contributions billed again under a draft (issue 18): under the current parameters it
gives the bills to the fen; raising the individual's flat amount by half raises what each billed
person owes by that much; nothing is billed either way."""

import os
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from ltci.contributions.billing import start_billing
from ltci.contributions.models import Bill
from ltci.contributions.rebill import rebill, totals
from ltci.fund.drafts import current_text, scaled_draft
from ltci.regions.models import Region


@pytest.fixture
def billed(enrol):
    people = [enrol("xuzhou", i, category="in_service", birth=date(1980, 1, 1), start=date(2023, 3, 1))
              for i in range(1, 4)]
    people.append(enrol("xuzhou", 4, scheme="resident", birth=date(1950, 1, 1), start=date(2023, 3, 1)))
    start_billing(Region.objects.get(pk="xuzhou"), "2025")
    return people


def test_under_the_current_parameters_the_bills_come_back_to_the_fen(billed):
    r = rebill("xuzhou", "2025", current_text("xuzhou", date(2025, 1, 1)))
    t = totals(r)
    assert t["changed"] == 0 and t["difference"] == 0 and t["billed_people"] == 4
    assert t["billed"] == sum(b.total for b in Bill.objects.filter(period="2025"))


def test_a_draft_raising_the_contributions_by_half_and_its_workbook(billed, tmp_path):
    draft, _ = scaled_draft(current_text("xuzhou", date(2025, 1, 1)), "contribution", Decimal("1.5"))
    path, book = tmp_path / "draft.toml", tmp_path / "rebill.xlsx"
    path.write_text(draft, encoding="utf-8")
    bills = Bill.objects.count()
    out = StringIO()
    call_command("reform", "rebill", "--region", "xuzhou", "--period", "2025", str(path), "--out", str(book), stdout=out)
    assert "应缴合计：已核定" in out.getvalue() and Bill.objects.count() == bills
    r = rebill("xuzhou", "2025", draft)
    t = totals(r)
    # each payer's part raised by half, unless a subsidy pays it (the 70-year-old resident)
    assert t["draft"] > t["billed"] and t["changed"] >= 3
    for payer, (was, now) in r.by_payer.items():
        assert now == was * 3 // 2 or was == 0 or payer == "fiscal"
    sheets = load_workbook(book)
    assert sheets.sheetnames == ["合计", "按缴费方", "按险种与人员类别", "应缴变化人员"]
    rows = list(sheets["应缴变化人员"].values)[1:]
    assert len(rows) == t["changed"] and all("*" in row[1] for row in rows)


def test_a_billed_person_the_draft_would_not_bill_counts_in_the_difference(billed):
    from ltci.enrolment.models import Enrolment

    gone = billed[0]
    Enrolment.objects.filter(person=gone).update(end=date(2024, 12, 31))  # left before the period
    r = rebill("xuzhou", "2025", current_text("xuzhou", date(2025, 1, 1)))
    t = totals(r)
    owed = sum(b.total for b in Bill.objects.filter(person=gone, period="2025"))
    assert t["changed"] == 1 and t["difference"] == -owed and t["billed"] == sum(b.total for b in Bill.objects.all())
    assert r.changed == [(gone.pk, int(owed * 100), 0)]


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="Spark reads the frames billing reads, whatever the database: run once, on SQLite")
def test_the_rebilling_on_spark_gives_the_same_fen(billed):
    from ltci.policy.engine import engine_for

    draft, _ = scaled_draft(current_text("xuzhou", date(2025, 1, 1)), "contribution", Decimal("1.5"))
    here = rebill("xuzhou", "2025", draft)
    with engine_for("spark", "local[2]") as spark:
        there = rebill("xuzhou", "2025", draft, spark)
    assert totals(there) == totals(here) and totals(here)["changed"] >= 3
    assert (there.by_payer, there.by_group, sorted(there.changed)) == (here.by_payer, here.by_group, sorted(here.changed))
