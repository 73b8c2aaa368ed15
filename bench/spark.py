"""The batch engine on Spark (`local[2]`) beside the Polars engine, at 4,220,000 and 42,200,000 rows
(issue 19): each a whole process over the same Parquet file, its time, rows per second and its peak
memory (the resident memory of the whole process tree, sampled: Spark's JVM and its Python workers
are not children the command waits for), and whether its rows equal the Polars engine's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from bench import generate

JOBS = (
    ("contributions, Xuzhou", "contribution", generate.contribution_input,
     ["batch", "contribution", "--region", "xuzhou", "--on", "2023-01-01"]),
    ("benefits, Xuzhou, 2023-05", "benefit", generate.benefit_input,
     ["batch", "benefit", "--region", "xuzhou", "--month", "2023-05"]),
)


def _tree_rss(root: int) -> int:
    """Resident bytes of `root` and every process descended from it."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def measure_tree(cmd: list[str], root: Path) -> tuple[float, float]:
    """(seconds, peak MiB of the process tree) of a command."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:  # a file, not a pipe: Spark's log cannot fill and block it
        proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=err, text=True)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"failed: {' '.join(cmd)}\n{err.read()[-3000:]}")
    return seconds, peak / 2**20


def identical(polars_out: Path, spark_out: Path) -> bool:
    """Every row and every column the same (Spark writes a directory of part files)."""
    ours = pl.scan_parquet(polars_out).sort("person_id").collect()
    theirs = pl.scan_parquet(spark_out / "*.parquet").sort("person_id").collect()
    return ours.schema == theirs.schema and ours.equals(theirs)


def run(sizes: list[int], where: Path, measure) -> tuple[list[str], bool]:
    """The report's lines, and True if an answer differed."""
    lines = [f"{'Spark local[2] beside Polars':<28}{'rows':>12}  {'Polars':>8}  {'rows/s':>11}  {'peak':>8}  |  "
             f"{'Spark':>8}  {'rows/s':>11}  {'peak':>8}"]
    differed = False
    for title, kind, make, args in JOBS:
        previous = None
        for rows in sizes:
            src = where / f"{kind}-{rows}.parquet"
            if not src.exists():
                print(f"generating {rows:,} rows of {kind} input ...", file=sys.stderr)
                make(src, rows=rows)
            ours, theirs = where / f"{kind}-{rows}-polars.parquet", where / f"{kind}-{rows}-spark"
            shutil.rmtree(theirs, ignore_errors=True)
            t_ours, m_ours, _ = measure([sys.executable, "-m", "ltci.cli", *args, str(src), str(ours)])
            t_spark, m_spark = measure_tree([sys.executable, "-m", "ltci.cli", *args, str(src), str(theirs),
                                             "--engine", "spark", "--master", "local[2]"], Path(__file__).parents[1])
            same = identical(ours, theirs)
            differed |= not same
            growth = f"   {t_spark / previous:.1f}× the time for {rows // prev_rows}× the rows" if previous else ""
            lines.append(f"{title:<28}{rows:>12,}  {t_ours:>7.1f}s  {rows / t_ours:>11,.0f}  {m_ours:>6.0f}MB  |  "
                         f"{t_spark:>7.1f}s  {rows / t_spark:>11,.0f}  {m_spark:>6.0f}MB   "
                         f"{'identical' if same else 'ROWS DIFFER'}{growth}")
            previous, prev_rows = t_spark, rows
            shutil.rmtree(theirs, ignore_errors=True)
            ours.unlink(missing_ok=True)
    return lines, differed
