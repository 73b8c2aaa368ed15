"""The projection's closed forms (issue 18): stationary population, zero incidence, the first year
against the last settled one, determinism, and cells against the policy engine on person rows."""

import math
from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest

from ltci.policy.batch import contribution_frame
from ltci.projection.assumptions import AssumptionsError, load
from ltci.projection.model import _grid, _mortality, cell_contributions, cells, project
from ltci.policy.regions import PARAMS_DIR

from .helpers import ON, constant, inputs, stationary_assumptions, stationary_register

Q = 0.05
GRADES = ("severe_1", "severe_2", "severe_3")


def _equilibrium_certificates(n0: float, incidence: float, h: float) -> pl.DataFrame:
    """Beneficiaries at the stock where those leaving equal those entering: λ / (1 − e^−h) per grade."""
    lam = incidence * n0 / Q
    stock = round(lam / (1 - math.exp(-h)))
    rows, pid = [], 0
    for g in GRADES:
        for _ in range(stock):
            pid += 1
            rows.append((pid, g, True, 85, ON - timedelta(days=4 * 366), ON + timedelta(days=600)))  # before the window
    return pl.DataFrame(rows, orient="row", schema={"person_id": pl.Int64, "grade": pl.String, "qualifies": pl.Boolean,
                                                   "age": pl.Int64, "valid_from": pl.Date, "valid_to": pl.Date})


def _settled_year(certs: pl.DataFrame, fund_fen: int = 150_000, cost_fen: int = 250_000) -> pl.DataFrame:
    months = [date(2026, m, 1) for m in range(1, 12)] + [date(2025, 12, 1)]
    return certs.select("person_id", "grade").join(pl.DataFrame({"service_month": months}), how="cross").with_columns(
        pl.lit("home_care").alias("mode"), pl.lit(fund_fen, pl.Int64).alias("fund"), pl.lit(cost_fen, pl.Int64).alias("cost"),
        pl.lit(30, pl.Int64).alias("days"), pl.lit(0, pl.Int64).alias("visits"), pl.lit(0, pl.Int64).alias("family_days"))


def test_a_stationary_population_with_constant_rates_gives_constant_flows():
    n0, inc, h = 2000.0, 0.002, 0.4
    certs = _equilibrium_certificates(n0, inc, h)
    data = inputs(stationary_register(Q, n0), certificates=certs, settled=_settled_year(certs))
    result = project(data, stationary_assumptions("jiaxing", Q, incidence=str(inc), exit_rate=str(h)), years=10)
    first = result.years[0]
    assert first["insured"]["p50"] == pytest.approx(n0 / Q, rel=1e-9)
    assert first["contributions"]["total"]["p50"] == pytest.approx(120 * n0 / Q, rel=1e-9)  # 30 + 90 a resident
    for y in result.years:
        assert y["insured"]["p50"] == pytest.approx(first["insured"]["p50"], rel=1e-9)
        assert y["contributions"]["total"]["p50"] == pytest.approx(first["contributions"]["total"]["p50"], rel=1e-9)
        for g in GRADES:
            assert y["new_disability"][g]["p50"] == pytest.approx(inc * n0 / Q, rel=1e-9)
            assert y["beneficiaries"][g]["p50"] == pytest.approx(first["beneficiaries"][g]["p50"], rel=1e-2)
        assert y["benefits"]["total"]["p50"] == pytest.approx(first["benefits"]["total"]["p50"], rel=1e-2)
        assert y["agency_fees"]["p50"] == pytest.approx(first["agency_fees"]["p50"], rel=1e-9)
    # The balance then moves by the same amount every year.
    steps = [b["balance"]["p50"] - a["balance"]["p50"] for a, b in zip(result.years, result.years[1:])]
    assert max(steps) - min(steps) == pytest.approx(0, abs=abs(steps[0]) * 2e-2 + 1)


def test_zero_incidence_gives_zero_benefits():
    a = stationary_assumptions("xuzhou", Q, incidence="0")
    data = inputs(stationary_register(Q, 1000.0), region="xuzhou")
    result = project(data, a, years=10, runs=50, seed=7)
    for y in result.years:
        assert all(v["p95"] == 0 for v in y["new_disability"].values())
        assert y["benefits"]["total"]["p95"] == 0
        assert y["cover_months"] is None  # nothing spent: no months to count
    assert result.first_below["share_of_runs"] == 0


