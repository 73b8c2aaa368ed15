"""Synthetic inputs for the projection's closed-form tests."""

from datetime import date
from decimal import Decimal

import polars as pl

from ltci.projection.assumptions import Assumption, Assumptions, load
from ltci.projection.model import AMAX, Inputs

ON = date(2026, 12, 1)
EMPTY_CERTS = {"person_id": pl.Int64, "grade": pl.String, "qualifies": pl.Boolean, "age": pl.Int64,
               "valid_from": pl.Date, "valid_to": pl.Date}
EMPTY_SETTLED = {"person_id": pl.Int64, "service_month": pl.Date, "mode": pl.String, "grade": pl.String,
                 "fund": pl.Int64, "cost": pl.Int64, "days": pl.Int64, "visits": pl.Int64, "family_days": pl.Int64}


def stationary_register(q: float, n0: float, scheme: str = "resident") -> pl.DataFrame:
    """Counts n0·(1−q)^x at ages below the last and n0·(1−q)^AMAX / q in the open last age: with constant
    mortality q and entrants q·N at age 0, the population is stationary (N = n0 / q)."""
    ages = list(range(AMAX + 1))
    counts = [n0 * (1 - q) ** x for x in ages[:-1]] + [n0 * (1 - q) ** AMAX / q]
    return pl.DataFrame({"scheme": scheme, "category": None, "sex": "F", "age": ages, "groups": [[]] * len(ages),
                         "base": None, "pension": None, "count": counts},
                        schema_overrides={"category": pl.String, "base": pl.Int64, "pension": pl.Int64,
                                          "groups": pl.List(pl.String)})


def constant(a: Assumptions, **values) -> Assumptions:
    for key, value in values.items():
        a.items[key] = Assumption(key, value, "test", "test")
    return a


def stationary_assumptions(region: str, q: float, *, incidence: str = "0.01", exit_rate: str = "0.4") -> Assumptions:
    a = load(region)
    table = {"bands": [0], **{g: [incidence] for g in ("moderate", "severe_1", "severe_2", "severe_3")}}
    return constant(
        a, mortality={"ages": [0, AMAX], "male": [q, q], "female": [q, q]}, entry_rate=q, entry_max_age=0,
        exit_rate="0", base_growth="0", pension_growth="0", price_growth="0", interest_rate="0",
        incidence=table, benefit_exit_rate=exit_rate, retirement_age={"M": 200, "F": 200})


def inputs(register: pl.DataFrame, *, region: str = "jiaxing", certificates=None, settled=None,
           balance: str = "1000000", **kw) -> Inputs:
    return Inputs(region, ON, register,
                  certificates if certificates is not None else pl.DataFrame(schema=EMPTY_CERTS),
                  pl.DataFrame(schema={"person_id": pl.Int64, "died_on": pl.Date}),
                  settled if settled is not None else pl.DataFrame(schema=EMPTY_SETTLED), Decimal(balance), **kw)
