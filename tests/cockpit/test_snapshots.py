"""The cockpit's figures kept between requests (docs/decisions/0027): the first asking of a period in
a day computes and keeps them, later askings answer from the snapshot, the nightly round recomputes
what people looked at, and a population entry drops the region's snapshots at once."""

import pytest

from ltci.accounts.roles import Role
from ltci.cockpit import population, scheduled
from ltci.cockpit.models import Snapshot
from ltci.core.schedule import ENTRIES

from . import data

PERIOD = f"start={data.START}&end={data.END}"


@pytest.mark.django_db
def test_a_period_is_computed_once_a_day_and_recomputed_by_the_nightly_round(world, client_for):
    home = world["home"]
    data.build(home)
    client = client_for(home.users[Role.BUREAU_ADMIN])
    first = client.get(f"/api/cockpit?{PERIOD}").json()
    assert first["computed_at"] and Snapshot.objects.filter(code="xuzhou").count() == 1
    carers = first["providers"]["certified_carers"]
    data.carer(home.region, 90, institution=home.institution)
    assert client.get(f"/api/cockpit?{PERIOD}").json()["providers"]["certified_carers"] == carers  # kept
    assert "指标计算于" in client.get(f"/cockpit/?{PERIOD}").content.decode()

    outcome = scheduled.nightly_round()
    assert outcome.startswith("计算驾驶舱指标") and "失败" not in outcome
    assert client.get(f"/api/cockpit?{PERIOD}").json()["providers"]["certified_carers"] == carers + 1
    # Every region's default period and this year's are kept too, and the schedule names the round.
    assert Snapshot.objects.filter(code="nanning").count() >= 1
    assert ENTRIES["cockpit_figures"].run == "ltci.cockpit.scheduled:nightly_round"


@pytest.mark.django_db
def test_a_population_entry_drops_the_regions_snapshots(world, client_for):
    home = world["home"]
    data.build(home)
    client = client_for(home.users[Role.BUREAU_ADMIN])
    assert client.get(f"/api/cockpit?{PERIOD}").json()["insured"]["residents"] is None
    population.record("xuzhou", home.users[Role.BUREAU_ADMIN], year=int(data.END[:4]), residents=800, elderly_60=200,
                      source="年鉴")
    assert client.get(f"/api/cockpit?{PERIOD}").json()["insured"]["residents"] == 800
