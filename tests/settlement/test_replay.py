"""A settled month replayed under a draft (issue 18): under the current parameters it gives what was
booked to the fen, person by person and institution by institution; under a draft that cuts the
benefit shares it pays less; nothing is booked either way."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Max
from openpyxl import load_workbook

from ltci.fund.drafts import current_text, scaled_draft
from ltci.settlement.models import Line
from ltci.settlement.replay import replay

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled():
    call_command("demo", region=["xuzhou"], insured=300, seed=2026, stdout=StringIO())
    month = Line.objects.filter(claim__region_id="xuzhou").aggregate(m=Max("service_month"))["m"]
    assert month is not None  # the demo settles its past months
    return month


def test_a_replay_under_the_current_parameters_reproduces_the_booked_month_to_the_fen(settled):
    lines = Line.objects.count()
    r = replay("xuzhou", settled, current_text("xuzhou", settled))
    assert r.people and all(v[0] == v[2] and v[1] == v[3] for v in r.people.values())
    assert all(b == d for b, d in r.institutions.values())
    t = r.totals()
    assert t["fund_difference"] == 0 and t["people_changed"] == 0 and t["booked_fund"] > 0
    assert Line.objects.count() == lines


def test_a_draft_cutting_the_benefit_shares_pays_less_and_books_nothing(settled, tmp_path):
    draft, changed = scaled_draft(current_text("xuzhou", settled), "benefit", Decimal("0.8"))
    assert changed
    path = tmp_path / "draft.toml"
    path.write_text(draft, encoding="utf-8")
    lines = Line.objects.count()
    out, book = StringIO(), tmp_path / "replay.xlsx"
    call_command("reform", "replay", "--region", "xuzhou", "--month", f"{settled:%Y-%m}", str(path), "--out", str(book),
                 stdout=out)
    text = out.getvalue()
    assert "基金支付：已结算" in text and "差额 -" in text and Line.objects.count() == lines
    wb = load_workbook(book)
    assert wb.sheetnames == ["合计", "按机构", "按人员"]
    totals = dict(list(wb["合计"].values))
    assert totals["基金支付差额"] < 0 and totals["按草案基金支付"] < totals["已结算基金支付"]
    people = list(wb["按人员"].values)[1:]
    assert people and all("*" in row[1] for row in people)  # ID numbers masked
    assert sum(Decimal(str(row[4])) for row in people) == Decimal(str(totals["基金支付差额"]))


def test_a_draft_the_engine_cannot_read_is_refused(settled, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[benefit\n", encoding="utf-8")
    with pytest.raises(Exception) as exc:
        call_command("reform", "replay", "--region", "xuzhou", "--month", f"{settled:%Y-%m}", str(path), stdout=StringIO())
    assert "TOML 格式错误" in str(exc.value)


def test_the_replay_reads_the_facts_the_month_was_settled_on(settled, settings):
    from ltci.core.models import Job, JobKind
    from ltci.settlement import facts
    from ltci.settlement.run import start_settlement
    from ltci.regions.models import Region

    kept = facts.kept("xuzhou", settled)
    if kept is None:  # the demo settled before: a run of the month keeps its facts
        start_settlement(Region.objects.get(pk="xuzhou"), f"{settled:%Y-%m}")
        kept = facts.kept("xuzhou", settled)
    assert kept is not None and kept.certificates.height > 0
    r = replay("xuzhou", settled, current_text("xuzhou", settled))
    assert r.source == "结算时的数据" and r.totals()["people_changed"] == 0
    # a later run that failed does not make its facts the month's: they are read from the database then
    Job.objects.create(kind=JobKind.SETTLEMENT, region_id="xuzhou", title="x", params={"month": f"{settled:%Y-%m}"},
                       status="done")
    assert facts.kept("xuzhou", settled) is None
    assert replay("xuzhou", settled, current_text("xuzhou", settled)).source == "数据库中的当前数据"
