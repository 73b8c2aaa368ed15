"""Roster import and billing at Jiaxing's size on SQLite: rows per second and peak memory.

A fresh database under var/bench/db/, the roster generated once (var/bench/roster-N.csv), then
`ltci import roster`, `ltci contributions bill --period 2024`, and the same import again (which
must change nothing), each timed end to end in its own process.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from bench.roster import roster

ROOT = Path(__file__).resolve().parents[1]


def run(rows: int, folder: Path, measure) -> list[tuple[str, int, float, float, str]]:
    src = folder / f"roster-{rows}.csv"
    if not src.exists():
        print(f"generating a roster of {rows:,} rows ...", file=sys.stderr)
        roster(src, rows)
    db = folder / "db"
    shutil.rmtree(db, ignore_errors=True)
    db.mkdir(parents=True)
    env = {"LTCI_VAR_DIR": str(db), "DATABASE_URL": f"sqlite:///{db / 'ltci.sqlite3'}"}
    ltci = [sys.executable, "-m", "ltci.cli"]
    measure([*ltci, "migrate", "-v0"], env)
    results = []
    for title, args in (("roster import, new", ["import", "roster", str(src), "--region", "jiaxing"]),
                        ("billing 2024", ["contributions", "bill", "--region", "jiaxing", "--period", "2024"]),
                        ("roster import, again", ["import", "roster", str(src), "--region", "jiaxing"]),
                        ("billing 2024, again", ["contributions", "bill", "--region", "jiaxing", "--period", "2024"])):
        seconds, peak, out = measure([*ltci, *args], env)
        results.append((title, rows, seconds, peak, out.strip().splitlines()[0] if out.strip() else ""))
    return results
