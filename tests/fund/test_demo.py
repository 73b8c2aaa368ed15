"""The demo's fund: this year's budget and fees, Nanning's agency fees within its cap, books that
pass the check; a re-run adds nothing."""

from datetime import date

from django.core.management import call_command
from django.utils import timezone

from ltci.fund import ledger
from ltci.fund.fees import agency_room
from ltci.fund.models import Budget, Fee, Journal


def test_the_demo_fund_is_within_the_cap_and_passes_the_check(db):
    call_command("demo", region=["nanning"], insured=40, seed=5)
    year = timezone.localdate().year
    lines = dict(Budget.objects.filter(region_id="nanning", year=year).values_list("account", "amount"))
    assert {"4101", "4102", "5101", "5202"} <= set(lines) and all(v > 0 for v in lines.values())
    fees = Fee.objects.filter(region_id="nanning")
    if timezone.localdate() >= date(year, 2, 25):
        assert fees.filter(kind="agency").exists() and fees.filter(kind="assessment").exists()
    room = agency_room("nanning", year)
    assert room.spent <= room.limit and room.spent == sum(f.amount for f in fees.filter(kind="agency"))
    result = ledger.check("nanning")
    assert result.ok, result.problems
    counts = (Budget.objects.count(), Fee.objects.count(), Journal.objects.count())
    call_command("demo", region=["nanning"], insured=40, seed=5)
    assert (Budget.objects.count(), Fee.objects.count(), Journal.objects.count()) == counts
