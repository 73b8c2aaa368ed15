"""Home visits under load (issue 6): Jiaxing's carer force checking in and out against `ltci serve`.

A fresh SQLite file (WAL, the settings' own pragmas) gets N carers, each of an institution of
Jiaxing with a logged-in session, and N beneficiaries in home care (one per carer); the server runs
as a subprocess on loopback (waitress, `--threads`), and an asyncio client in this process plays
the phones:

- window: each carer starts at a uniformly random moment of the window, checks in, waits 1–5 s
  and checks out (the load of a working day's busiest minutes);
- burst: all N check-ins released at once, then, when all are answered, all N check-outs (the
  ceiling: how fast the server drains a queue).

Every request is timed on the client from the connection's opening to the answer's last byte. A
phone opens a connection per request (`Connection: close`): check-in and check-out are minutes
apart in the field, and waitress serves at most `connection_limit` (100) connections at once, so
1,500 idle keep-alive connections would measure the server's accept queue, not the visits. Errors
are answers other than 2xx, connection failures and timeouts. Afterwards the database is checked:
one visit per carer and phase, every one checked out, no duplicate.

`python -m bench.visits --carers 1500 --window 60` runs it alone; `bench.run --only visits` too.
With `--database-url postgres://…` it runs on PostgreSQL (a database `ltci_bench_visits` made afresh
beside the one named), and `--processes N --workers W` serves with N processes (`ltci serve
--processes`) and W workers (`ltci worker`) beside them, as CI does (2 and 2).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
REGION = "jiaxing"
PLACE = "330402"  # 嘉兴市南湖区
CENTRE = (30.7460, 120.7550)
CARERS_PER_INSTITUTION = 50
TARGET_P99_MS = 200.0


# --- inside Django (subprocesses of the bench) -------------------------------------------------------

def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltci.settings")
    import django

    django.setup()


def setup(carers: int, out: Path, seed: int) -> None:
    """Migrates the (empty) database and makes the carers, their sessions and their beneficiaries;
    writes what the phones need (session, CSRF token, person, home) to `out` as JSON."""
    _django()
    from datetime import date, timedelta
    from decimal import Decimal

    from django.conf import settings
    from django.contrib.auth import load_backend
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    call_command("migrate", verbosity=0, interactive=False)

    from ltci.accounts.models import User
    from ltci.accounts.roles import Role
    from ltci.care.choices import region_modes
    from ltci.care.models import CareChoice, Mode
    from ltci.enrolment.idcard import make_id_number
    from ltci.enrolment.models import Enrolment, Person, initials
    from ltci.providers.demo import credit_code
    from ltci.providers.models import Carer, CarerKind, Institution, InstitutionKind

    rng = random.Random(seed)
    today = timezone.localdate()
    since = today - timedelta(days=30)
    if Mode.HOME_CARE not in region_modes(REGION, since):
        raise SystemExit(f"{REGION} does not offer home care on {since}")

    def near(spread=0.05):
        return (Decimal(f"{CENTRE[0] + rng.uniform(-spread, spread):.6f}"),
                Decimal(f"{CENTRE[1] + rng.uniform(-spread, spread):.6f}"))

    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", ("秀英", "桂兰", "建国", "玉兰", "志强", "淑珍", "国华", "美华", "金凤", "根法")
    with transaction.atomic():
        codes = set()
        while len(codes) < math.ceil(carers / CARERS_PER_INSTITUTION):
            codes.add(credit_code("91", PLACE, rng))
        institutions = Institution.objects.bulk_create([
            Institution(region_id=REGION, name=f"嘉兴南湖第{n + 1}居家护理服务有限公司", credit_code=code,
                        kind=InstitutionKind.HOME_CARE, district="南湖区", latitude=near()[0], longitude=near()[1])
            for n, code in enumerate(sorted(codes))])
        clerk = User.objects.create(username="bench-clerk", password=make_password(None), role=Role.CLERK,
                                    region_id=REGION, last_name="沈", first_name="经办")
        people, users, cars, choices, homes = [], [], [], [], []
        for i in range(carers):
            name = surnames[i % len(surnames)] + given[(i // len(surnames)) % len(given)]
            sex = "F" if i % 2 else "M"
            birth = date(1930, 1, 1) + timedelta(days=i)
            people.append(Person(region_id=REGION, id_number=make_id_number(PLACE, birth, 1, sex), name=name, sex=sex,
                                 birth_date=birth, district="南湖区", name_initials=initials(name)))
            inst = institutions[i // CARERS_PER_INSTITUTION]
            users.append(User(username=f"bench-carer-{i:05d}", password=make_password(None), role=Role.CARER,
                              region_id=REGION, institution=inst, last_name="钱", first_name=f"护理{i}"))
        people = Person.objects.bulk_create(people, batch_size=500)
        Enrolment.objects.bulk_create([Enrolment(region_id=REGION, person=p, scheme="employee", category="retired",
                                                 start=date(2022, 1, 1)) for p in people], batch_size=500)
        users = User.objects.bulk_create(users, batch_size=500)
        for i, (person, user) in enumerate(zip(people, users)):
            cars.append(Carer(region_id=REGION, institution_id=user.institution_id, kind=CarerKind.CERTIFIED,
                              user=user, name=user.get_full_name(), trained=True, level="四级/中级工",
                              id_number=make_id_number("330411", date(1970, 1, 1) + timedelta(days=i), 1, "F"),
                              certificate_number=f"ZG{i:08d}"))
            lat, lon = near()
            homes.append((lat, lon))
            choices.append(CareChoice(region_id=REGION, person=person, mode=Mode.HOME_CARE,
                                      institution_id=user.institution_id, effective_from=since,
                                      home_latitude=lat, home_longitude=lon, created_by=clerk))
        Carer.objects.bulk_create(cars, batch_size=500)
        CareChoice.objects.bulk_create(choices, batch_size=500)
        # Sessions as a login makes them, without hashing 1,500 passwords: the backend a password login
        # records is the first one that can load a user (axes' standalone backend cannot).
        backend = next(path for path in settings.AUTHENTICATION_BACKENDS
                       if isinstance(load_backend(path), ModelBackend))
        phones = []
        for user, person, (lat, lon) in zip(users, people, homes):
            session = SessionStore()
            session.update({"_auth_user_id": str(user.pk), "_auth_user_backend": backend,
                            "_auth_user_hash": user.get_session_auth_hash()})
            session.create()
            phones.append({"session": session.session_key, "csrf": get_random_string(32), "person_id": person.pk,
                           "latitude": str(lat), "longitude": str(lon)})
        items = _plans(people, users, clerk, since)
    out.write_text(json.dumps({"carers": phones, "items": items}))


def _plans(people, users, clerk, since) -> list[str]:
    """Confirmed care plans of three catalogue items a carer may do (a check-in needs a plan, a check-out
    names planned catalogue codes); the codes."""
    from django.utils import timezone

    from ltci.care import models as care
    from ltci.providers.catalogue import items_of

    catalogue = list(items_of(REGION, since).filter(qualification="carer").order_by("code")[:3])
    if not catalogue:
        raise SystemExit(f"{REGION} has no catalogue items a carer may do on {since}")
    if not hasattr(care, "CarePlan"):  # before care plans, a check-out names catalogue codes only
        return [i.code for i in catalogue]
    now = timezone.now()
    plans = care.CarePlan.objects.bulk_create([
        care.CarePlan(region_id=REGION, person=person, institution_id=user.institution_id, mode=care.Mode.HOME_CARE,
                      grade="severe_1", valid_from=since, status=care.PlanStatus.CONFIRMED, drafted_by=clerk,
                      confirmed_by=clerk, confirmed_at=now)
        for person, user in zip(people, users)], batch_size=500)
    care.PlanItem.objects.bulk_create([care.PlanItem(plan=plan, item=item, per_month=8, unit_price=item.unit_price)
                                       for plan in plans for item in catalogue], batch_size=500)
    return [i.code for i in catalogue]


def verify(phases: list[str], carers: int) -> dict:
    """The visits in the database against what the phones did: per phase one visit per carer, each
    checked out with its own request id, and no (carer, request id) twice."""
    _django()
    from ltci.care.models import Visit

    rows = list(Visit.objects.values_list("carer_id", "request_id", "checkin_at", "checkout_at", "checkout_request_id"))
    report = {"visits": len(rows), "expected": carers * len(phases), "phases": {}, "problems": []}
    pairs = Counter((carer, request) for carer, request, *_ in rows)
    twice = sum(1 for n in pairs.values() if n > 1)
    if twice:
        report["problems"].append(f"{twice} (carer, request id) pairs recorded twice")
    for phase in phases:
        mine = [r for r in rows if r[1].startswith(f"{phase}-")]
        by_carer = Counter(r[0] for r in mine)
        out = [r for r in mine if r[3] is not None]
        well = [r for r in out if r[4] == r[1].removesuffix("-in") + "-out" and r[3] > r[2]]
        report["phases"][phase] = {"visits": len(mine), "carers": len(by_carer), "checked_out": len(out),
                                   "carers_twice": sum(1 for n in by_carer.values() if n > 1)}
        if len(mine) != carers or len(by_carer) != carers or len(well) != carers:
            report["problems"].append(f"{phase}: {len(mine)} visits of {len(by_carer)} carers, {len(well)} checked "
                                      f"out properly; {carers} expected")
    if len(rows) != report["expected"]:
        report["problems"].append(f"{len(rows)} visits in all, {report['expected']} expected")
    report["ok"] = not report["problems"]
    return report


# --- the server -------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _die_with_parent():  # Linux: the server gets SIGTERM if the bench dies without cleaning up
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _family(pid: int) -> list[int]:
    """A process and its children (the serving processes of `ltci serve --processes`)."""
    found = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


class Server:
    """`ltci serve` in a subprocess (with its workers, if any); stopped (SIGINT, then SIGTERM, then
    SIGKILL) by `stop`."""

    def __init__(self, env: dict, threads: int, log: Path, *, processes: int = 1, workers: int = 0):
        self.port = _free_port()
        self.log = log
        self._log = open(log, "w")  # noqa: SIM115 - the server's output until stop() closes it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ltci.cli", "serve", "--host", HOST, "--port", str(self.port),
             "--threads", str(threads), "--processes", str(processes)],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent)  # noqa: PLW1509 - started before the client's threads, if any
        self.workers = [subprocess.Popen([sys.executable, "-m", "ltci.cli", "worker"], cwd=ROOT, env=env,
                                         stdout=self._log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
                        for _ in range(workers)]

    def wait_ready(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer /healthz in {seconds:.0f} s:\n{self.tail()}")

    def peak_rss_mb(self) -> float | None:
        """The serving processes' peak resident memory, summed."""
        total = 0
        for pid in _family(self.proc.pid):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024 if total else None

    def cpu_seconds(self) -> float:
        total = 0
        for pid in _family(self.proc.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK") if total else float("nan")

    def limit_warnings(self) -> int:
        self._log.flush()
        return self.log.read_text(errors="replace").count("reached the connection limit")

    def tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        try:
            for proc in (self.proc, *self.workers):
                for sig, wait in ((signal.SIGINT, 10), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
                    if proc.poll() is not None:
                        break
                    proc.send_signal(sig)
                    try:
                        proc.wait(wait)
                    except subprocess.TimeoutExpired:
                        continue
        finally:
            self._log.close()


# --- the phones -------------------------------------------------------------------------------------

@dataclass
class Sample:
    kind: str  # checkin | checkout
    start: float  # loop time the request began
    seconds: float
    status: int | None  # None: no answer
    error: str | None = None  # what went wrong, if anything


@dataclass
class Phase:
    name: str
    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0
    lag_ms: float = 0.0  # the worst delay of a planned start (the client's own health)
    peak_rss_mb: float | None = None
    cpu: dict = field(default_factory=dict)  # CPU seconds over the phase: server, client, machine (all processes)
    limit_warnings: int = 0  # times waitress stopped accepting: its connection limit was reached

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if s.error]

    def figures(self, kind: str | None = None) -> dict:
        mine = [s for s in self.samples if kind in (None, s.kind)]
        took = sorted(s.seconds * 1000 for s in mine)
        if kind is None:
            seconds = self.seconds
        else:
            seconds = max((s.start + s.seconds for s in mine), default=0) - min((s.start for s in mine), default=0)

        def pct(p):
            return took[max(0, math.ceil(p * len(took)) - 1)] if took else float("nan")

        return {"requests": len(mine), "seconds": seconds, "rps": len(mine) / seconds if seconds else 0.0,
                "p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "max": took[-1] if took else float("nan"),
                "errors": sum(1 for s in mine if s.error)}


def _message(data: bytes) -> str:
    try:
        body = json.loads(data)
        return f"{body.get('code')}: {body.get('message')}" + (f" ({body['field']})" if body.get("field") else "")
    except (ValueError, AttributeError):
        return data[:200].decode(errors="replace")


class Phones:
    def __init__(self, port: int, carers: list[dict], items: list[str], timeout: float):
        self.port, self.carers, self.items, self.timeout = port, carers, items, timeout

    async def _http(self, carer: dict, path: str, payload: dict) -> tuple[int, bytes]:
        body = json.dumps(payload).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nCookie: sessionid={carer['session']}; csrftoken={carer['csrf']}\r\n"
                f"X-CSRFToken: {carer['csrf']}\r\nAccept: application/json\r\nConnection: close\r\n\r\n")
        return await exchange(self.port, head.encode() + body)

    async def call(self, phase: Phase, kind: str, carer: dict, path: str, payload: dict) -> dict | None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            status, data = await asyncio.wait_for(self._http(carer, path, payload), self.timeout)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError, TimeoutError) as exc:
            phase.samples.append(Sample(kind, started, loop.time() - started, None, type(exc).__name__))
            return None
        took = loop.time() - started
        if not 200 <= status < 300:
            phase.samples.append(Sample(kind, started, took, status, f"{status} {_message(data)}"))
            return None
        phase.samples.append(Sample(kind, started, took, status))
        return json.loads(data)

    def _checkin(self, phase: Phase, i: int) -> dict:
        c = self.carers[i]
        return {"request_id": f"{phase.name}-{i}-in", "person_id": c["person_id"], "latitude": c["latitude"],
                "longitude": c["longitude"]}

    def _checkout(self, phase: Phase, i: int) -> dict:
        c = self.carers[i]
        return {"request_id": f"{phase.name}-{i}-out", "latitude": c["latitude"], "longitude": c["longitude"],
                "items": self.items, "face_check": "passed"}

    async def window(self, window: float, pause: tuple[float, float], rng: random.Random) -> Phase:
        phase = Phase("window")
        loop = asyncio.get_running_loop()
        t0 = loop.time() + 0.1
        plan = [(rng.uniform(0, window), rng.uniform(*pause)) for _ in self.carers]

        async def carer(i: int, at: float, rest: float):
            await asyncio.sleep(max(0.0, t0 + at - loop.time()))
            phase.lag_ms = max(phase.lag_ms, (loop.time() - t0 - at) * 1000)
            visit = await self.call(phase, "checkin", self.carers[i], "/api/visits/checkin", self._checkin(phase, i))
            if visit is None:
                return
            await asyncio.sleep(rest)
            await self.call(phase, "checkout", self.carers[i], f"/api/visits/{visit['id']}/checkout",
                            self._checkout(phase, i))

        await asyncio.gather(*(carer(i, at, rest) for i, (at, rest) in enumerate(plan)))
        phase.seconds = loop.time() - t0
        return phase

    async def burst(self) -> Phase:
        phase = Phase("burst")
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        visits = await asyncio.gather(*(self.call(phase, "checkin", c, "/api/visits/checkin", self._checkin(phase, i))
                                        for i, c in enumerate(self.carers)))
        await asyncio.gather(*(self.call(phase, "checkout", self.carers[i], f"/api/visits/{v['id']}/checkout",
                                         self._checkout(phase, i))
                               for i, v in enumerate(visits) if v is not None))
        phase.seconds = loop.time() - t0
        return phase


