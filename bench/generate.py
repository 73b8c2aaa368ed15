"""Synthetic Parquet inputs for the batch benchmarks.

    python -m bench.generate contribution var/bench/jiaxing.parquet --rows 4220000 --seed 1
    python -m bench.generate benefit var/bench/xuzhou.parquet --rows 1000000 --month 2023-05

Everything is vectorised in Polars (no per-row Python, no NumPy). Randomness is a counter-based
SplitMix64 hash of (seed, stream, row index) computed with wrapping UInt64 expressions, so a file
depends only on its arguments (and not on thread count, chunking or the Polars RNG).
Money columns are exact decimals built from integer fen.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import sys
import time
from pathlib import Path

import polars as pl

# The same SplitMix64 hashing as the fund projection's random numbers (wrapping UInt64 arithmetic).
from ltci.projection.rng import _GOLDEN, _U64, _lit, _mix, _shr

__all__ = ["contribution_input", "benefit_input", "employee_contribution_input", "jiaxing_benefit_input"]

_EPOCH = dt.date(1970, 1, 1)
# Reference date for the ages of the contribution population (the default `on` of the benchmark).
CONTRIBUTION_REFERENCE = dt.date(2023, 1, 1)
PERSON_ID_BASE = 330_400_000_000  # looks like a Jiaxing/Xuzhou-style id, stays far from int64 limits


def _uniform(seed: int, stream: int) -> pl.Expr:
    """A uniform float in [0, 1) per row of a frame with a UInt64 row index column `_i`."""
    key = _mix(_lit(seed * 0x632BE59BD9B4E019 + stream * 0xD1B54A32D192ED03 + 1))
    z = _mix(pl.col("_i") * _lit(_GOLDEN) + key)
    return _shr(z, 11).cast(pl.Float64) * (1.0 / (1 << 53))


def _pick(u: pl.Expr, choices: list[tuple[str | None, float]]) -> pl.Expr:
    """Categorical draw: `choices` are (value, share); shares are normalised."""
    total = sum(p for _, p in choices)
    acc = 0.0
    expr = None
    for value, p in choices[:-1]:
        acc += p / total
        expr = (pl.when(u < acc) if expr is None else expr.when(u < acc)).then(pl.lit(value, dtype=pl.String))
    last = pl.lit(choices[-1][0], dtype=pl.String)
    return last if expr is None else expr.otherwise(last)


def _date_from_days(days: pl.Expr) -> pl.Expr:
    return days.cast(pl.Int32).cast(pl.Date)


def _days(d: dt.date) -> int:
    return (d - _EPOCH).days


def _fen_to_decimal(fen: pl.Expr) -> pl.Expr:
    """Integer fen -> Decimal(12, 2) yuan, exactly."""
    return (fen.cast(pl.Decimal(14, 0)) * pl.lit("0.01").str.to_decimal(scale=2)).cast(pl.Decimal(12, 2))


def _groups(pairs: list[tuple[str, pl.Expr]]) -> pl.Expr:
    """list[str] of the group names whose condition holds (empty list when none)."""
    return pl.concat_list(
        [pl.when(cond).then(pl.lit(name, dtype=pl.String)).otherwise(pl.lit(None, dtype=pl.String)) for name, cond in pairs]
    ).list.drop_nulls()


def _frame(rows: int) -> pl.LazyFrame:
    return pl.LazyFrame({"_i": pl.int_range(0, rows, dtype=_U64, eager=True)})


def _write(lf: pl.LazyFrame, path: str | Path) -> int:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df = lf.collect()
    df.write_parquet(path)
    return df.height


def contribution_input(path: str | Path, rows: int = 4_220_000, seed: int = 1, employee_share: float = 0.45) -> int:
    """Write a Jiaxing-like insured population to `path`; return the number of rows.

    Columns: person_id int64, scheme str, category str (null for residents), birth_date date,
    groups list[str], base decimal(12,2) (null for residents), pension decimal(12,2) (retired only).
    """
    u = lambda stream: _uniform(seed, stream)  # noqa: E731
    ref = _days(CONTRIBUTION_REFERENCE)
    lf = _frame(rows).with_columns(
        scheme=pl.when(u(1) < employee_share).then(pl.lit("employee")).otherwise(pl.lit("resident")),
        # ages 0..100 skewed old: density ~ age^0.54, mean ~65
        age_days=(u(2).pow(0.65) * (100.0 * 365.2425)).floor().cast(pl.Int64),
    ).with_columns(
        category=pl.when(pl.col("scheme") == "employee").then(
            _pick(u(3), [("in_service", 0.62), ("retired", 0.28), ("flexible", 0.08), ("unemployed", 0.02)])
        ),
        birth_date=_date_from_days(pl.lit(ref) - pl.col("age_days")),
    ).with_columns(
        groups=_groups([
            ("medical_aid", u(10) < 0.03),
            ("severe_disability", u(11) < 0.012),
            ("family_planning", u(12) < 0.01),
            # pupils and students: residents aged 3-24
            ("student", (pl.col("scheme") == "resident")
             & pl.col("age_days").is_between(3 * 365, 25 * 365 - 1)
             & (u(13) < 0.7)),
            ("hardship_retiree", (pl.col("category") == "retired") & (u(14) < 0.02)),
        ]),
        # monthly base 3000.00-30000.00, skewed low (mean ~9750)
        base=pl.when(pl.col("scheme") == "employee").then(
            _fen_to_decimal(pl.lit(300_000) + (u(20).pow(3.0) * 2_700_000).floor().cast(pl.Int64))
        ),
        pension=pl.when(pl.col("category") == "retired").then(
            _fen_to_decimal(pl.lit(200_000) + (u(21).pow(1.5) * 700_000).floor().cast(pl.Int64))
        ),
        person_id=(pl.col("_i").cast(pl.Int64) + PERSON_ID_BASE),
    ).select(
        "person_id",
        pl.col("scheme").cast(pl.String),
        pl.col("category").cast(pl.String),
        "birth_date",
        "groups",
        pl.col("base").cast(pl.Decimal(12, 2)),
        pl.col("pension").cast(pl.Decimal(12, 2)),
    )
    return _write(lf, path)


def employee_contribution_input(path: str | Path, rows: int = 4_220_000, seed: int = 1) -> int:
    """The same population, employees only: Nanning's scheme covers employees (三(一))."""
    return contribution_input(path, rows, seed, employee_share=1.0)


