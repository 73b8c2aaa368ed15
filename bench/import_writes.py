"""Logins and other writes during a long roster import on SQLite (WAL).

A fresh database in its own folder; `ltci serve` on loopback; a roster of N rows imported by
`ltci import roster` in another process; meanwhile a clerk logs in again and again through the
login page (each login writes its session, the user's last login and an audit event), and a probe
takes SQLite's write lock directly. Reports the import's time and rows per second, and for the
logins and the probe: how many, how many failed, and the longest and 99th-percentile waits.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.roster import roster
from bench.visits import HOST, ROOT, Server

USER, PASSWORD = "bench.clerk", "Bench-Clerk-2026"


@dataclass
class Waits:
    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.seconds:
            return "none made"
        ordered = sorted(self.seconds)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return (f"{len(ordered)} made, {len(self.failures)} failed, median {statistics.median(ordered) * 1000:.0f} ms, "
                f"p99 {p99 * 1000:.0f} ms, longest {ordered[-1] * 1000:.0f} ms")


@dataclass
class Result:
    rows: int
    import_seconds: float
    import_status: str
    logins: Waits
    probe: Waits

    def lines(self) -> list[str]:
        return [f"roster import of {self.rows:,} rows: {self.import_seconds:.1f} s, "
                f"{self.rows / self.import_seconds:,.0f} rows/s ({self.import_status})",
                f"  logins during the import: {self.logins.summary()}",
                f"  write-lock probe during the import: {self.probe.summary()}"]


def _env(folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LTCI_", "DATABASE_URL"))}
    env.update(LTCI_VAR_DIR=str(folder), LTCI_DEMO="0", PYTHONPATH=str(ROOT))
    return env


def _ltci(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ltci.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True, **kwargs)


def _login(port: int) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://{HOST}:{port}/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": USER, "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(f"http://{HOST}:{port}/login/", data=data,
                                     headers={"Referer": f"http://{HOST}:{port}/login/"})
    with opener.open(request, timeout=30) as response:
        if response.url.rstrip("/").endswith("/login") or response.status != 200:
            raise RuntimeError(f"login refused ({response.status} {response.url})")


def _timed(waits: Waits, action, stop: threading.Event, every: float) -> None:
    while not stop.is_set():
        started = time.monotonic()
        try:
            action()
        except Exception as exc:  # a failure is what this measures
            waits.failures.append(f"{type(exc).__name__}: {exc}"[:200])
        waits.seconds.append(time.monotonic() - started)
        stop.wait(every)


def _probe(database: Path):
    """Takes SQLite's write lock as any writer would (10 s busy timeout, as the platform sets)."""
    conn = sqlite3.connect(database, timeout=10, isolation_level=None, check_same_thread=False)

    def write():
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_probe (at REAL)")
        conn.execute("INSERT INTO bench_probe VALUES (?)", (time.time(),))
        conn.execute("COMMIT")
    return write


def run(rows: int, folder: Path, progress=print) -> Result:
    folder.mkdir(parents=True, exist_ok=True)
    env = _env(folder)
    progress("migrating a fresh database ...")
    _ltci(env, "migrate", "--noinput", "--verbosity", "0")
    _ltci(env, "manage", "shell", "-c",
          "from ltci.accounts.services import create_user; from ltci.regions.models import Region; "
          f"create_user(username={USER!r}, password={PASSWORD!r}, role='clerk', region=Region.objects.get(pk='jiaxing'))")
    source = roster(folder / f"roster-{rows}.csv", rows)
    server = Server(env, threads=2, log=folder / "server.log")
    logins, probe, stop = Waits(), Waits(), threading.Event()
    try:
        server.wait_ready()
        _login(server.port)  # a first login outside the measure
        progress(f"importing {rows:,} rows while a clerk logs in and a writer writes ...")
        watchers = [threading.Thread(target=_timed, args=(logins, lambda: _login(server.port), stop, 0.5)),
                    threading.Thread(target=_timed, args=(probe, _probe(folder / "ltci.sqlite3"), stop, 0.2))]
        started = time.monotonic()
        for w in watchers:
            w.start()
        done = subprocess.run([sys.executable, "-m", "ltci.cli", "import", "roster", str(source), "--region", "jiaxing"],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - started
        stop.set()
        for w in watchers:
            w.join()
    finally:
        server.stop()
    status = done.stdout.strip().splitlines()[0] if done.returncode == 0 else f"failed: {done.stderr[-300:]}"
    return Result(rows, seconds, status, logins, probe)


if __name__ == "__main__":
    import tempfile

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    with tempfile.TemporaryDirectory() as tmp:
        print("\n".join(run(count, Path(tmp)).lines()))