def test_the_first_projected_year_agrees_with_the_last_settled_year_within_the_band():
    n0, inc, h = 2000.0, 0.002, 0.4
    certs = _equilibrium_certificates(n0, inc, h)
    settled = _settled_year(certs)
    data = inputs(stationary_register(Q, n0), certificates=certs, settled=settled)
    a = stationary_assumptions("jiaxing", Q, incidence=str(inc), exit_rate=str(h))
    result = project(data, a, years=2, runs=300, seed=11)
    paid = settled["fund"].sum() / 100
    band = result.years[0]["benefits"]["total"]
    assert band["p5"] <= paid <= band["p95"]
    assert band["p5"] < band["p95"]  # a real band
    central = project(data, stationary_assumptions("jiaxing", Q, incidence=str(inc), exit_rate=str(h)), years=1)
    assert central.years[0]["benefits"]["total"]["p50"] == pytest.approx(paid, rel=2e-2)


def test_deterministic_given_a_seed():
    data = inputs(stationary_register(Q, 1000.0), region="xuzhou")
    one = project(data, stationary_assumptions("xuzhou", Q), years=5, runs=40, seed=3).as_dict()
    two = project(data, stationary_assumptions("xuzhou", Q), years=5, runs=40, seed=3).as_dict()
    other = project(data, stationary_assumptions("xuzhou", Q), years=5, runs=40, seed=4).as_dict()
    assert one == two
    assert one["years"] != other["years"]


def _people(n: int) -> pl.DataFrame:
    ids = list(range(1, n + 1))
    return pl.DataFrame({
        "person_id": ids,
        "scheme": ["employee" if i % 3 else "resident" for i in ids],
        "category": [("in_service", "retired", "flexible", "unemployed")[i % 4] if i % 3 else None for i in ids],
        "sex": ["M" if i % 2 else "F" for i in ids],
        "age": [(i * 7) % 100 for i in ids],
        "groups": [["medical_aid"] if i % 11 == 0 else (["hardship_retiree"] if i % 13 == 0 else []) for i in ids],
        "base": [300_000 + (i * 7919) % 2_000_000 if i % 3 else None for i in ids],
        "pension": [200_000 + (i * 104_729) % 600_000 if i % 3 else None for i in ids],
    }, schema_overrides={"category": pl.String, "base": pl.Int64, "pension": pl.Int64})


@pytest.mark.parametrize("region", ["xuzhou", "jiaxing", "nanzheng", "nanning"])
def test_cells_give_the_policy_engines_contributions_on_the_person_rows(region):
    people = _people(3000)
    if region in ("nanning", "nanzheng"):
        people = people.filter(pl.col("scheme") == "employee")
    on = date(2027, 1, 1)
    as_yuan = lambda c: (pl.col(c).cast(pl.Decimal(16, 0)) * pl.lit(Decimal("0.01"))).cast(pl.Decimal(14, 2))  # noqa: E731
    rows = people.with_columns(as_yuan("base"), as_yuan("pension"))
    engine = contribution_frame(rows.lazy(), region, on, PARAMS_DIR, carry_over=True).collect()
    a = load(region)
    grid = _grid(cells(people), a, _mortality(a), {"M": 60, "F": 55}, [0, 60])
    per_cell, per_year = cell_contributions(grid, region, on, PARAMS_DIR)
    rate = region == "nanning"
    for payer in ("individual", "employer", "medical_fund", "fiscal"):
        want = float(engine[payer].cast(pl.Float64).sum()) * per_year
        got = float((per_cell[payer] * grid["count"]).sum())
        if rate:  # one rounding per cell instead of per person: at most one fen a person a month
            assert got == pytest.approx(want, abs=people.height * 0.01 * per_year)
        else:
            assert got == pytest.approx(want, abs=1e-6)
    assert grid["count"].sum() == people.height


def test_every_assumption_needs_its_source(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[entry_rate]\nvalue = "0.02"\n', encoding="utf-8")
    with pytest.raises(AssumptionsError, match="source"):
        load("jiaxing", path)
    path.write_text('[entry_rate]\nvalue = "0.02"\nsource = "our own count"\n', encoding="utf-8")
    assert load("jiaxing", path)["entry_rate"] == "0.02"


def test_every_default_assumption_states_a_source():
    for item in load("changning").listing():
        assert item["source"].strip(), item["key"]
    constant(load("jiaxing"))  # helpers import