# --- the whole run ----------------------------------------------------------------------------------

@dataclass
class Result:
    carers: int
    window: float
    threads: int
    phases: list[Phase]
    check: dict
    server_log: Path
    port: int
    server_exit: int | None  # the server's exit status once stopped (None: still running)
    database: str = "SQLite WAL"
    processes: int = 1
    workers: int = 0

    @property
    def ok(self) -> bool:
        return self.check.get("ok", False) and not any(p.errors for p in self.phases)


def _cpu(server: Server) -> dict:
    """CPU seconds so far of the server, of this process (the client), and of the whole machine."""
    import resource

    me = resource.getrusage(resource.RUSAGE_SELF)
    try:
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        machine = (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait
    except (OSError, IndexError, ValueError):
        machine = float("nan")
    return {"server": server.cpu_seconds(), "client": me.ru_utime + me.ru_stime, "machine": machine}


async def exchange(port: int, request: bytes) -> tuple[int, bytes]:
    """One HTTP/1.1 request on a connection of its own (`Connection: close`): (status, body)."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(request)
        await writer.drain()
        status = int((await reader.readline()).split(b" ", 2)[1])
        length = None
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await reader.readexactly(length) if length is not None else await reader.read()
        return status, body
    finally:
        writer.close()


def _run_coroutine(coroutine):
    """asyncio.run, in a thread of its own when this thread already runs an event loop (the browser
    tests' Playwright keeps one running for the whole test session)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _measured(server: Server, run_phase) -> Phase:
    before, warned = _cpu(server), server.limit_warnings()
    phase = _run_coroutine(run_phase)
    after = _cpu(server)
    phase.cpu = {k: after[k] - before[k] for k in after}
    phase.peak_rss_mb = server.peak_rss_mb()
    phase.limit_warnings = server.limit_warnings() - warned
    return phase


def _raise_file_limit(needed: int) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard) if hard != resource.RLIM_INFINITY else needed, hard))