def _month_bounds(month: str) -> tuple[dt.date, int]:
    year, mon = (int(x) for x in month.split("-"))
    return dt.date(year, mon, 1), calendar.monthrange(year, mon)[1]


def jiaxing_benefit_input(path: str | Path, rows: int = 1_000_000, seed: int = 1, month: str = "2023-05") -> int:
    """Write Jiaxing-like person-months of `month`: severe grades, institutional or home care with
    its eligible cost (500.00 to 6,000.00 yuan), the same care periods, stays and deaths."""
    u = lambda stream: _uniform(seed + 2_000_003, stream)  # noqa: E731
    return _write(_benefit_frame(rows, seed, month, keep_index=True).with_columns(
        grade=_pick(u(1), [("severe_1", 0.45), ("severe_2", 0.35), ("severe_3", 0.20)]),
        mode=_pick(u(2), [("institution_care", 0.30), ("institution_medical", 0.10), ("home_care", 0.60)]),
        groups=pl.lit([], dtype=pl.List(pl.String)),
        cost=_fen_to_decimal(pl.lit(50_000) + (u(3) * 550_000).floor().cast(pl.Int64)),
        days=pl.lit(None, dtype=pl.Int32), family_days=pl.lit(None, dtype=pl.Int32),
        carer_trained=pl.lit(None, dtype=pl.Boolean),
    ).drop("_i"), path)


def benefit_input(path: str | Path, rows: int = 1_000_000, seed: int = 1, month: str = "2023-05") -> int:
    """Write Xuzhou-like person-months of `month` to `path`; return the number of rows."""
    return _write(_benefit_frame(rows, seed, month), path)


