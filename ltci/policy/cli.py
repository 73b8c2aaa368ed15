"""The policy engine's commands: `ltci scenario`, `ltci batch`, `ltci policy`. No Django here."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from .engine import add_engine_arguments
from .errors import PolicyError
from .params import ParamsDataError
from .regions import PARAMS_DIR

COMMANDS = {
    "scenario": "run a scenario file of policy cases and check their expectations",
    "batch": "compute contributions or benefits for a Parquet/CSV file of people (Parquet out)",
    "policy": "show a region's parameters in force on a date, with their clauses",
}


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _month(text: str) -> date:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a month YYYY-MM, got {text!r}") from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ltci", description="The policy engine's commands.")
    sub = p.add_subparsers(dest="command", required=True)

    sc = sub.add_parser("scenario", help=COMMANDS["scenario"]).add_subparsers(dest="action", required=True)
    run = sc.add_parser("run", help="evaluate every case of FILE; exit 0 all matched, 1 a mismatch, 2 malformed")
    run.add_argument("file", type=Path)
    run.add_argument("--json", action="store_true", help="print the results as JSON")
    run.add_argument("--carry-on", action="store_true",
                     help="the platform's rule: a date after a region's last version ended is answered under that "
                          "version (延续执行) and marked so, instead of being an error, as the platform does everywhere")

    b = sub.add_parser("batch", help=COMMANDS["batch"]).add_subparsers(dest="action", required=True)
    bc = b.add_parser("contribution", help="each person's contribution for the period that covers --on")
    bc.add_argument("--region", required=True)
    bc.add_argument("--on", required=True, type=_date)
    bb = b.add_parser("benefit", help="each person-month's benefit for --month")
    bb.add_argument("--region", required=True)
    bb.add_argument("--month", required=True, type=_month)
    for q in (bc, bb):
        q.add_argument("input", type=Path, help="Parquet or CSV, one row per person (or person-month)")
        q.add_argument("output", type=Path, help="Parquet to write (a directory of part files with --engine spark)")
        q.add_argument("--carry-on", action="store_true",
                       help="after the region's last version ended, compute under it (延续执行)")
        add_engine_arguments(q)

    ps = sub.add_parser("policy", help=COMMANDS["policy"]).add_subparsers(dest="action", required=True)
    show = ps.add_parser("show", help="the parameters in force")
    show.add_argument("region")
    show.add_argument("--on", type=_date, default=None, help="default: today")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "scenario":
            return _scenario(args)
        if args.command == "batch":
            return _batch(args)
        return _policy_show(args)
    except (PolicyError, ParamsDataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _scenario(args) -> int:
    from . import scenario

    try:
        cases = scenario.load(args.file)
    except scenario.ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    outcomes = scenario.run_cases(cases, carry_over=args.carry_on)
    print(scenario.render_json(outcomes) if args.json else scenario.render_text(outcomes))
    for o in outcomes:
        if o.error:
            print(f"error: {o.error}", file=sys.stderr)
    return scenario.exit_status(outcomes)


def _batch(args) -> int:
    if args.engine == "spark":
        return _spark_batch(args)
    if args.master:
        print("error: --master: only with --engine spark", file=sys.stderr)
        return 2
    import polars as pl

    from . import batch

    started = time.perf_counter()
    print(f"reading and checking {args.input} ...", file=sys.stderr)
    try:
        frame = batch.read_frame(args.input)
        if args.action == "contribution":
            result = batch.contribution_frame(frame, args.region, args.on, carry_over=args.carry_on)
        else:
            result = batch.benefit_frame(frame, args.region, args.month, carry_over=args.carry_on)
        print("computing ...", file=sys.stderr)
        rows = batch.write_parquet(result, args.output)
    except batch.BatchError as exc:
        print(f"error: {exc}\nnothing was written.", file=sys.stderr)
        return 2
    except pl.exceptions.PolarsError as exc:  # unreadable input: empty, ragged or corrupt file
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"error: input: {reason}\nnothing was written.", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _wrote(rows, args.output, started)
    return 0


def _wrote(rows: int, output, started: float) -> None:
    seconds = time.perf_counter() - started
    print(f"wrote {rows} rows to {output} in {seconds:.2f} s ({rows / max(seconds, 1e-9):,.0f} rows/s)",
          file=sys.stderr)


def _spark_batch(args) -> int:
    from . import batch, spark

    started = time.perf_counter()
    question = spark.Question(args.action, args.region, args.on if args.action == "contribution" else args.month,
                              args.carry_on)
    spark.refuse_csv(args.input)  # before Spark starts, as an existing output below
    if args.output.exists():  # a local path; Spark refuses an existing one elsewhere at the write
        raise PolicyError("the output already exists; give a new path", "output")
    print(f"starting Spark and checking {args.input} ...", file=sys.stderr)
    session = spark.session(args.master)
    unreadable, ours = spark.input_errors()
    try:
        rows = spark.run(session, question, str(args.input), str(args.output))
    except batch.BatchError as exc:
        print(f"error: {exc}\nnothing was written.", file=sys.stderr)
        return 2
    except ours:
        raise
    except unreadable as exc:
        print(f"error: input: {spark.reason(exc)}\nnothing was written.", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        session.stop()
    _wrote(rows, args.output, started)
    return 0


def _policy_show(args) -> int:
    from .policies import PLATFORM_RULE, policy_on

    on = args.on or date.today()
    policy = policy_on(args.region, on, PARAMS_DIR, carry_over=True)  # what is in force, as the platform applies it
    v = policy.version
    print(f"{policy.region.name}（{policy.region.code}） {v.title}")
    standing = f"，{policy.standing}" if policy.carried_on else ""
    print(f"{v.document}，{v.valid_from} 至 {v.valid_to or '今'}，{on} 适用{standing}")
    for path, value, clause in _walk(policy.params.items(), ""):
        if PLATFORM_RULE.fullmatch(clause):
            clause = f"平台规则 {clause}"
        print(f"  {path} = {value}" + (f"    [{clause}]" if clause else ""))
    return 0


def _walk(items, prefix: str):
    for key, value in items:
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and "value" in value and "clause" in value:
            shown = value["value"]
            if isinstance(shown, dict):
                shown = ", ".join(f"{k} {v}" for k, v in shown.items())
            elif isinstance(shown, list):
                shown = ", ".join(map(str, shown))
            extra = "".join(f"  {k}={v}" for k, v in value.items() if k not in ("value", "clause"))
            yield path, f"{shown}{extra}", value["clause"]
        elif isinstance(value, dict):
            yield from _walk(value.items(), path)
        elif isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
            for i, item in enumerate(value):
                yield from _walk(item.items(), f"{path}[{i}]")
        else:
            yield path, value if not isinstance(value, list) else ", ".join(map(str, value)), ""
