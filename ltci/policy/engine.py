"""Where a batch question runs: Polars in this process (the default), or Apache Spark.

The projection and the re-billing ask their questions of an engine rather than of `batch.py`, so
that `--engine spark` moves them to Spark from the same command; both engines run the same plan
(`batch.contribution_plan`, `batch.benefit_plan`) and give the same rows.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .regions import PARAMS_DIR

if TYPE_CHECKING:  # Polars is imported where a question is asked: `ltci --help` stays quick
    import polars as pl

ENGINES = ("polars", "spark")


class PolarsEngine:
    name = "polars"

    def contribution(self, frame: pl.LazyFrame, region: str, on: date, params_dir: Path = PARAMS_DIR, *,
                     carry_over: bool = False) -> pl.DataFrame:
        from . import batch

        return batch.contribution_frame(frame, region, on, params_dir, carry_over=carry_over).collect()

    def benefit(self, frame: pl.LazyFrame, region: str, month: date, params_dir: Path = PARAMS_DIR, *,
                carry_over: bool = False) -> pl.DataFrame:
        from . import batch

        return batch.benefit_frame(frame, region, month, params_dir, carry_over=carry_over).collect()

    def stop(self) -> None:
        pass


class SparkEngine:
    """The same questions on a Spark session (`spark.session`); stop() ends it."""

    name = "spark"

    def __init__(self, master: str | None = None):
        from . import spark

        self._spark = spark
        self.session = spark.session(master)

    def _ask(self, kind, frame, region, on, params_dir, carry_over) -> pl.DataFrame:
        # The installed parameter files as None: each worker reads its own copy (spark.Question).
        params = None if Path(params_dir) == PARAMS_DIR else Path(params_dir)
        question = self._spark.Question(kind, region, on, carry_over, params)
        return self._spark.answer(self.session, question, frame.collect())

    def contribution(self, frame: pl.LazyFrame, region: str, on: date, params_dir: Path = PARAMS_DIR, *,
                     carry_over: bool = False) -> pl.DataFrame:
        return self._ask("contribution", frame, region, on, params_dir, carry_over)

    def benefit(self, frame: pl.LazyFrame, region: str, month: date, params_dir: Path = PARAMS_DIR, *,
                carry_over: bool = False) -> pl.DataFrame:
        return self._ask("benefit", frame, region, month, params_dir, carry_over)

    def stop(self) -> None:
        self.session.stop()


POLARS = PolarsEngine()


@contextmanager
def engine_for(name: str, master: str | None = None):
    """The engine of that name for the length of a command; a Spark session is stopped after it."""
    if name not in ENGINES:
        raise ValueError(f"engine: {name!r} is not one of {', '.join(ENGINES)}")
    engine = POLARS if name == "polars" else SparkEngine(master)
    try:
        yield engine
    finally:
        engine.stop()


def add_engine_arguments(parser) -> None:
    """`--engine` and `--master` for a command whose questions may run on Spark."""
    parser.add_argument("--engine", choices=ENGINES, default="polars",
                        help="polars: in this process (default); spark: on Apache Spark, for a province's data")
    parser.add_argument("--master", default=None,
                        help="with --engine spark: the Spark master URL (default: spark-submit's, else local[*])")
