"""The fund projection at Jiaxing's size (issue 18): a synthetic register of 4,220,000 insured, ten
years, 1,000 runs; prints the time and peak memory (run in its own process by bench/run.py).

    python -m bench.projection [--rows 4220000] [--years 10] [--runs 1000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from ltci.projection.assumptions import load
from ltci.projection.model import Inputs, project
from ltci.projection.rng import _uniform

ON = date(2026, 12, 1)


def register(rows: int, seed: int = 1) -> pl.DataFrame:
    """A Jiaxing-like register: 45 % employees, ages skewed old, groups in plausible shares."""
    u = lambda stream: _uniform(seed, stream)  # noqa: E731
    frame = pl.DataFrame({"_i": pl.int_range(0, rows, dtype=pl.UInt64, eager=True)})
    return frame.lazy().with_columns(
        scheme=pl.when(u(1) < 0.45).then(pl.lit("employee")).otherwise(pl.lit("resident")),
        age=(u(2).pow(0.65) * 100).floor().cast(pl.Int64),
        sex=pl.when(u(5) < 0.5).then(pl.lit("M")).otherwise(pl.lit("F")),
    ).with_columns(
        category=pl.when(pl.col("scheme") == "employee").then(
            pl.when(pl.col("age") >= 60).then(pl.lit("retired")).when(u(3) < 0.85).then(pl.lit("in_service"))
            .when(u(3) < 0.97).then(pl.lit("flexible")).otherwise(pl.lit("unemployed"))),
        groups=pl.concat_list(
            pl.when(u(10) < 0.03).then(pl.lit("medical_aid")),
            pl.when(u(11) < 0.012).then(pl.lit("severe_disability")),
            pl.when((pl.col("scheme") == "resident") & pl.col("age").is_between(3, 24) & (u(13) < 0.7)).then(pl.lit("student")),
        ).list.drop_nulls(),
        base=pl.when(pl.col("scheme") == "employee").then(300_000 + (u(20).pow(3.0) * 2_700_000).floor().cast(pl.Int64)),
        pension=pl.when(pl.col("scheme") == "employee").then(200_000 + (u(21).pow(1.5) * 700_000).floor().cast(pl.Int64)),
    ).drop("_i").collect()


def inputs(rows: int, region: str = "jiaxing") -> Inputs:
    reg = register(rows)
    # Beneficiaries today: 1 % of those 80+, certificates from a year ago; settled months of the last year.
    old = reg.with_row_index("person_id").filter(pl.col("age") >= 80).with_columns(pl.col("person_id").cast(pl.Int64))
    ben = old.filter(pl.col("person_id") % 100 == 0)
    grades = ["severe_1", "severe_2", "severe_3"]
    certs = ben.select("person_id", pl.col("age"), pl.lit(True).alias("qualifies"),
                       pl.col("person_id").mod(3).replace_strict({0: grades[0], 1: grades[1], 2: grades[2]}).alias("grade"),
                       pl.lit(ON - timedelta(days=300)).alias("valid_from"), pl.lit(ON + timedelta(days=430)).alias("valid_to"))
    months = pl.date_range(date(2025, 12, 1), date(2026, 11, 1), "1mo", eager=True)
    modes = ["institution_care", "institution_medical", "home_care"]
    settled = certs.select("person_id", "grade").join(pl.DataFrame({"service_month": months}), how="cross").with_columns(
        pl.col("person_id").mod(len(modes)).replace_strict(dict(enumerate(modes))).alias("mode"),
        pl.lit(300_000, pl.Int64).alias("cost"), pl.lit(30, pl.Int64).alias("days"), pl.lit(0, pl.Int64).alias("visits"),
        pl.lit(0, pl.Int64).alias("family_days")).with_columns(
        pl.when(pl.col("mode") == "home_care").then(120_000).when(pl.col("mode") == "institution_care")
        .then(210_000).otherwise(168_000).cast(pl.Int64).alias("fund"))
    deaths = pl.DataFrame(schema={"person_id": pl.Int64, "died_on": pl.Date})
    yearly = Decimal(120) * rows
    return Inputs(region, ON, reg, certs, deaths, settled, yearly, contributions_last_year=yearly,
                  agency_fees_last_year=yearly * Decimal("0.03"))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=4_220_000)
    p.add_argument("--years", type=int, default=10)
    p.add_argument("--runs", type=int, default=1000)
    args = p.parse_args(argv)
    started = time.perf_counter()
    data = inputs(args.rows)
    built = time.perf_counter()
    result = project(data, load(data.region), years=args.years, runs=args.runs, seed=1)
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    last = result.years[-1]
    print(f"projection: {args.rows:,} insured in {result.base_year['cells']:,} cells, {args.years} years, {args.runs:,} runs: "
          f"{done - built:.1f} s projecting (+{built - started:.1f} s building the synthetic register), peak {peak:,.0f} MB; "
          f"{last['year']} balance P50 {last['balance']['p50']:,.2f} 元")
    return 0


if __name__ == "__main__":
    sys.exit(main())