def _benefit_frame(rows: int, seed: int, month: str, keep_index: bool = False) -> pl.LazyFrame:
    """Xuzhou-like person-months of `month`.

    Columns: person_id int64, grade str, groups list[str], mode str, care_from date, care_to date,
    days int32, cost decimal(12,2), items_cost decimal(12,2), visits int32, family_days int32,
    carer_trained bool, suspended_days int32, death_day date.
    """
    u = lambda stream: _uniform(seed + 1_000_003, stream)  # noqa: E731  (independent of contribution_input)
    start, dim = _month_bounds(month)
    d0 = _days(start)
    i32 = pl.Int32
    per_diem = pl.col("mode").is_in(["institution_care", "institution_medical"])
    lf = _frame(rows).with_columns(
        grade=_pick(u(1), [("moderate", 0.30), ("severe_1", 0.30), ("severe_2", 0.25), ("severe_3", 0.15)]),
        mode=_pick(u(2), [("institution_care", 0.22), ("institution_medical", 0.13), ("home_visit", 0.25),
                          ("home_combined", 0.35), ("remote_cash", 0.05)]),
        part=u(3) < 0.10,
        no_dates=u(4) < 0.02,  # care period left out: the whole month
    ).with_columns(
        # day-of-month numbers 1..dim
        f=pl.when(pl.col("part")).then((u(5) * dim).floor().cast(pl.Int64) + 1).otherwise(1),
    ).with_columns(
        t=pl.when(pl.col("part"))
        .then(pl.col("f") + (u(6) * (dim - pl.col("f") + 1)).floor().cast(pl.Int64))
        .otherwise(dim),
    ).with_columns(
        length=pl.col("t") - pl.col("f") + 1,
        death=pl.when(u(7) < 0.01).then(pl.col("f") + (u(8) * (dim - pl.col("f") + 1)).floor().cast(pl.Int64)),
    ).with_columns(
        # days of the care period strictly before the day of death (all of it when alive)
        before_death=pl.when(pl.col("death").is_null()).then(pl.col("length"))
        .otherwise(pl.min_horizontal(pl.col("t") + 1, pl.col("death")) - pl.col("f")),
    ).with_columns(
        person_id=pl.col("_i").cast(pl.Int64) + PERSON_ID_BASE,
        groups=_groups([
            ("student", u(10) < 0.03),
            ("medical_aid", u(11) < 0.05),
            ("severe_disability", u(12) < 0.08),
            ("family_planning", u(13) < 0.02),
            # Remote cash is for members with a filed residence elsewhere (Xuzhou 五(三)2(3)).
            ("remote_resident", pl.col("mode") == "remote_cash"),
        ]),
        care_from=pl.when(~pl.col("no_dates") | pl.col("part")).then(_date_from_days(d0 - 1 + pl.col("f"))),
        care_to=pl.when(~pl.col("no_dates") | pl.col("part")).then(_date_from_days(d0 - 1 + pl.col("t"))),
        days=pl.when(per_diem & (u(14) < 0.20))
        .then((u(15) * pl.col("length")).floor().cast(pl.Int64) + 1).cast(i32),
        cost=pl.lit(None, dtype=pl.Decimal(12, 2)),
        items_cost=pl.lit(None, dtype=pl.Decimal(12, 2)),
        visits=pl.lit(None, dtype=i32),
        family_days=pl.when(pl.col("mode") == "home_combined").then(
            pl.when(u(16) < 0.85).then(pl.col("length"))
            .otherwise((u(17) * pl.col("length")).floor().cast(pl.Int64) + 1)
        ).cast(i32),
        carer_trained=pl.when(pl.col("mode") == "home_combined").then(u(18) < 0.75),
        suspended_days=pl.when(u(19) < 0.05)
        .then(pl.min_horizontal((u(20) * 10).floor().cast(pl.Int64) + 1, pl.col("before_death")))
        .otherwise(0).cast(i32),
        death_day=_date_from_days(d0 - 1 + pl.col("death")),
    ).select(
        "person_id", "grade", "groups", "mode", "care_from", "care_to", "days", "cost", "items_cost",
        "visits", "family_days", "carer_trained", "suspended_days", "death_day", *(["_i"] if keep_index else []),
    )
    return lf


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    c = sub.add_parser("contribution", help="Jiaxing-like insured population")
    c.add_argument("path")
    c.add_argument("--rows", type=int, default=4_220_000)
    c.add_argument("--seed", type=int, default=1)
    b = sub.add_parser("benefit", help="Xuzhou-like person-months")
    b.add_argument("path")
    b.add_argument("--rows", type=int, default=1_000_000)
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--month", default="2023-05")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    if args.what == "contribution":
        n = contribution_input(args.path, rows=args.rows, seed=args.seed)
    else:
        n = benefit_input(args.path, rows=args.rows, seed=args.seed, month=args.month)
    dt_s = time.perf_counter() - t0
    print(f"{args.path}: {n} rows in {dt_s:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
