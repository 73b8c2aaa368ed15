"""The Spark engine gives what the Polars engine gives: every row's fen and every bad row's report,
for random frames split over files and Arrow batches, and the scenario cases; run on `local[2]`."""

import os
import random
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ltci.policy import batch, scalar, scenario, spark
from ltci.policy.days import reduce_events
from ltci.policy.errors import PolicyError
from ltci.policy.inputs import GROUPS, care_from, person_from

from .test_two_ways_in import MONTHS, amount_column, benefit_rows, person_months

pytestmark = pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                reason="no database in these: run once, on SQLite")

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SEEN = settings(max_examples=12, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def session():
    s = spark.session("local[2]", app="ltci tests")
    s.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "3")  # many batches and file parts per frame
    s.conf.set("spark.sql.shuffle.partitions", "2")
    yield s
    s.stop()


def polars_answer(question, source: Path):
    """The Polars engine over the same files: rows, or the BatchError's (count, rows listed)."""
    frame = pl.scan_parquet(source / "*.parquet")
    try:
        return question.plan(frame, False).run().collect().sort("person_id").rows()
    except batch.BatchError as exc:
        return exc.count, [str(e) for e in exc.errors]


def spark_answer(session, question, source: Path, out: Path):
    try:
        spark.run(session, question, str(source), str(out))
    except batch.BatchError as exc:
        assert not out.exists()  # nothing written
        return exc.count, [str(e) for e in exc.errors]
    written = pl.read_parquet(out / "*.parquet")
    assert all(written.schema[c] == pl.Decimal(12, 2) for c in ("fund", "personal", "total", "individual")
               if c in written.schema)
    return written.sort("person_id").rows()


