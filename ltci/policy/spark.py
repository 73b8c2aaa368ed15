"""The batch engine on Apache Spark: the same questions as `batch.py`, where a province's data is.

Spark reads the Parquet input and hands it to Python workers as Arrow batches (`mapInArrow`); each
batch goes through the Polars engine's own plan, its checks and its computation, so that the rules
reach Spark as they are and every row gets the fen the one-process engine gives (docs/decisions/
0031). Two passes over the input:

1. the checks: each batch reports its bad rows (the first few per check and a count), and for each
   file part it holds its first and last person_id and whether its ids grow; the driver sees from
   these whether ids could repeat across batches, and only then has Spark look for repeated ids;
2. if no row is bad, the computation, written as Parquet (amounts `decimal(12,2)`) to a temporary
   directory renamed into place when complete: a refused input writes nothing.

Rows are numbered as the Polars engine numbers them (1 = the first data row; a directory's files in
name order, one after another), from Spark's `_metadata.row_index`.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from . import batch
from .errors import PolicyError
from .regions import PARAMS_DIR

ROW_BITS = 40  # a row number is the file's place << ROW_BITS | the row in the file (from 1)
BATCH_ROWS = 262_144  # rows per Arrow batch: large enough that Polars' per-batch set-up is noise


@dataclass(frozen=True)
class Question:
    """What to compute: each person's contribution on `on`, or each person-month's benefit in the
    month of `on`. Picklable: Spark sends it to its Python workers."""

    kind: str  # "contribution" or "benefit"
    region: str
    on: date
    carry_over: bool = False
    # None: the parameter files installed beside the engine wherever it runs (a worker's own copy; the
    # driver's path means nothing on a cluster). A draft's directory is a path on this machine.
    params_dir: Path | None = None

    def plan(self, frame, every_check: bool = True) -> batch.Plan:
        params = self.params_dir or PARAMS_DIR
        if self.kind == "contribution":
            return batch.contribution_plan(frame, self.region, self.on, params, carry_over=self.carry_over,
                                           every_check=every_check)
        return batch.benefit_plan(frame, self.region, self.on, params, carry_over=self.carry_over,
                                  every_check=every_check)


def session(master: str | None = None, app: str = "ltci batch"):
    """The Spark session: `master` if given; under spark-submit, the one it was given; else local."""
    logging.getLogger("py4j").setLevel(logging.WARNING)  # its INFO lines come even at interpreter exit
    from pyspark.sql import SparkSession

    # UTC: a timestamp column reaches the workers as the Polars engine reads it (a date-time at
    # midnight UTC is a date there); the JVM's zone (Asia/Shanghai here) would move it by 8 hours.
    builder = (SparkSession.builder.appName(app).config("spark.sql.execution.arrow.maxRecordsPerBatch", BATCH_ROWS)
               .config("spark.sql.session.timeZone", "UTC"))
    if "PYSPARK_GATEWAY_PORT" not in os.environ:  # not launched by spark-submit, which brings its own
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local workers run this interpreter
        builder = builder.master(master or "local[*]").config("spark.ui.showConsoleProgress", "false")
    elif master:
        builder = builder.master(master)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("FATAL")  # failures reach the caller as exceptions
    return spark


# --- types between Spark, Arrow and Polars ---------------------------------------------------

def _result_schema(probe: batch.Plan):
    """The answer's Spark schema and Arrow schema, from the plan's result on no rows."""
    from pyspark.sql.pandas.types import from_arrow_schema

    arrow = _plain_arrow_schema(probe.compute(probe.frame).collect().to_arrow().schema)
    return from_arrow_schema(arrow), arrow


def _plain_arrow_schema(schema):
    """Arrow types as Spark takes them: Polars gives string views and large strings and lists."""
    import pyarrow as pa

    def plain(t):
        if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
            return pa.string()
        if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t):
            return pa.list_(plain(t.value_type))
        return t

    return pa.schema([pa.field(f.name, plain(f.type)) for f in schema])


def _empty(spark_schema):
    """A Polars frame of no rows with the input's columns."""
    import polars as pl
    from pyspark.sql.pandas.types import to_arrow_schema

    return pl.from_arrow(to_arrow_schema(spark_schema).empty_table()).lazy()


# --- the two passes, per Arrow batch (these run in Spark's Python workers) --------------------