def _django_step(env: dict, *args: str) -> str:
    r = subprocess.run([sys.executable, "-m", "bench.visits", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                       check=False)
    if r.returncode != 0:
        raise RuntimeError(f"bench.visits {args[0]} failed:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def _fresh_postgresql(url: str) -> str:
    """A database `ltci_bench_visits` made afresh on the server `url` names; its URL."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS ltci_bench_visits WITH (FORCE)")
        conn.execute("CREATE DATABASE ltci_bench_visits")
    return urlunsplit(parts._replace(path="/ltci_bench_visits"))


def run(carers: int = 1500, window: float = 60.0, folder: Path = ROOT / "var" / "bench", *, threads: int = 2,
        pause: tuple[float, float] = (1.0, 5.0), burst: bool = True, seed: int = 6, timeout: float = 60.0,
        server_env: dict | None = None, progress=None, database_url: str = "", processes: int = 1,
        workers: int = 0) -> Result:
    """Builds the database, starts the server, runs the phases, stops the server, checks the visits."""
    say = progress or (lambda text: print(text, file=sys.stderr))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "visits.sqlite3"
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    database_url = _fresh_postgresql(database_url) if database_url else f"sqlite:///{db.resolve()}"
    phones_file = folder / "visits-phones.json"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ltci.settings", "DATABASE_URL": database_url,
           "LTCI_DEMO": "0", "LTCI_ENV": "development", "LTCI_DEBUG": "0", "LTCI_LOG_LEVEL": "WARNING",
           "LTCI_SECRET_KEY": secrets.token_urlsafe(48),
           # Connections kept between requests, as in production: on PostgreSQL each new one forks a backend.
           "LTCI_DB_CONN_MAX_AGE": "60", **(server_env or {})}
    where = "PostgreSQL database ltci_bench_visits" if database_url.startswith("postgres") else db
    say(f"visits: building {carers:,} carers, sessions and beneficiaries in {where} ...")
    started = time.perf_counter()
    _django_step(env, "setup", "--carers", str(carers), "--out", str(phones_file), "--seed", str(seed))
    say(f"visits: data ready in {time.perf_counter() - started:.1f} s; starting the server ({processes} process(es) "
        f"of {threads} threads, {workers} worker(s)) ...")
    made = json.loads(phones_file.read_text())
    phones = made["carers"]
    _raise_file_limit(2 * carers + 256)
    server = Server(env, threads, folder / "visits-server.log", processes=processes, workers=workers)
    phases = []
    try:
        server.wait_ready()
        client = Phones(server.port, phones, made["items"], timeout)
        rng = random.Random(seed)
        say(f"visits: window phase, {carers:,} carers over {window:g} s ...")
        phases.append(_measured(server, client.window(window, pause, rng)))
        if burst:
            say(f"visits: burst phase, {carers:,} check-ins at once, then {carers:,} check-outs ...")
            phases.append(_measured(server, client.burst()))
    finally:
        server.stop()
    check = json.loads(_django_step(env, "verify", "--carers", str(carers), "--phases", ",".join(p.name for p in phases)))
    return Result(carers, window, threads, phases, check, server.log, server.port, server.proc.poll(),
                  "PostgreSQL" if database_url.startswith("postgres") else "SQLite WAL", processes, workers)


def report(result: Result) -> list[str]:
    """A header line and rows in `bench.run`'s style; then the database check."""
    serving = (f"{result.processes} processes × {result.threads} threads, {result.workers} workers"
               if result.processes > 1 or result.workers else f"{result.threads} threads")
    lines = [(f"{f'{result.database}, {result.carers:,} carers, {serving}':<40}{'requests':>9}  {'time':>8}  "
              f"{'req/s':>7}  {'p50':>7}  {'p90':>7}  {'p99':>7}  {'max':>7}  {'errors':>6}  {'server':>7}")]
    for phase in result.phases:
        title = f"window {result.window:g} s" if phase.name == "window" else "burst (all at once)"
        for kind, label in ((None, title), ("checkin", "  check-in"), ("checkout", "  check-out")):
            f = phase.figures(kind)
            peak = f"{phase.peak_rss_mb:>5.0f}MB" if kind is None and phase.peak_rss_mb else ""
            note = ""
            if kind is None:
                note = "   p99 within 200 ms" if f["p99"] <= TARGET_P99_MS else "   p99 OVER the 200 ms target"
            lines.append(f"{label:<40}{f['requests']:>9,}  {f['seconds']:>7.1f}s  {f['rps']:>7.1f}  {f['p50']:>5.0f}ms  "
                         f"{f['p90']:>5.0f}ms  {f['p99']:>5.0f}ms  {f['max']:>5.0f}ms  {f['errors']:>6}  {peak:>7}{note}")
        if phase.errors:
            kinds = Counter((s.error or "").split(" ", 1)[0] for s in phase.errors)
            lines.append(f"  errors: {', '.join(f'{k} ×{n}' for k, n in kinds.most_common())}; "
                         f"first: {phase.errors[0].error[:160]}")
        if phase.name == "window" and phase.lag_ms > 50:
            lines.append(f"  the client started requests up to {phase.lag_ms:.0f} ms late (its own load)")
        cpu, n, took = phase.cpu, len(phase.samples), phase.seconds or 1
        if cpu and n:
            others = max(0.0, cpu["machine"] - cpu["server"] - cpu["client"])
            lines.append(f"  CPU: server {cpu['server'] / n * 1000:.1f} ms a request ({cpu['server'] / took:.2f} cores), "
                         f"client {cpu['client'] / took:.2f} cores, other processes {others / took:.2f} cores "
                         f"(of {os.cpu_count()})")
        if phase.limit_warnings:
            lines.append(f"  waitress stopped accepting at its connection limit {phase.limit_warnings} time(s)")
    c = result.check
    per = ", ".join(f"{name} {v['visits']:,} ({v['checked_out']:,} checked out)" for name, v in c["phases"].items())
    lines.append(f"database: {c['visits']:,} visits ({per}); "
                 + ("one per carer and phase, all checked out, no duplicates" if c["ok"] else "; ".join(c["problems"])))
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("setup", help="(inside the bench) build the database")
    s.add_argument("--carers", type=int, required=True)
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--seed", type=int, default=6)
    v = sub.add_parser("verify", help="(inside the bench) check the visits")
    v.add_argument("--carers", type=int, required=True)
    v.add_argument("--phases", required=True)
    r = sub.add_parser("run", help="the whole bench")
    r.add_argument("--carers", type=int, default=1500)
    r.add_argument("--window", type=float, default=60.0)
    r.add_argument("--threads", type=int, default=2)  # `ltci serve`'s default on SQLite
    r.add_argument("--dir", type=Path, default=ROOT / "var" / "bench")
    r.add_argument("--no-burst", action="store_true")
    r.add_argument("--database-url", default="", help="a PostgreSQL server (postgres://…): the bench makes its own "
                   "database there; default a SQLite file")
    r.add_argument("--processes", type=int, default=1, help="serving processes (PostgreSQL)")
    r.add_argument("--workers", type=int, default=0, help="workers beside the server")
    r.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                   help="a setting for the server, e.g. LTCI_ENV=production (with LTCI_ALLOWED_HOSTS=127.0.0.1 "
                        "LTCI_SSL_REDIRECT=0)")
    args = p.parse_args(argv)
    if args.command == "setup":
        setup(args.carers, args.out, args.seed)
    elif args.command == "verify":
        print(json.dumps(verify(args.phases.split(","), args.carers)))
    else:
        result = (run(args.carers, args.window, args.dir, threads=args.threads, burst=not args.no_burst,
                      server_env=dict(e.split("=", 1) for e in args.env), database_url=args.database_url,
                      processes=args.processes, workers=args.workers)
                  if args.command == "run" else run())
        print("\n".join(report(result)))
        return 0 if result.ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
