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


def test_where_its_fund_has_room_the_demo_puts_a_fee_up_for_the_fund_manager(db):
    """A demo of a few hundred people has too small a fund for a fee above the threshold; where the
    budget and the bank have room, a second manager puts one up and the region's admin decides it."""
    from decimal import Decimal

    from ltci.accounts.models import User
    from ltci.accounts.roles import Role
    from ltci.accounts.services import create_user
    from ltci.dualcontrol.models import Request, RequestStatus
    from ltci.dualcontrol.services import may_decide
    from ltci.fund import demo
    from ltci.fund.budget import set_budget
    from ltci.regions.models import Region

    from .conftest import income

    today = timezone.localdate()
    xuzhou = Region.objects.get(pk="xuzhou")
    admin = create_user(username="xuzhou.bureau_admin", password=None, role=Role.BUREAU_ADMIN, region=xuzhou,
                        full_name="医保局", is_demo=True)
    set_budget("xuzhou", today.year, {"5201": "5000.00"}, None)
    income(xuzhou, today.replace(month=1, day=2), "50000.00")
    assert demo._one_awaiting("xuzhou", admin, today) == 0  # 5,000 of budget: no room for 10,800
    assert not User.objects.filter(username="xuzhou.bureau_admin.2").exists() and not Request.objects.exists()
    set_budget("xuzhou", today.year, {"5201": "20000.00"}, None)
    assert demo._one_awaiting("xuzhou", admin, today) == 1
    req = Request.objects.get()
    assert req.status == RequestStatus.PENDING and req.amount == Decimal("10800.00")
    assert req.made_by.username == "xuzhou.bureau_admin.2" and may_decide(admin, req)