def _parts(batches):
    """Spark's Arrow batches as Polars frames, empty ones skipped."""
    import polars as pl
    import pyarrow as pa

    for record_batch in batches:
        part = pl.from_arrow(pa.Table.from_batches([record_batch]))
        if part.height:
            yield part


def _check_batches(question: Question):
    def run(batches):
        for part in _parts(batches):
            # A batch may hold the ends of several files, in whatever order: the checks read row order.
            yield from _check_part(question, part if part["__row"].is_sorted() else part.sort("__row"))
    return run


def _check_part(question: Question, part):
    import polars as pl
    import pyarrow as pa

    plan = question.plan(part.lazy())
    order, _, _ = batch.id_order_check()
    found = plan.frame.select(
        pl.col("__row"), (pl.col("__row") // (1 << ROW_BITS)).alias("__file"), pl.col("person_id"),
        order.fill_null(False).alias("__order"), *batch.flag_columns(plan.checks),
    ).collect()
    rows = []
    for i in range(len(plan.checks)):
        hit = found.filter(pl.col(f"__c{i}"))["__row"]
        if hit.len():
            rows.append({"kind": "count", "check": i, "row": None, "count": hit.len()})
            rows += [{"kind": "error", "check": i, "row": int(r), "count": 1} for r in hit.head(batch.MAX_REPORTED)]
    # Per file in the batch: its rows' span and ids, so the driver can see whether ids grow throughout.
    for (_,), one in found.group_by("__file", maintain_order=True):
        ids = one["person_id"]
        rows.append({"kind": "span", "check": None, "row": int(one["__row"][0]), "count": one.height,
                     "first": _plain(ids[0]), "last": _plain(ids[-1]), "grows": not one["__order"][1:].any()
                     and ids[0] is not None})
    yield from pa.Table.from_pylist(rows, schema=_check_schema()).to_batches()


def _plain(value):
    """An id as text; the driver compares ids in their own type again (`_ids_grow`)."""
    return None if value is None else str(value)


def _compute_batches(question: Question, arrow_schema):
    def run(batches):
        for part in _parts(batches):
            plan = question.plan(part.lazy())
            yield from plan.compute(plan.frame).collect().to_arrow().cast(arrow_schema).to_batches()
    return run


def _check_schema():
    import pyarrow as pa

    return pa.schema([("kind", pa.string()), ("check", pa.int32()), ("row", pa.int64()), ("count", pa.int64()),
                      ("first", pa.string()), ("last", pa.string()), ("grows", pa.bool_())])


# --- the driver ------------------------------------------------------------------------------

def run(spark, question: Question, source: str, out: str) -> int:
    """Check every row of the Parquet `source` (a file or a directory of files) and write the answer
    to the directory `out`; BatchError (nothing written) on bad rows. Returns the rows written."""
    refuse_csv(source)
    result, rows = _answer(question, _numbered(spark, spark.read.parquet(str(source))))
    _write(spark, result, out)
    return rows


def refuse_csv(source) -> None:
    """Parquet only: Spark numbers rows (`_metadata.row_index`) only in Parquet files."""
    if str(source).lower().endswith(".csv"):
        raise PolicyError("the Spark engine reads Parquet (a file or a directory of files)", "input")


def answer(spark, question: Question, frame):
    """The answer for a Polars frame in this process, computed on Spark (the projection's and the
    re-billing's questions, `engine.py`); BatchError on bad rows, as the Polars engine raises it."""
    import polars as pl

    numbered = frame.with_row_index("__row", offset=1).with_columns(pl.col("__row").cast(pl.Int64))
    result, _ = _answer(question, spark.createDataFrame(_spark_arrow(numbered.to_arrow())))
    return pl.from_arrow(result.toArrow())


def _spark_arrow(table):
    return table.cast(_plain_arrow_schema(table.schema))


def _numbered(spark, frame):
    """The rows numbered as the Polars engine numbers them: `__row` is the file's place in name order
    << ROW_BITS | the row in its file, from 1; `_answer` turns it into the row of the whole input."""
    from pyspark.sql import functions as F

    # Files in name order; their paths as `_metadata.file_path` spells them (Hadoop's Path: file:/x).
    hadoop_path = spark.sparkContext._jvm.org.apache.hadoop.fs.Path
    files = sorted(hadoop_path(f).toString() for f in frame.inputFiles())
    place = F.create_map(*[F.lit(x) for i, path in enumerate(files) for x in (path, i)])
    return frame.withColumn("__row", (place[F.col("_metadata.file_path")].cast("bigint") * (1 << ROW_BITS))
                            + F.col("_metadata.row_index") + 1)


def _answer(question: Question, frame):
    """The checks' pass, then the answer's DataFrame (not yet run) and the number of rows."""
    from pyspark.sql.pandas.types import from_arrow_schema

    # The plan on no rows: a missing column or an unknown region is refused here, before any pass.
    probe = question.plan(_empty(frame.drop("__row").schema))
    spark_schema, arrow_schema = _result_schema(probe)  # an id of a type Spark cannot write fails here, first
    frame = frame.select(*probe.reads, "__row")
    found = frame.mapInArrow(_check_batches(question), from_arrow_schema(_check_schema())).collect()
    counts: dict[int, int] = {}
    errors: dict[int, list[int]] = {}
    spans = []
    for r in found:
        if r.kind == "count":
            counts[r.check] = counts.get(r.check, 0) + r["count"]
        elif r.kind == "error":
            errors.setdefault(r.check, []).append(r.row)
        else:
            spans.append(r)
    spans.sort(key=lambda s: s.row)
    file_rows: dict[int, int] = {}
    for s in spans:
        file_rows[s.row >> ROW_BITS] = file_rows.get(s.row >> ROW_BITS, 0) + s["count"]
    offsets, total = {}, 0
    for f in sorted(file_rows):
        offsets[f], total = total, total + file_rows[f]

    def numbered(encoded: list[int]) -> list[int]:
        return [offsets[r >> ROW_BITS] + (r & ((1 << ROW_BITS) - 1)) for r in sorted(encoded)]

    hits = [(numbered(errors.get(i, [])), fld, message, counts.get(i, 0))
            for i, (_, fld, message) in enumerate(probe.checks)]
    if not _ids_grow(spans, frame.schema["person_id"].dataType.typeName()):
        rows, count = _repeated_ids(frame)
        hits.append((numbered(rows), *batch.duplicate_check(probe.one_row_per)[1:], count))
    batch.report(hits)

    return frame.mapInArrow(_compute_batches(question, arrow_schema), spark_schema), total


def _ids_grow(spans, type_name: str) -> bool:
    """Whether the ids grow from each file part to the next, as from row to row within each part."""
    def key(text):
        if type_name in ("long", "integer", "short", "byte"):
            return int(text)
        if type_name in ("double", "float"):
            return float(text)  # a NaN compares false: the duplicate check then runs, as it should
        return Decimal(text) if type_name == "decimal" else text

    previous = None
    for s in spans:
        if not s.grows:
            return False
        if previous is not None and key(s.first) <= key(previous):
            return False
        previous = s.last
    return True


def _repeated_ids(frame) -> tuple[list[int], int]:
    """Rows whose person_id is on an earlier row: the first MAX_REPORTED by row, and how many."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    nth = F.row_number().over(Window.partitionBy("person_id").orderBy("__row"))
    repeated = frame.where(F.col("person_id").isNotNull()).select("__row", nth.alias("n")).where("n > 1")
    first = repeated.orderBy("__row").limit(batch.MAX_REPORTED).collect()
    return [r["__row"] for r in first], repeated.count()


def _write(spark, result, out: str) -> None:
    """Write to a hidden sibling directory, then rename it into place (Hadoop's rename: local disk,
    HDFS or an object store's connector)."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    target = jvm.org.apache.hadoop.fs.Path(str(out))
    fs = target.getFileSystem(conf)
    if fs.exists(target):
        raise PolicyError("the output already exists; give a new path", "output")
    partial = jvm.org.apache.hadoop.fs.Path(target.getParent(), f".{target.getName()}.partial")
    fs.delete(partial, True)
    try:
        result.write.parquet(partial.toString())
        if not fs.rename(partial, target):
            raise OSError(f"could not rename the finished output into place: {out}")
    finally:
        fs.delete(partial, True)


def input_errors():
    """What Spark raises for a missing, empty or corrupt input; a failure in our own code on a worker
    (PythonException) is not among them: it goes up with its traceback."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import AnalysisException, PythonException, SparkRuntimeException

    return (AnalysisException, SparkRuntimeException, Py4JJavaError), PythonException


def reason(exc: Exception) -> str:
    """The first line of what Spark said, without its error class in brackets."""
    text = str(getattr(exc, "getMessage", lambda: exc)() or exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first.split("] ", 1)[-1] if first.startswith("[") else first
