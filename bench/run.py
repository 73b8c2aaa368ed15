"""`make bench`: the policy engine's batches at the sizes of issue 3, against hand-written DuckDB SQL.

Each run is a separate process, timed end to end (start-up, reading Parquet, validation, rules,
writing Parquet), with its peak resident memory. The engine's output must equal DuckDB's.

Then the roster import and billing on SQLite (bench/enrolment.py), logins and writes during a roster
import (bench/import_writes.py, issue 15), 1,500 carers checking in and
out against `ltci serve` on loopback (bench/visits.py, issue 6): requests per second, latency, errors,
a month's settlement of 45,000 beneficiaries on SQLite and PostgreSQL (bench/settlement.py, issue 7),
the screening of that month's 1,500,000 visits against the rule base (bench/supervision.py, issue 8),
the cockpit's figures over a Jiaxing-sized database (bench/cockpit.py, issue 8), every page and
API list a clerk uses daily under 20 users at once over a city-sized database (bench/city.py, issue
17) on SQLite and PostgreSQL, and the fund's ten-year projection, 1,000 runs, for 4,220,000 insured
(bench/projection.py, issue 18), and the batch engine on Spark beside the Polars engine at 4,220,000
and 42,200,000 rows (bench/spark.py, issue 19).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from bench import city, cockpit, enrolment, generate, import_writes, settlement, spark, supervision, visits

ROOT = Path(__file__).resolve().parents[1]
PEAK = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)")


def measure(cmd: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """(seconds, peak MiB, its output) of a command run in its own process."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", PEAK, *cmd], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, **(env or {})})
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    *out, peak = result.stdout.strip().splitlines()
    return seconds, int(peak) / 1024, "\n".join(out)


def same(a: Path, b: Path) -> bool:
    left, right = pl.read_parquet(a).sort("person_id"), pl.read_parquet(b).sort("person_id")
    return left.columns == right.columns and all(left[c].cast(pl.String).equals(right[c].cast(pl.String))
                                                 for c in left.columns)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--contribution-rows", type=int, default=4_220_000)
    p.add_argument("--benefit-rows", type=int, default=1_000_000)
    p.add_argument("--roster-rows", type=int, default=4_220_000)
    p.add_argument("--carers", type=int, default=1500, help="carers checking in and out (visits)")
    p.add_argument("--window", type=float, default=60.0, help="seconds over which the carers arrive (visits)")
    p.add_argument("--threads", type=int, default=2, help="the server's waitress threads (visits; `ltci serve`'s default on SQLite)")
    p.add_argument("--beneficiaries", type=int, default=45_000, help="beneficiaries settled (settlement)")
    p.add_argument("--settle-visits", type=int, default=1_500_000, help="visits of the month settled (settlement)")
    p.add_argument("--bed-days", type=int, default=600_000, help="bed-days of the month settled (settlement)")
    p.add_argument("--import-rows", type=int, default=1_000_000,
                   help="roster rows imported while a clerk logs in (import-writes)")
    p.add_argument("--only", choices=["policy", "enrolment", "import-writes", "visits", "settlement", "supervision",
                                      "cockpit", "city", "projection", "spark"], help="run one group of batches")
    p.add_argument("--spark-rows", type=int, nargs="+", default=[4_220_000, 42_200_000],
                   help="input sizes for the Spark engine (spark)")
    p.add_argument("--city-scale", type=float, default=1.0, help="the city's size, Jiaxing's = 1 (city)")
    p.add_argument("--dir", type=Path, default=ROOT / "var" / "bench")
    args = p.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    failed = False
    if args.only in (None, "policy"):
        failed |= policy(args)
    if args.only in (None, "enrolment"):
        print(f"\n{'SQLite, Jiaxing':<28}{'rows':>11}  {'time':>9}  {'rows/s':>12}  {'peak':>8}")
        for title, rows, seconds, peak, line in enrolment.run(args.roster_rows, args.dir, measure):
            print(f"{title:<28}{rows:>11,}  {seconds:>8.1f}s  {rows / seconds:>12,.0f}  {peak:>6.0f}MB   {line}")
    if args.only in (None, "import-writes"):
        result = import_writes.run(args.import_rows, args.dir / "import-writes")
        print("\nSQLite, logins and writes during a roster import\n" + "\n".join(result.lines()))
        failed |= bool(result.logins.failures or result.probe.failures) or max(result.probe.seconds, default=0) > 2
    if args.only in (None, "visits"):
        result = visits.run(args.carers, args.window, args.dir, threads=args.threads)
        print("\n" + "\n".join(visits.report(result)))
        failed |= not result.ok
    if args.only in (None, "settlement"):
        failed |= settle(args)
    if args.only in (None, "supervision"):
        results, check = supervision.run(args, args.dir, measure)
        print("\n" + supervision.report(results, check))
        failed |= supervision.failed(results, check)
    if args.only in (None, "cockpit"):
        print("\n" + "\n".join(cockpit.run(args)))
    if args.only in (None, "city"):
        failed |= town(args)
    if args.only in (None, "projection"):
        failed |= projection(args)
    if args.only in (None, "spark"):
        lines, differed = spark.run(args.spark_rows, args.dir, measure)
        print("\n" + "\n".join(lines))
        failed |= differed
    return 1 if failed else 0