def as_files(frame: pl.DataFrame, where: Path, parts: int) -> Path:
    """The frame as `parts` Parquet files whose names give the row order."""
    where.mkdir()
    size = -(-frame.height // parts)
    for i in range(parts):
        frame.slice(i * size, size).write_parquet(where / f"part-{i:02d}.parquet")
    return where


def spoil(frame: pl.DataFrame, rnd: random.Random) -> pl.DataFrame:
    """Some bad values: an unknown value, a repeated or missing id, ids out of order."""
    rows = frame.to_dicts()
    for _ in range(rnd.randint(0, 3)):
        row = rnd.choice(rows)
        what = rnd.choice(["grade", "mode", "scheme", "repeat", "null_id", "reverse"])
        if what in row:
            row[what] = "unknown"
        elif what == "repeat":
            row["person_id"] = rows[0]["person_id"]
        elif what == "null_id":
            row["person_id"] = None
        elif what == "reverse":
            rows.reverse()
    return pl.DataFrame(rows, schema=frame.schema)


@SEEN
@given(person_months(), st.integers(1, 3), st.randoms(use_true_random=False))
def test_spark_and_polars_agree_on_every_benefit_and_every_bad_row(session, tmp_path_factory, case, parts, rnd):
    region, month, rows, kind = case
    where = tmp_path_factory.mktemp("benefit")
    source = as_files(spoil(benefit_rows(rows, kind), rnd), where / "in", parts)
    question = spark.Question("benefit", region, month)
    assert spark_answer(session, question, source, where / "out") == polars_answer(question, source)


@st.composite
def contribution_frames(draw):
    region = draw(st.sampled_from(["nanzheng", "xuzhou", "jiaxing", "nanning"]))
    lo, hi = MONTHS[region]
    on = date(draw(st.integers(lo, hi)), draw(st.integers(1, 12)), 1)
    n = draw(st.integers(1, 12))
    kind = draw(st.sampled_from(["text", "decimal"]))
    fens = st.integers(0, 3_000_000)
    frame = pl.DataFrame({
        "person_id": list(range(n)),
        "scheme": draw(st.lists(st.sampled_from(["employee", "resident"]), min_size=n, max_size=n)),
        "category": draw(st.lists(st.sampled_from(["in_service", "retired", "flexible", "unemployed"]),
                                  min_size=n, max_size=n)),
        "birth_date": pl.Series(draw(st.lists(st.none() | st.dates(date(1900, 1, 1), on), min_size=n, max_size=n)),
                                dtype=pl.Date),
        "age": pl.Series(draw(st.lists(st.none() | st.integers(0, 150), min_size=n, max_size=n)), dtype=pl.Int64),
        "groups": [";".join(g) for g in draw(st.lists(st.lists(st.sampled_from(GROUPS), max_size=2, unique=True),
                                                       min_size=n, max_size=n))],
        "base": amount_column(draw(st.lists(fens, min_size=n, max_size=n)), kind),
        "pension": amount_column(draw(st.lists(fens, min_size=n, max_size=n)), kind),
    })
    return region, on, frame


@SEEN
@given(contribution_frames(), st.integers(1, 3), st.randoms(use_true_random=False))
def test_spark_and_polars_agree_on_every_contribution_and_every_bad_row(session, tmp_path_factory, case, parts, rnd):
    region, on, frame = case
    where = tmp_path_factory.mktemp("contribution")
    source = as_files(spoil(frame, rnd), where / "in", parts)
    question = spark.Question("contribution", region, on)
    assert spark_answer(session, question, source, where / "out") == polars_answer(question, source)


def scenario_rows():
    """Each contribution and benefit case the scalar path answers, as a row, grouped by question."""
    groups = defaultdict(list)
    for path in sorted(SCENARIOS.glob("*.yaml")):
        for case in scenario.load(path):
            if case.get("kind") not in ("contribution", "benefit") or "error" in case.get("expect", {}):
                continue
            try:
                expected = scenario.evaluate(case)
            except PolicyError:
                continue
            on = scenario.as_date(case["on"], "on")
            key = (case["kind"], case["region"], on.replace(day=1) if case["kind"] == "benefit" else on)
            person = person_from(case.get("person"))
            row = {"person_id": len(groups[key]), "case": case["id"],
                   "grade": person.grade, "scheme": person.scheme, "category": person.category,
                   "age": person.age, "birth_date": person.birth_date, "groups": list(person.groups),
                   "base": person.base, "pension": person.pension}
            if case["kind"] == "benefit":
                care = care_from(case.get("care"), case.get("events"), on)
                suspended, death = reduce_events(care)
                row |= {"mode": care.mode, "care_from": care.start, "care_to": care.end, "days": care.days,
                        "cost": care.cost, "items_cost": care.items_cost, "visits": care.visits,
                        "family_days": care.family_days, "carer_trained": care.carer_trained,
                        "suspended_days": suspended, "death_day": death}
            groups[key].append((row, expected))
    return groups


def test_the_scenario_cases_run_through_spark_give_the_scalar_answers(session, tmp_path):
    compared = 0
    for n, ((kind, region, on), cases) in enumerate(sorted(scenario_rows().items())):
        rows = [row for row, _ in cases]
        frame = pl.DataFrame(rows, infer_schema_length=None).drop("case")
        frame = frame.with_columns(pl.col(c).map_elements(lambda f: Decimal(f).scaleb(-2), return_dtype=pl.Decimal(12, 2))
                                   for c in ("base", "pension", "cost", "items_cost") if c in frame.columns
                                   and frame[c].null_count() < frame.height)
        frame = frame.drop([c for c in frame.columns if frame[c].null_count() == frame.height])
        source = as_files(frame, tmp_path / f"in{n}", 1)
        spark.run(session, spark.Question(kind, region, on), str(source), str(tmp_path / f"out{n}"))
        got = pl.read_parquet(tmp_path / f"out{n}" / "*.parquet").sort("person_id").to_dicts()
        for (row, expected), answer in zip(cases, got, strict=True):
            for name in ("total", "fund", "personal", "individual", "employer", "medical_fund", "fiscal"):
                if name in expected and name in answer:
                    assert answer[name] == Decimal(str(expected[name])), (row["case"], name)
                    compared += 1
    assert compared >= 100


def test_a_frame_with_bad_rows_writes_nothing_and_reports_as_the_polars_engine(session, tmp_path):
    frame = pl.DataFrame({"person_id": [1, 2, 3, 2], "grade": ["severe_1", "mild", "severe_2", "severe_3"],
                          "mode": ["home_care"] * 4, "cost": ["100.00", "100.00", "12.345", None]})
    source = as_files(frame, tmp_path / "in", 2)
    question = spark.Question("benefit", "jiaxing", date(2023, 2, 1))
    count, listed = spark_answer(session, question, source, tmp_path / "out")
    assert (count, listed) == polars_answer(question, source)
    assert listed == [
        "row 2: grade: 嘉兴市享受待遇的等级：severe_1, severe_2, severe_3",
        "row 3: cost: expected an amount of yuan with at most two decimals, from 0 to 99,999,999.99",
        "row 4: cost: mode home_care needs it",
        "row 4: person_id: already on an earlier row: one person-month per person (P4: the fund never pays twice "
        "for a day)"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_a_missing_column_is_refused_before_spark_reads_a_row(session, tmp_path):
    source = as_files(pl.DataFrame({"person_id": [1], "mode": ["home_care"]}), tmp_path / "in", 1)
    with pytest.raises(PolicyError) as refused:
        spark.run(session, spark.Question("benefit", "jiaxing", date(2023, 2, 1)), str(source), str(tmp_path / "o"))
    assert refused.value.field == "grade"


def test_a_csv_input_is_refused_with_the_reason(session, tmp_path):
    (tmp_path / "people.csv").write_text("person_id\n1\n")
    with pytest.raises(PolicyError, match="reads Parquet"):
        spark.run(session, spark.Question("contribution", "xuzhou", date(2024, 1, 1)), str(tmp_path / "people.csv"),
                  str(tmp_path / "o"))


def test_the_command_runs_on_spark_and_a_refused_input_writes_nothing(tmp_path):
    from .test_batch_cli import ltci

    people = tmp_path / "people.parquet"
    pl.DataFrame({"person_id": [1, 2, 3], "scheme": ["employee"] * 3, "category": ["in_service", "retired", "flexible"],
                  "base": [Decimal("6000.00"), None, Decimal("4670.00")], "pension": [None, Decimal("4321.77"), None]},
                 schema_overrides={"base": pl.Decimal(12, 2), "pension": pl.Decimal(12, 2)}).write_parquet(people)
    done = ltci("batch", "contribution", "--region", "nanning", "--on", "2024-03-01", people, tmp_path / "dues",
                "--engine", "spark", "--master", "local[2]")
    assert done.returncode == 0, done.stderr
    assert "wrote 3 rows to" in done.stderr
    rows = pl.read_parquet(tmp_path / "dues" / "*.parquet").sort("person_id").rows()
    assert [(r[1], str(r[2])) for r in rows] == [("month", "18.00"), ("month", "6.48"), ("month", "14.01")]

    refused = ltci("batch", "contribution", "--region", "nanning", "--on", "2024-03-01", tmp_path / "dues",
                   tmp_path / "again", "--engine", "spark", "--master", "local[2]")
    assert refused.returncode == 2
    assert "error: scheme: a column the rules need is missing from the input" in refused.stderr
    assert not (tmp_path / "again").exists()


def test_master_is_only_for_spark(tmp_path):
    from .test_batch_cli import ltci

    result = ltci("batch", "benefit", "--region", "xuzhou", "--month", "2023-05", tmp_path / "in.parquet",
                  tmp_path / "out.parquet", "--master", "local[2]")
    assert result.returncode == 2 and "--master: only with --engine spark" in result.stderr
