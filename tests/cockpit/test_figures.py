"""Each figure of the cockpit against data whose answer is known (tests/cockpit/data.py)."""

from datetime import date

import pytest

from ltci.accounts.roles import Role
from ltci.cockpit import population
from ltci.fund.cover import cover_ratio

from . import data


@pytest.fixture
def home(world):
    made = data.build(world["home"])
    admin = world["home"].users[Role.BUREAU_ADMIN]
    population.record("xuzhou", admin, year=2024, residents=700, elderly_60=100, source="2024年统计年鉴")
    population.record("xuzhou", admin, year=2025, residents=900, elderly_60=150, source="2025年统计年鉴")
    population.record("xuzhou", admin, year=2025, residents=800, elderly_60=200, source="2025年统计年鉴（更正）")
    return made


@pytest.fixture
def figures(world, home, client_for):
    client = client_for(world["home"].users[Role.BUREAU_ADMIN])
    response = client.get(f"/api/cockpit?start={data.START}&end={data.END}")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_period_and_its_day(figures):
    assert figures["period"] == {"start": "2025-01", "end": "2025-06", "on": "2025-06-30"}
    assert figures["region"] == "xuzhou" and figures["regions"] == ["xuzhou"]


def test_insured_and_the_coverage_rate_use_the_latest_population_entry(figures):
    insured = figures["insured"]
    assert insured["total"] == 6
    assert {s["scheme"]: s["n"] for s in insured["by_scheme"]} == {"employee": 6, "resident": 0}
    assert insured["residents"] == 800 and insured["population_years"] == [2025]
    assert insured["coverage_rate"] == "0.75"  # 6 ÷ 800 in percent, the corrected 2025 entry


def test_beneficiaries_by_grade_and_mode(figures):
    b = figures["beneficiaries"]
    assert b["total"] == 3 and b["cumulative"] == 4
    assert [(g["grade"], g["label"], g["n"]) for g in b["by_grade"]] == [
        ("severe_1", "重度失能Ⅰ级", 1), ("severe_2", "重度失能Ⅱ级", 2)]
    assert {m["mode"]: m["n"] for m in b["by_mode"]} == {"institution_care": 1, "family_care": 1, "none": 1}


def test_applications_in_the_flow_and_their_durations(figures):
    a = figures["applications"]
    assert a["submitted"] == 4 and a["concluded"] == 2
    assert {s["state"]: s["n"] for s in a["in_flow"] if s["n"]} == {"submitted": 1, "in_review": 1}
    assert a["open_total"] == 2 and a["overdue_intake"] == 1
    assert a["intake_days"] == "4.0"  # 3 and 5 days
    assert a["conclusion_days"] == "35.0"  # 40 and 30 days


def test_fund_income_spending_balance_by_month_and_cover(figures):
    f = figures["fund"]
    assert f["opening_balance"] == "50.00"
    assert [(m["month"], m["income"], m["spending"], m["balance"]) for m in f["months"]] == [
        ("2025-01", "1000.00", "0.00", "1050.00"), ("2025-02", "0.00", "0.00", "1050.00"),
        ("2025-03", "0.00", "300.25", "749.75"), ("2025-04", "0.00", "0.00", "749.75"),
        ("2025-05", "0.00", "0.00", "749.75"), ("2025-06", "0.00", "0.00", "749.75")]
    assert (f["income"], f["spending"], f["balance"]) == ("1000.00", "300.25", "749.75")
    expected = cover_ratio("xuzhou", date(2025, 6, 30))
    assert f["cover"][0]["ratio"] == str(expected.ratio) == "2.5"  # 749.75 ÷ 300.25


def test_institutions_beds_carers_per_10k_and_supply_ratio(figures):
    p = figures["providers"]
    assert p["institutions"] == 3 and p["beds"] == 60 and p["occupied_beds"] == 1
    assert {k["kind"]: (k["n"], k["beds"]) for k in p["by_kind"]} == {
        "medical": (1, 10), "elderly_care": (2, 50), "home_care": (0, 0)}
    assert p["certified_carers"] == 4 and p["family_carers"] == 1
    assert p["carers_per_10k_elderly"] == "200.0"  # 4 × 10 000 ÷ 200
    assert p["supply_ratio"] == "1:0.75" and p["supply_value"] == "1.3333"  # 4 carers : 3 beneficiaries


def test_hits_by_rule_and_cases_by_status(figures, home):
    from ltci.supervision.rulebase import RULES

    r1, r2 = home["rules"]
    s = figures["supervision"]
    assert s["hits"] == 3
    assert [(r["rule"], r["name"], r["n"]) for r in s["by_rule"]] == [(r1, RULES[r1].name, 2), (r2, RULES[r2].name, 1)]
    assert s["by_rule"][0]["by_status"] == {"new": 1, "in_case": 0, "confirmed": 1, "dismissed": 0}
    assert [r["cases"] for r in s["by_rule"]] == [1, 0]
    assert {c["status"]: c["n"] for c in s["cases"]} == {"open": 1, "confirmed": 1, "dismissed": 0}


def test_a_region_without_targets_shows_none(figures):
    assert figures["targets"] == []


@pytest.mark.django_db
def test_without_population_the_rates_say_so(world, client_for):
    client = client_for(world["home"].users[Role.BUREAU_ADMIN])
    f = client.get("/api/cockpit").json()
    assert f["insured"]["coverage_rate"] is None and f["insured"]["population_missing"] == ["徐州市"]
    assert f["providers"]["carers_per_10k_elderly"] is None
    page = client.get("/cockpit/").content.decode()
    assert "参保率：未登记人口数据" in page and "每万名老年人口：未登记人口数据" in page


def test_the_default_period_is_the_last_12_months(world, home, client_for):
    from django.utils import timezone

    from ltci.cockpit.period import add_months

    this = timezone.localdate().replace(day=1)
    f = client_for(world["home"].users[Role.BUREAU_ADMIN]).get("/api/cockpit").json()
    assert f["period"]["end"] == f"{this:%Y-%m}" and f["period"]["start"] == f"{add_months(this, -11):%Y-%m}"
    assert len(f["fund"]["months"]) == 12