def projection(args) -> bool:
    """The fund projection at Jiaxing's size (issue 18): ten years, 1,000 runs; True if over 30 s or 2 GB."""
    cmd = [sys.executable, "-m", "bench.projection", "--rows", str(args.contribution_rows), "--runs", "1000"]
    seconds, peak, out = measure(cmd)
    print(f"\n{out}\nprojection end to end: {seconds:.1f} s, peak {peak:,.0f} MB (targets: 30 s, 2,048 MB)")
    return seconds > 30 or peak > 2048


def town(args) -> bool:
    """The city's pages on SQLite here, then on a throw-away PostgreSQL cluster (each built afresh);
    True if a kind missed its target or answered wrongly."""
    options = ["--scale", str(args.city_scale), "--dir", str(args.dir / "city")]
    lines, missed, _ = city.run(city.parser().parse_args(options))
    print("\n" + "\n".join(lines))
    pg = subprocess.run(["bash", "scripts/with-postgresql.sh", "sh", "-c",
                         f'exec "{sys.executable}" -m bench.city --database-url "$DATABASE_URL" ' + " ".join(options)],
                        cwd=ROOT, capture_output=True, text=True)
    print("\n" + (pg.stdout.strip() or pg.stderr[-2000:]))
    return missed or pg.returncode != 0


def settle(args) -> bool:
    """The month's settlement on SQLite here, then on a throw-away PostgreSQL cluster; True if the
    second run booked anything or SQLite missed the 60-second target."""
    results = settlement.run(args, args.dir, measure, backend="sqlite")
    pg = subprocess.run(["bash", "scripts/with-postgresql.sh", sys.executable, "-m", "bench.settlement", "--backend",
                         "postgresql", "--beneficiaries", str(args.beneficiaries), "--visits", str(args.settle_visits),
                         "--bed-days", str(args.bed_days), "--dir", str(args.dir)],
                        cwd=ROOT, capture_output=True, text=True)
    print("\n" + settlement.report(results))
    print("\n".join(line for line in pg.stdout.splitlines() if line.startswith("settle ")) or pg.stderr[-2000:])
    again = results[1][4]
    return pg.returncode != 0 or " 0 new lines" not in again or results[0][2] > settlement.TARGET_SECONDS


def policy(args) -> bool:
    """The policy engine's batches against DuckDB SQL of the same rules, each side a whole process over
    the same Parquet file; True if results differ. Issue 19's target: the engine within 1.0× DuckDB."""
    c, b = args.contribution_rows, args.benefit_rows
    jobs = [  # title, rows, input, its generator, engine's arguments, DuckDB's arguments
        ("contributions, Jiaxing", c, "contribution", generate.contribution_input,
         ["contribution", "--region", "jiaxing", "--on", "2023-01-01"], ["contribution", "--on", "2023-01-01"]),
        ("contributions, Xuzhou", c, "contribution", generate.contribution_input,
         ["contribution", "--region", "xuzhou", "--on", "2023-01-01"], ["contribution-xuzhou", "--on", "2023-01-01"]),
        ("contributions, Nanning", c, "employee-contribution", generate.employee_contribution_input,
         ["contribution", "--region", "nanning", "--on", "2024-03-01"], ["contribution-nanning", "--on", "2024-03-01"]),
        ("benefits, Xuzhou, 2023-05", b, "benefit", generate.benefit_input,
         ["benefit", "--region", "xuzhou", "--month", "2023-05"], ["benefit", "--month", "2023-05"]),
        ("benefits, Jiaxing, 2023-05", b, "jiaxing-benefit", generate.jiaxing_benefit_input,
         ["benefit", "--region", "jiaxing", "--month", "2023-05"], ["benefit-jiaxing", "--month", "2023-05"]),
    ]
    print(f"{'batch':<28}{'rows':>11}  {'engine':>9}  {'rows/s':>12}  {'peak':>8}  |  {'DuckDB':>7}  {'rows/s':>12}  "
          f"{'peak':>8}  {'ratio':>6}")
    failed = False
    for title, rows, name, make, engine_args, duck_args in jobs:
        src = args.dir / f"{name}-{rows}.parquet"
        if not src.exists():
            print(f"generating {rows:,} rows of {name} input ...", file=sys.stderr)
            make(src, rows=rows)
        ours, theirs = args.dir / f"{name}-engine.parquet", args.dir / f"{name}-duckdb.parquet"
        t_ours, m_ours, _ = measure([sys.executable, "-m", "ltci.cli", "batch", *engine_args, str(src), str(ours)])
        t_duck, m_duck, _ = measure([sys.executable, "-m", "bench.duckdb_reference", duck_args[0], str(src), str(theirs),
                                     *duck_args[1:]])
        agree = same(ours, theirs)
        failed |= not agree
        print(f"{title:<28}{rows:>11,}  {t_ours:>8.2f}s  {rows / t_ours:>12,.0f}  {m_ours:>6.0f}MB  |  "
              f"{t_duck:>6.2f}s  {rows / t_duck:>12,.0f}  {m_duck:>6.0f}MB  {t_ours / t_duck:>5.2f}×   "
              f"{'same results' if agree else 'RESULTS DIFFER'}")
    return failed

if __name__ == "__main__":
    sys.exit(main())
