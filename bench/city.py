"""A city-sized database, measured (issue 17): Jiaxing's pages and lists under 20 clerks at once.

`build` fills a fresh database (SQLite under var/bench/city/, or a PostgreSQL database
`ltci_bench_city` made beside the one `--database-url` names) at Jiaxing's size, reusing the other
benches' generators:

- bench/settlement.py's month (45,000 beneficiaries with applications, certificates, a paid 2024
  bill each, 150 institutions, their carers, 1,500,000 visits of November 2024, 20,000 stays), its
  visits then copied into the other eleven months of 2024 and its stays begun on 1 January (a year
  of visits and bed-days); 150 further institutions (300);
- further insured people up to 4,220,000 with Chinese names and their pinyin initials, each with an
  enrolment, a 2024 bill and (all but one in 33) its payment;
- a year of the fund's books (bench/cockpit.py's: contribution journals and a benefit journal a
  month) and the population figures;
- the platform's own settlement of November 2024 (`ltci settle`, timed: the claims of a month);
- 10,000 hits over the year and 500 cases (as bench/cockpit.py makes them, with their people);
- 10,000,000 audit events by 200 users over the people (bench/audit.py's bulk insertion, linked or
  sealed as the platform does: `ltci audit verify` passes);
- 20 clerks and 20 auditors with their sessions, and the targets the client picks from.

Each step commits on its own and is recorded in `state.json`: a build interrupted resumes at the
step (the insured: at the chunk) where it stopped. `--scale 0.001` makes everything that small.

`measure` starts `ltci serve` (bench/visits.py's Server; PostgreSQL with `--processes 2` and
LTCI_DB_CONN_MAX_AGE=60) and, kind after kind, 20 concurrent users (one in flight each, no pause)
request each page and API list `--requests` times (or for `--seconds`, whichever ends first) with
random targets; every answer must be 200 with the content expected. A table of p50, p95 and max per
kind, the 300 ms (lists and pages) and 1 s (cockpit) targets marked.

`python -m bench.city [--scale S] [--database-url URL]` builds and measures; `bench.run --only city`
runs it on SQLite and on a throw-away PostgreSQL cluster.
"""

from __future__ import annotations

import argparse
import asyncio
import calendar
import json
import math
import os
import random
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
REGION = "jiaxing"
HOST = "127.0.0.1"
YEAR = 2024
MONTH = "2024-11"  # the month settled, as bench/settlement.py's
PAGE_TARGET_MS, COCKPIT_TARGET_MS = 300.0, 1000.0
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "秀英桂兰建国玉兰志强淑珍国华美华金凤根法伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华荣红梅建华文斌海燕小红雪梅晓东春花志明永林"
USERS_IN_TRAIL = 200
STATE = "state.json"


def sizes(scale: float = 1.0, **override) -> dict:
    """The issue's sizes times `scale` (at least one of each)."""
    full = {"insured": 4_220_000, "beneficiaries": 45_000, "visits": 1_500_000, "bed_days": 600_000,
            "institutions": 300, "journals": 600_000, "hits": 10_000, "cases": 500, "audit": 10_000_000}
    out = {k: (v if k == "institutions" else max(1, round(v * scale))) for k, v in full.items()}
    out["bed_days"] = max(30, out["bed_days"] // 30 * 30)
    out.update({k: v for k, v in override.items() if v is not None})
    return out


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltci.settings")
    import django

    django.setup()


def _name(n: int) -> str:
    """A Chinese name: one of 100 surnames and one or two characters of 60 (about 370,000 names)."""
    s = SURNAMES[n % len(SURNAMES)]
    k = n // len(SURNAMES)
    if k % 5 == 0:
        return s + GIVEN[(k // 5) % len(GIVEN)]
    return s + GIVEN[k % len(GIVEN)] + GIVEN[(k // len(GIVEN) + k) % len(GIVEN)]


# --- the build (inside Django) ----------------------------------------------------------------------

class Build:
    def __init__(self, folder: Path, size: dict, seed: int = 17):
        self.folder, self.size, self.rng = folder, size, random.Random(seed)
        self.state_file = folder / STATE
        self.state = json.loads(self.state_file.read_text()) if self.state_file.exists() else {"done": {}}

    def save(self):
        self.state_file.write_text(json.dumps(self.state, indent=1))

    def say(self, text: str):
        print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    def step(self, name: str, fn):
        if name in self.state["done"]:
            self.say(f"{name}: done before ({self.state['done'][name]:.0f} s)")
            return
        started = time.perf_counter()
        self.say(f"{name} ...")
        fn()
        self.state["done"][name] = time.perf_counter() - started
        self.save()
        self.say(f"{name}: {self.state['done'][name]:.0f} s")

    def run(self):
        s = self.size
        self.state["size"] = s
        self.step("month", self.month)
        self.step("names", self.names)
        self.step("institutions", self.institutions)
        self.step("insured", self.insured)
        self.step("year", self.year)
        self.step("fund", self.fund)
        self.step("settle", self.settle)
        self.step("supervision", self.supervision)
        self.step("plans", self.plans)
        self.step("rota", self.rota)
        self.step("screen", self.screen)
        self.step("audit", self.audit)
        self.step("analyze", self.analyze)
        self.users()  # sessions and targets, afresh each time
        self.state["build_seconds"] = sum(self.state["done"].values())
        self.save()

    # Steps.
    def month(self):
        from bench import settlement

        s = self.size
        made = settlement.setup(s["beneficiaries"], s["visits"], s["bed_days"])
        self.state["month"] = made

    def _cursor(self):
        from django.db import connection

        connection.ensure_connection()
        vendor = connection.vendor
        raw = connection.connection.cursor()
        return vendor, (raw if vendor == "sqlite" else connection.cursor().cursor)

    def names(self):
        """The month's people get Chinese names and their initials (settlement's are 参保人N)."""
        from django.db import connection, transaction

        from ltci.enrolment.models import initials

        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT id FROM enrolment_person ORDER BY id")
            ids = [r[0] for r in cur.fetchall()]
            rows = [(name, initials(name), pk) for pk in ids for name in [_name(pk * 7919)]]
            cur.executemany("UPDATE enrolment_person SET name = %s, name_initials = %s WHERE id = %s", rows)

    def institutions(self):
        """Up to 300: further elderly-care institutions without this year's deliveries."""
        from django.db import transaction

        from ltci.providers.demo import credit_code
        from ltci.providers.models import Agreement, Institution, InstitutionKind

        have = Institution.objects.filter(region_id=REGION).count()
        taken = set(Institution.objects.values_list("credit_code", flat=True))
        codes = set()
        while len(codes) < max(0, self.size["institutions"] - have):
            code = credit_code("52", "330411", self.rng)
            if code not in taken:
                codes.add(code)
        with transaction.atomic():
            made = Institution.objects.bulk_create([
                Institution(region_id=REGION, name=f"嘉兴秀洲第{n + 1}养老护理院", credit_code=code,
                            kind=InstitutionKind.ELDERLY_CARE, district="秀洲区", filed_beds=200)
                for n, code in enumerate(sorted(codes))])
            Agreement.objects.bulk_create([Agreement(institution=i, number=f"XZ{i.pk:05d}", start=date(2024, 1, 1),
                                                     end=date(2026, 12, 31), modes=["institution_care"],
                                                     signed_on=date(2024, 1, 1), bed_day_price=150) for i in made])

    def insured(self, chunk: int = 200_000):
        """The further insured, chunk by chunk (each committed and recorded): person, enrolment, a
        2024 bill and, but for one in 33, its payment."""
        from django.db import connection, transaction

        from bench.settlement import _insert
        from ltci.core.models import Job, JobKind
        from ltci.enrolment.idcard import make_id_number
        from ltci.enrolment.models import initials

        extra = max(0, self.size["insured"] - self.size["beneficiaries"])
        done = self.state.get("insured_done", 0)
        with connection.cursor() as cur:
            cur.execute("SELECT id FROM accounts_user WHERE username = 'bench-clerk'")
            clerk = cur.fetchone()[0]
        job = Job.objects.create(kind=JobKind.BILLING, region_id=REGION, title="bench city 2024").pk
        cache: dict[str, str] = {}
        places = ("330411", "330421", "330424", "330481", "330482", "330483")  # 秀洲 嘉善 海盐 海宁 平湖 桐乡
        districts = ("秀洲区", "嘉善县", "海盐县", "海宁市", "平湖市", "桐乡市")
        started = time.perf_counter()
        while done < extra:
            size = min(chunk, extra - done)
            with transaction.atomic():
                vendor, c = self._cursor()
                with connection.cursor() as cur:
                    cur.execute("SELECT COALESCE(MAX(id), 0) FROM enrolment_person")
                    first = cur.fetchone()[0] + 1
                now = "2024-01-01 00:00:00" if vendor == "sqlite" else datetime(2024, 1, 1, tzinfo=UTC)
                ns = range(done, done + size)

                def people():
                    for i, n in enumerate(ns):
                        name = _name(n)
                        if name not in cache:
                            cache[name] = initials(name)
                        birth = date(1940, 1, 1) + timedelta(days=n % 25_000)
                        sex = "F" if n % 2 else "M"
                        d = (n // 25_000) % len(places)
                        yield (first + i, REGION, "resident",
                               make_id_number(places[d], birth, n // (25_000 * len(places)), sex), name, sex, birth,
                               "", districts[d], "", cache[name], now)
                _insert(c, vendor, "enrolment_person", ["id", "region_id", "id_kind", "id_number", "name", "sex",
                                                        "birth_date", "phone", "district", "address", "name_initials",
                                                        "created_at"], people())
                ids = range(first, first + size)
                _insert(c, vendor, "enrolment_enrolment",
                        ["region_id", "person_id", "scheme", "category", "start", "status", "end_reason"],
                        ((REGION, pk, "resident", "", date(2022, 1, 1), "active", "") for pk in ids))
                _insert(c, vendor, "contributions_bill",
                        ["region_id", "person_id", "period", "kind", "due_date", "individual", "employer",
                         "medical_fund", "fiscal", "total", "job_id", "created_at"],
                        ((REGION, pk, "2024", "original", date(2024, 1, 31), 30, 0, 60, 30, 120, job, now)
                         for pk in ids))
                _insert(c, vendor, "contributions_payment",
                        ["region_id", "person_id", "period", "payer", "channel", "amount", "reference", "paid_on",
                         "recorded_by_id", "recorded_at"],
                        ((REGION, pk, "2024", "individual", "tax", 120, f"C{pk}", date(2024, 1, 1 + pk % 28), clerk,
                          now) for pk in ids if pk % 33))
            done += size
            self.state["insured_done"] = done
            self.save()
            rate = done / max(time.perf_counter() - started, 1e-9)
            self.say(f"  insured {done:,} of {extra:,} ({rate:,.0f}/s)")

    def year(self):
        """November's visits copied into the other months of 2024 (as many days as each month has),
        and the stays begun on 1 January: twelve months of visits and bed-days."""
        from django.db import connection, transaction

        cols = ["region_id", "person_id", "institution_id", "carer_id", "request_id", "checkin_at", "checkin_latitude",
                "checkin_longitude", "checkin_distance_m", "checkout_at", "checkout_request_id", "checkout_latitude",
                "checkout_longitude", "checkout_distance_m", "face_check", "items", "notes", "entered_by_id",
                "entered_at", "exceptions", "acceptance", "acceptance_note"]
        nov = datetime(2024, 10, 31, 16, 0)  # midnight of 1 November in Jiaxing, as UTC
        done = set(self.state.get("months_done", []))
        for m in range(1, 13):
            if m == 11 or m in done:
                continue
            first = date(YEAR, m, 1)
            days = calendar.monthrange(YEAR, m)[1]
            shift = (first - date(2024, 11, 1)).days
            until = (nov + timedelta(days=min(days, 30))).strftime("%Y-%m-%d %H:%M:%S")
            with transaction.atomic(), connection.cursor() as cur:
                if connection.vendor == "sqlite":
                    moved = {"checkin_at": f"datetime(checkin_at, '{shift:+d} days')",
                             "checkout_at": f"datetime(checkout_at, '{shift:+d} days')"}
                    since = "2024-10-31 16:00:00"
                else:
                    moved = {"checkin_at": f"checkin_at + interval '{shift} days'",
                             "checkout_at": f"checkout_at + interval '{shift} days'"}
                    since, until = f"{since_pg(nov)}", f"{until}+00"
                moved["request_id"] = f"'m{m}-' || request_id"
                select = ", ".join(moved.get(c, f'"{c}"') for c in cols)
                cur.execute(f"INSERT INTO care_visit ({', '.join(chr(34) + c + chr(34) for c in cols)}) "
                            f"SELECT {select} FROM care_visit WHERE checkin_at >= %s AND checkin_at < %s "
                            f"AND request_id NOT LIKE 'm%%'", [since, until])
                self.say(f"  visits of {first:%Y-%m}: {cur.rowcount:,}")
            done.add(m)
            self.state["months_done"] = sorted(done)
            self.save()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE care_stay SET admitted_on = %s", [date(YEAR, 1, 1)])

    def fund(self):
        """bench/cockpit.py's year of books (contribution journals, a benefit journal a month) and
        the population figures, vendor by vendor."""
        from django.db import connection, transaction

        from bench.settlement import _insert
        from ltci.accounts.models import User
        from ltci.cockpit.models import Population

        months = [date(YEAR, m, 1) for m in range(1, 13)]
        per_month, benefit = self.size["journals"] // 12, 5_000_000
        with transaction.atomic():
            vendor, c = self._cursor()
            with connection.cursor() as cur:
                cur.execute("SELECT COALESCE(MAX(id), 0) FROM fund_journal")
                serial = cur.fetchone()[0] + 1
            now = "2024-12-01 00:00:00" if vendor == "sqlite" else datetime(2024, 12, 1, tzinfo=UTC)
            rows, lines = [], []
            for month in months:
                for k in range(per_month):
                    rows.append((serial, REGION, f"bench:pay:{serial}", month + timedelta(days=k % 28), "contribution",
                                 "缴费到账", "bench", str(serial), now))
                    lines += [(serial, "1002", "", "120.00", "0"), (serial, "4101", "", "0", "120.00")]
                    serial += 1
                rows.append((serial, REGION, f"bench:benefit:{serial}", month + timedelta(days=27), "benefit_payment",
                             "待遇拨付", "bench", str(serial), now))
                lines += [(serial, "5101", "", f"{benefit}.00", "0"), (serial, "1002", "", "0", f"{benefit}.00")]
                serial += 1
            _insert(c, vendor, "fund_journal", ["id", "region_id", "key", "posted_on", "kind", "memo", "source_type",
                                                "source_id", "created_at"], rows)
            _insert(c, vendor, "fund_posting", ["journal_id", "account", "party", "debit", "credit"], lines)
        insured = self.size["insured"]
        Population.objects.create(region_id=REGION, year=YEAR, residents=round(insured / 0.993),
                                  elderly_60=round(insured / 0.993 * 0.26), source="bench",
                                  entered_by=User.objects.get(username="bench-clerk"))

    def _timed(self, key: str, *command: str):
        """One `ltci` command in its own process, timed, its last line kept (peak memory: the largest child yet)."""
        import resource

        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "ltci.cli", *command], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
        self.state[key] = {"seconds": time.perf_counter() - started,
                           "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                           "summary": out.strip().splitlines()[-1] if out.strip() else ""}
        self.say(f"  {key} {MONTH} in {self.state[key]['seconds']:.1f} s: {self.state[key]['summary']}")

    def settle(self):
        """The platform's own settlement of November 2024, in its own process, timed."""
        self._timed("settle", "settle", "--region", REGION, "--month", MONTH)

    def screen(self):
        """The platform's own screening of November 2024 (every rule, the month's visits), timed."""
        self._timed("screen", "supervise", "--region", REGION, "--month", MONTH)

    def plans(self):
        """Each person cared for at home has a confirmed plan holding the twelve items their visits
        choose from, so that screening finds what a real month holds, not every visit."""
        from django.db import connection, transaction

        from bench.settlement import _insert
        from ltci.providers.catalogue import items_of

        items = list(items_of(REGION, date(YEAR, 11, 1)).order_by("code")[:12])
        vendor, c = self._cursor()
        with transaction.atomic(), connection.cursor() as cur:
            # Databases built before bench.settlement wrote the face check's value as the platform spells it;
            # November's, the month screened (all 18,000,000 with their twelve indexes: half an hour on PostgreSQL).
            november = [_db_time(vendor, datetime(2024, 10, 31, 16, 0)), _db_time(vendor, datetime(2024, 11, 30, 16, 0))]
            cur.execute("UPDATE care_visit SET face_check = 'passed' WHERE face_check = 'pass' AND checkin_at >= %s "
                        "AND checkin_at < %s", november)
            cur.execute("SELECT id FROM accounts_user WHERE username = 'bench-clerk'")
            clerk = cur.fetchone()[0]
            cur.execute("SELECT person_id, institution_id FROM care_carechoice WHERE region_id = %s AND mode = 'home_care'"
                        " ORDER BY person_id", [REGION])
            homes = cur.fetchall()
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM care_careplan")
            first = cur.fetchone()[0] + 1
            total = sum(20 + 5 * n for n in range(len(items))) * 4
            at = "2024-10-01 00:00:00" if vendor == "sqlite" else datetime(2024, 10, 1, tzinfo=UTC)
            _insert(c, vendor, "care_careplan",
                    ["id", "region_id", "person_id", "institution_id", "mode", "grade", "valid_from", "status",
                     "limit_kind", "limit_value", "visits_per_week", "total", "drafted_by_id", "drafted_at",
                     "confirmed_by_id", "confirmed_at"],
                    ((first + n, REGION, person, inst, "home_care", "severe_1", date(2024, 10, 1), "confirmed", "",
                      None, 14, total, clerk, at, clerk, at) for n, (person, inst) in enumerate(homes)))
            _insert(c, vendor, "care_planitem", ["plan_id", "item_id", "per_month", "unit_price", "amount"],
                    ((first + n, item.pk, 4, item.unit_price, item.unit_price * 4)
                     for n in range(len(homes)) for item in items))
            if vendor == "postgresql":
                cur.execute("SELECT setval(pg_get_serial_sequence('care_careplan', 'id'), %s)", [first + len(homes)])

    def rota(self):
        """November's visits with the carers and times bench.settlement gives them now: databases built
        before put each institution's people on 3 of its 30 carers, all at the same hours, and
        screening found 1,480,000 overlapping visits where a real month has few. The screening's
        findings on the old visits go."""
        import polars as pl
        from django.db import connection, transaction

        from bench.settlement import ROUND_MINUTES, ROUND_START, _insert

        vendor, c = self._cursor()
        first = datetime(2024, 10, 31, 16, 0, tzinfo=UTC)  # 1 November, 00:00 in Jiaxing
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT institution_id, id FROM providers_carer WHERE region_id = %s ORDER BY id", [REGION])
            carers = pl.DataFrame(cur.fetchall(), schema=["institution_id", "carer_id"], orient="row")
            carers = carers.with_columns(pl.int_range(pl.len()).over("institution_id").alias("nth"),
                                         pl.len().over("institution_id").alias("of"))
            text = vendor == "sqlite"

            def stamp(t):
                return _db_time(vendor, t)

            cur.execute("SELECT id, person_id, institution_id, checkin_at FROM care_visit WHERE region_id = %s "
                        "AND checkin_at >= %s AND checkin_at < %s",
                        [REGION, stamp(first.replace(tzinfo=None)), stamp((first + timedelta(days=30)).replace(tzinfo=None))])
            visits = pl.DataFrame(cur.fetchall(), schema=["id", "person_id", "institution_id", "at"], orient="row",
                                  infer_schema_length=None)
            at = pl.col("at")
            at = (at.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_zone="UTC") if visits.schema["at"] == pl.String
                  else at.dt.convert_time_zone("UTC"))
            rota = (visits.with_columns(((at - first).dt.total_days()).alias("day"),
                                        (pl.col("person_id").rank("dense").over("institution_id") - 1).alias("rank"))
                    .join(carers.select("institution_id", "of").unique(), on="institution_id")
                    .with_columns((pl.col("rank") % pl.col("of")).alias("nth"))
                    .join(carers, on=["institution_id", "nth"])
                    .sort("id")
                    .with_columns(pl.int_range(pl.len()).over("carer_id", "day").alias("slot")))
            start = ROUND_START.replace(tzinfo=None)
            rows = ((pk, carer, start + timedelta(days=day, minutes=ROUND_MINUTES * slot))
                    for pk, carer, day, slot in rota.select("id", "carer_id", "day", "slot").iter_rows())
            cur.execute("CREATE TEMP TABLE bench_rota (id bigint PRIMARY KEY, carer_id bigint, checkin_at "
                        + ("text" if text else "timestamptz") + ", checkout_at " + ("text" if text else "timestamptz")
                        + ")")
            _insert(c, vendor, "bench_rota", ["id", "carer_id", "checkin_at", "checkout_at"],
                    ((pk, carer, stamp(t), stamp(t + timedelta(minutes=50))) for pk, carer, t in rows))
            cur.execute("UPDATE care_visit SET carer_id = r.carer_id, checkin_at = r.checkin_at, "
                        "checkout_at = r.checkout_at FROM bench_rota r WHERE care_visit.id = r.id")
            self.say(f"  {cur.rowcount:,} visits of November 2024 on their carers' rounds")
            cur.execute("DROP TABLE bench_rota")
            cur.execute("DELETE FROM supervision_hit WHERE job_id IS NOT NULL")
            self.state["done"].pop("screen", None)

    def supervision(self):
        """Hits over the year with their people and institutions, and cases (bench/cockpit.py's mix)."""
        from django.db import transaction

        from ltci.accounts.models import User
        from ltci.enrolment.models import Person
        from ltci.providers.models import Institution
        from ltci.supervision.models import Case, Hit
        from ltci.supervision.rulebase import RULES

        codes, statuses = sorted(RULES), ("new", "in_case", "confirmed", "dismissed")
        people = list(Person.objects.order_by("id").values_list("id", flat=True)[:self.size["beneficiaries"]])
        homes = list(Institution.objects.filter(region_id=REGION).order_by("id").values_list("id", flat=True))
        auditor = User.objects.get(username="bench-clerk")
        with transaction.atomic():
            Hit.objects.bulk_create([
                Hit(region_id=REGION, month=date(YEAR, 1 + n % 12, 1), rule=codes[n % len(codes)], severity="low",
                    key=f"city{n}", day=date(YEAR, 1 + n % 12, 1 + n % 28), person_id=people[n % len(people)],
                    institution_id=homes[n % len(homes)], status=statuses[n % 4], detail={"bench": n})
                for n in range(self.size["hits"])], batch_size=5000)
            case_status = ("open", "confirmed", "dismissed")
            Case.objects.bulk_create([Case(region_id=REGION, number=f"JX{n:05d}", month=date(YEAR, 1 + n % 12, 1),
                                           title="服务记录核查", status=case_status[n % 3], opened_by=auditor,
                                           institution_id=homes[n % len(homes)])
                                      for n in range(self.size["cases"])], batch_size=5000)

    def audit(self, part: int = 1_000_000):
        """The trail: bench/audit.py's bulk insertion, in parts of a million (each recorded)."""
        from django.db import connection

        from bench.audit import _bulk
        from ltci.audit.models import Action, AuditEvent

        with connection.cursor() as cur:
            cur.execute("SELECT MIN(id), MAX(id) FROM enrolment_person")
            low, high = cur.fetchone()
        total, done = self.size["audit"], self.state.get("audit_done", 0)
        start = datetime(YEAR, 1, 1, tzinfo=UTC)
        span = 366 * 86400
        actions = (Action.VIEW_ID, Action.VIEW_ID, Action.UPDATE, Action.EXPORT)
        paths = ("/persons/", "/persons/", "/api/persons", "/contributions/arrears/")

        def event(k, _now):
            h = (k * 2654435761) % 4294967296  # a spread of people without a random generator's state
            person = low + h % (high - low + 1)
            return AuditEvent(
                at=start + timedelta(seconds=k * span // max(total, 1)), actor_name=f"jx-clerk-{k % USERS_IN_TRAIL:04d}",
                actor_role="clerk", region_id=REGION, ip=f"10.0.{k % 200}.{k % 250 + 1}", channel="web",
                path=paths[k % 4], action=actions[k % 4], object_type="enrolment.person", object_id=str(person),
                object_repr=f"{_name(person)} 3304**********{person % 10000:04d}", detail={"k": k})

        while done < total:
            n = min(part, total - done)
            started = time.perf_counter()
            _bulk(n, event, first=done)
            done += n
            self.state["audit_done"] = done
            self.save()
            self.say(f"  audit {done:,} of {total:,} ({n / (time.perf_counter() - started):,.0f}/s)")

    def analyze(self):
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("ANALYZE")

    def users(self):
        """20 clerks and 20 auditors with sessions; the targets the client picks from."""
        from django.conf import settings
        from django.contrib.auth import load_backend
        from django.contrib.auth.backends import ModelBackend
        from django.contrib.auth.hashers import make_password
        from django.contrib.sessions.backends.db import SessionStore
        from django.db import connection
        from django.utils.crypto import get_random_string

        from ltci.accounts.models import User
        from ltci.accounts.roles import Role

        backend = next(path for path in settings.AUTHENTICATION_BACKENDS
                       if isinstance(load_backend(path), ModelBackend))
        sessions = {}
        for role in (Role.CLERK, Role.AUDITOR):
            mine = []
            for i in range(20):
                user, _ = User.objects.get_or_create(
                    username=f"bench-city-{role}-{i:02d}",
                    defaults={"password": make_password(None), "role": role, "region_id": REGION,
                              "last_name": "沈", "first_name": f"{i}"})
                session = SessionStore()
                session.update({"_auth_user_id": str(user.pk), "_auth_user_backend": backend,
                                "_auth_user_hash": user.get_session_auth_hash()})
                session.create()
                mine.append({"session": session.session_key, "csrf": get_random_string(32)})
            sessions[str(role)] = mine
        rng = random.Random(3)
        with connection.cursor() as cur:
            cur.execute("SELECT MIN(id), MAX(id) FROM enrolment_person")
            low, high = cur.fetchone()
            picks = sorted({rng.randint(low, high) for _ in range(2000)})
            people = []
            for k in range(0, len(picks), 500):
                part = picks[k:k + 500]
                cur.execute(f"SELECT id, id_number, name, name_initials FROM enrolment_person "
                            f"WHERE id IN ({', '.join(['%s'] * len(part))})", part)
                people += [{"id": r[0], "id_number": r[1], "name": r[2], "initials": r[3]} for r in cur.fetchall()]
        targets = {"sessions": sessions, "people": people,
                   "actors": [f"jx-clerk-{k:04d}" for k in range(min(USERS_IN_TRAIL, self.size["audit"]))],
                   "hit_months": list(range(1, 1 + min(12, self.size["hits"])))}
        (self.folder / "targets.json").write_text(json.dumps(targets))


def _db_time(vendor: str, utc: datetime):
    """A naive UTC time as the database keeps it: SQLite's text, PostgreSQL's aware time."""
    return utc.strftime("%Y-%m-%d %H:%M:%S") if vendor == "sqlite" else utc.replace(tzinfo=UTC)


def since_pg(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S") + "+00"


# --- the client -------------------------------------------------------------------------------------

@dataclass
class Kind:
    name: str
    role: str  # clerk | auditor
    path: object  # (rng, targets) -> path
    expect: object  # (status, headers, body, path) -> str | None, the problem
    target_ms: float = PAGE_TARGET_MS


def _html(*markers: str):
    def check(status, body: bytes, path: str):
        if status != 200:
            return f"{status}"
        text = body.decode("utf-8", "replace")
        missing = [m for m in markers if not re.search(m, text)]
        return f"missing {missing}" if missing else None
    return check


def _json(test=lambda data: True, what="content"):
    def check(status, body: bytes, path: str):
        if status != 200:
            return f"{status} {body[:160].decode('utf-8', 'replace')}"
        try:
            data = json.loads(body)
        except ValueError:
            return "not JSON"
        return None if test(data) else f"unexpected {what}: {str(data)[:160]}"
    return check


def _pdf(status, body: bytes, path: str):
    if status != 200:
        return f"{status}"
    return None if body.startswith(b"%PDF") and len(body) > 1000 else f"not a PDF: {body[:60]!r}"


def _person(rng, t):
    return rng.choice(t["people"])


def kinds() -> list[Kind]:
    q = quote
    rows = r'href="/persons/\d+/"'
    year = "start=2024-01&end=2024-12"
    return [
        Kind("search by ID number", "clerk", lambda r, t: f"/persons/?q={_person(r, t)['id_number']}", _html(rows)),
        Kind("search by name", "clerk", lambda r, t: f"/persons/?q={q(_person(r, t)['name'])}", _html(rows)),
        Kind("search by pinyin initials", "clerk", lambda r, t: f"/persons/?q={_person(r, t)['initials']}",
             _html(rows)),
        Kind("a person's page", "clerk", lambda r, t: f"/persons/{_person(r, t)['id']}/", _html("参保")),
        Kind("arrears of 2024", "clerk", lambda r, t: f"/contributions/arrears/?period=2024&page={r.randint(1, 5)}",
             _html(r"2024")),
        Kind("applications", "clerk", lambda r, t: "/assessment/", _html(r"/assessment/\d+/")),
        Kind("claims of a month", "clerk", lambda r, t: "/settlement/", _html(r"/settlement/claims/\d+/")),
        Kind("hits", "clerk", lambda r, t: f"/supervision/hits/?month=2024-{r.choice(t['hit_months']):02d}",
             _html(r"/supervision/hits/\d+/")),
        Kind("cases", "clerk", lambda r, t: "/supervision/cases/", _html(r"/supervision/cases/\d+/")),
        Kind("cockpit", "auditor", lambda r, t: f"/cockpit/?region={REGION}&{year}", _html("参保"),
             COCKPIT_TARGET_MS),
        Kind("audit by person", "auditor",
             lambda r, t: f"/audit/?object_type=enrolment.person&object_id={_person(r, t)['id']}", _html("审计")),
        Kind("audit by user", "auditor", lambda r, t: f"/audit/?actor={r.choice(t['actors'])}", _html("jx-clerk-")),
        Kind("disclosure PDF", "clerk", lambda r, t: f"/fund/disclosure.pdf?{year}", _pdf),
        Kind("API search by ID number", "clerk", lambda r, t: f"/api/persons?q={_person(r, t)['id_number']}",
             _json(lambda d: len(d) >= 1, "a list of one or more")),
        Kind("API search by name", "clerk", lambda r, t: f"/api/persons?q={q(_person(r, t)['name'])}",
             _json(lambda d: len(d) >= 1, "a list of one or more")),
        Kind("API search by initials", "clerk", lambda r, t: f"/api/persons?q={_person(r, t)['initials']}",
             _json(lambda d: len(d) >= 1, "a list of one or more")),
        Kind("API a person", "clerk", lambda r, t: f"/api/persons/{_person(r, t)['id']}",
             _json(lambda d: "name" in d, "a person")),
        Kind("API arrears", "clerk", lambda r, t: "/api/contributions/arrears?period=2024",
             _json(lambda d: isinstance(d, list), "a list")),
        Kind("API applications", "clerk", lambda r, t: "/api/applications", _json(lambda d: len(d) >= 1, "a list")),
        Kind("API claims of a month", "clerk", lambda r, t: f"/api/settlement/claims?month={MONTH}",
             _json(lambda d: len(d) >= 1, "a list")),
        Kind("API hits", "clerk", lambda r, t: f"/api/supervision/hits?month=2024-{r.choice(t['hit_months']):02d}",
             _json(lambda d: len(d) >= 1, "a list")),
        Kind("API cases", "clerk", lambda r, t: "/api/supervision/cases", _json(lambda d: len(d) >= 1, "a list")),
        Kind("API cockpit", "auditor", lambda r, t: f"/api/cockpit?region={REGION}&{year}",
             _json(lambda d: "insured" in str(d), "figures"), COCKPIT_TARGET_MS),
        Kind("API audit by person", "auditor",
             lambda r, t: f"/api/audit/events?object_type=enrolment.person&object_id={_person(r, t)['id']}",
             _json(lambda d: isinstance(d.get("items"), list), "a page of events")),
        Kind("API audit by user", "auditor", lambda r, t: f"/api/audit/events?actor={r.choice(t['actors'])}",
             _json(lambda d: len(d.get("items", [])) >= 1, "a page of events")),
        Kind("API disclosure PDF", "clerk", lambda r, t: f"/api/fund/disclosure/pdf?{year}", _pdf),
    ]


@dataclass
class Tally:
    kind: Kind
    took: list[float] = field(default_factory=list)  # ms
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def pct(self, p: float) -> float:
        s = sorted(self.took)
        return s[max(0, math.ceil(p * len(s)) - 1)] if s else float("nan")


async def _get(port: int, path: str, session: str, timeout: float) -> tuple[int, bytes]:
    from bench.visits import exchange

    return await exchange(port, (f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nCookie: sessionid={session}\r\n"
                                 f"Accept: {'application/json' if path.startswith('/api/') else 'text/html'}\r\n"
                                 f"Connection: close\r\n\r\n").encode())


async def _kind(port: int, kind: Kind, targets: dict, users: int, requests: int, seconds: float,
                timeout: float, rng: random.Random) -> Tally:
    tally = Tally(kind)
    loop = asyncio.get_running_loop()
    started = loop.time()
    left = [requests]
    sessions = targets["sessions"][kind.role]

    async def user(i: int):
        session = sessions[i % len(sessions)]["session"]
        while left[0] > 0 and loop.time() - started < seconds:
            left[0] -= 1
            path = kind.path(rng, targets)
            t = loop.time()
            try:
                status, body = await asyncio.wait_for(_get(port, path, session, timeout), timeout)
                problem = kind.expect(status, body, path)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError, TimeoutError) as exc:
                problem = type(exc).__name__
            tally.took.append((loop.time() - t) * 1000)
            if problem:
                tally.problems.append(f"{path}: {problem}")

    await asyncio.gather(*(user(i) for i in range(users)))
    tally.seconds = loop.time() - started
    return tally


def measure(folder: Path, env: dict, *, users: int = 20, requests: int = 200, seconds: float = 60.0,
            processes: int = 1, only: list[str] | None = None, timeout: float = 60.0, say=None) -> list[Tally]:
    from bench.visits import Server, _run_coroutine

    say = say or (lambda text: print(text, file=sys.stderr, flush=True))
    targets = json.loads((folder / "targets.json").read_text())
    threads = 4 if env["DATABASE_URL"].startswith("postgres") else 2  # `ltci serve`'s defaults
    server = Server(env, threads, folder / "server.log", processes=processes)
    tallies = []
    try:
        server.wait_ready(180)
        rng = random.Random(11)
        for kind in kinds():
            if only and not any(o in kind.name for o in only):
                continue
            # One request first, unmeasured: the first of a kind in each process loads templates and code.
            _run_coroutine(_kind(server.port, kind, targets, 1, processes * 2, 120, timeout, rng))
            tally = _run_coroutine(_kind(server.port, kind, targets, users, requests, seconds, timeout, rng))
            tallies.append(tally)
            say(line(tally))
    finally:
        server.stop()
    return tallies


def header(title: str) -> str:
    return f"{title:<34}{'requests':>9}  {'p50':>7}  {'p95':>7}  {'max':>7}  {'errors':>6}"


def line(t: Tally) -> str:
    p95 = t.pct(0.95)
    mark = f"within {t.kind.target_ms:.0f} ms" if p95 <= t.kind.target_ms else f"OVER {t.kind.target_ms:.0f} ms"
    text = (f"{t.kind.name:<34}{len(t.took):>9}  {t.pct(0.5):>5.0f}ms  {p95:>5.0f}ms  {max(t.took, default=0):>5.0f}ms  "
            f"{len(t.problems):>6}   {mark}")
    if t.problems:
        text += f"\n    first problem: {t.problems[0][:200]}"
    return text


# --- why a kind is slow (inside Django) -------------------------------------------------------------

def explain(folder: Path, names: list[str], top: int = 3) -> None:
    """Each kind named, asked once in this process (Django's test client, as one of the bench's
    users): its queries by time, the slowest `top` with their plan (EXPLAIN ANALYZE on PostgreSQL,
    EXPLAIN QUERY PLAN on SQLite)."""
    _django()
    from django.db import connection
    from django.test import Client

    from ltci.accounts.models import User

    targets = json.loads((folder / "targets.json").read_text())
    rng = random.Random(5)
    for kind in kinds():
        if not any(n in kind.name for n in names):
            continue
        client = Client(HTTP_HOST=HOST, HTTP_ACCEPT="application/json" if "API" in kind.name else "text/html")
        client.force_login(User.objects.get(username=f"bench-city-{kind.role}-00"))
        client.get(kind.path(rng, targets))  # templates and code loaded, unmeasured
        path = kind.path(rng, targets)
        timed = []

        def timing(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timed.append((time.perf_counter() - started, sql, params))

        started = time.perf_counter()
        with connection.execute_wrapper(timing):
            response = client.get(path)
        took = time.perf_counter() - started
        print(f"\n=== {kind.name}: {path} → {response.status_code}, {took * 1000:.0f} ms, {len(timed)} queries, "
              f"{sum(t for t, *_ in timed) * 1000:.0f} ms in the database")
        for seconds, sql, params in sorted(timed, key=lambda t: -t[0])[:top]:
            print(f"--- {seconds * 1000:.0f} ms: {sql[:600]}  {str(params)[:200]}")
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cur:
                if connection.vendor == "postgresql":
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    print("\n".join(r[0] for r in cur.fetchall()))
                else:
                    cur.execute("EXPLAIN QUERY PLAN " + sql, params)
                    print("\n".join(f"  {r[-1]}" for r in cur.fetchall()))


def service(folder: Path, names: list[str], times: int = 10, profile: bool = False) -> None:
    """Each kind asked `times` times alone in this process (after one unmeasured): the median time of
    a request, in the database and outside it (Python: views, templates, middleware). Twenty users at
    once on two cores wait about ten times this; `--profile` prints where the Python time goes."""
    _django()
    import cProfile
    import pstats
    import statistics

    from django.db import connection
    from django.test import Client

    from ltci.accounts.models import User

    targets = json.loads((folder / "targets.json").read_text())
    rng = random.Random(5)
    print(f"{'kind':<28} {'median ms':>9} {'db ms':>7} {'python ms':>9} {'queries':>7}")
    for kind in kinds():
        if names and not any(n in kind.name for n in names):
            continue
        client = Client(HTTP_HOST=HOST, HTTP_ACCEPT="application/json" if "API" in kind.name else "text/html")
        client.force_login(User.objects.get(username=f"bench-city-{kind.role}-00"))
        client.get(kind.path(rng, targets))
        rows, prof = [], cProfile.Profile() if profile else None
        for _ in range(times):
            db = [0.0, 0]

            def timing(execute, sql, params, many, context):
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    db[0] += time.perf_counter() - started
                    db[1] += 1

            path = kind.path(rng, targets)
            started = time.perf_counter()
            with connection.execute_wrapper(timing):
                if prof:
                    prof.enable()
                client.get(path)
                if prof:
                    prof.disable()
            rows.append((time.perf_counter() - started, db[0], db[1]))
        total = statistics.median(r[0] for r in rows) * 1000
        in_db = statistics.median(r[1] for r in rows) * 1000
        print(f"{kind.name:<28} {total:>9.1f} {in_db:>7.1f} {total - in_db:>9.1f} {statistics.median(r[2] for r in rows):>7.0f}")
        if prof:
            st = pstats.Stats(prof).sort_stats(os.environ.get("PSORT", "tottime")); st.print_stats(int(os.environ.get("PN", "20")))


def migrate() -> None:
    """The code's migrations on the database built before (the fixes' indexes), and statistics for
    any index that has none yet: SQLite plans by sqlite_stat1, which the build's ANALYZE filled."""
    _django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=1, interactive=False)
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                        "AND name NOT IN (SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL)")
            for (name,) in cur.fetchall():
                print(f"ANALYZE {name}", file=sys.stderr)
                cur.execute(f'ANALYZE "{name}"')
        else:
            cur.execute("ANALYZE")


# --- running it -------------------------------------------------------------------------------------

def _fresh_postgresql(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS ltci_bench_city WITH (FORCE)")
        conn.execute("CREATE DATABASE ltci_bench_city")
    return urlunsplit(parts._replace(path="/ltci_bench_city"))


def environment(folder: Path, database_url: str) -> dict:
    """The server's and the steps' settings; the secret key kept in the folder, so that sessions made
    by a build still open for a later `--measure-only`."""
    key = folder / "secret_key"
    if not key.exists():
        key.write_text(os.environ.get("LTCI_SECRET_KEY") or secrets.token_urlsafe(48))
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "ltci.settings", "DATABASE_URL": database_url,
            "LTCI_VAR_DIR": str(folder), "LTCI_DEMO": "0", "LTCI_ENV": "development", "LTCI_DEBUG": "0",
            "LTCI_LOG_LEVEL": "WARNING", "LTCI_SECRET_KEY": key.read_text().strip(),
            "LTCI_DB_CONN_MAX_AGE": "60"}


def run(args) -> tuple[list[str], bool, list[Tally]]:
    """Build (or resume), then measure; the report's lines, whether a target was missed, the tallies."""
    postgres = bool(args.database_url)
    folder = args.dir / ("postgresql" if postgres else "sqlite")
    folder.mkdir(parents=True, exist_ok=True)
    if postgres:
        url = _fresh_postgresql(args.database_url) if not args.keep else args.database_url.rsplit("/", 1)[0] + "/ltci_bench_city"
        if not args.keep:
            (folder / STATE).unlink(missing_ok=True)
    else:
        db = folder / "ltci.sqlite3"
        if not args.keep:
            for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"), folder / STATE):
                stale.unlink(missing_ok=True)
        url = f"sqlite:///{db.resolve()}"
    env = environment(folder, url)
    size = sizes(args.scale, audit=args.audit, insured=args.insured)
    started = time.perf_counter()
    if not args.measure_only:
        subprocess.run([sys.executable, "-m", "bench.city", "build", "--dir", str(folder), "--size", json.dumps(size)],
                       cwd=ROOT, env=env, check=True)
    build_seconds = time.perf_counter() - started
    if args.measure_only:
        subprocess.run([sys.executable, "-m", "bench.city", "migrate"], cwd=ROOT, env=env, check=True)
        subprocess.run([sys.executable, "-m", "bench.city", "build", "--dir", str(folder), "--size",
                        json.dumps(json.loads((folder / STATE).read_text())["size"])], cwd=ROOT, env=env, check=True)
    state = json.loads((folder / STATE).read_text())
    database = "PostgreSQL" if postgres else "SQLite WAL"
    tallies = measure(folder, env, users=args.users, requests=args.requests, seconds=args.seconds,
                      processes=2 if postgres else 1, only=args.kinds)
    s = state["size"]
    lines = [f"city, {database}: {s['insured']:,} insured, {s['beneficiaries']:,} beneficiaries, "
             f"{state['month']['visits'] * 12:,}≈ visits and {state['month']['bed_days'] // 30 * 366:,} bed-days "
             f"a year, {s['institutions']} institutions, {s['hits']:,} hits, {s['cases']:,} cases, "
             f"{s['audit']:,} audit events (scale {args.scale:g})",
             "  build: " + ", ".join(f"{k} {v:.0f}s" for k, v in state["done"].items())
             + f"; in all {sum(state['done'].values()):.0f}s (this run {build_seconds:.0f}s)",
             f"  settlement of {MONTH} in the build (ltci settle): {state['settle']['seconds']:.1f}s "
             f"({state['settle']['summary']})",
             f"  screening of {MONTH} in the build (ltci supervise): {state['screen']['seconds']:.1f}s "
             f"({state['screen']['summary'].strip()})",
             header(f"{args.users} users at once, {database}")]
    lines += [line(t) for t in tallies]
    missed = any(t.problems or not t.took or t.pct(0.95) > t.kind.target_ms for t in tallies)
    return lines, missed, tallies


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("action", nargs="?", default="run", choices=["run", "build", "explain", "service", "migrate"])
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--insured", type=int, help="instead of 4,220,000 × scale")
    p.add_argument("--audit", type=int, help="audit events, instead of 10,000,000 × scale")
    p.add_argument("--database-url", default="", help="a PostgreSQL server: the bench makes ltci_bench_city there")
    p.add_argument("--dir", type=Path, default=ROOT / "var" / "bench" / "city")
    p.add_argument("--keep", action="store_true", help="resume the build in the existing database")
    p.add_argument("--measure-only", action="store_true", help="measure the database built before")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--requests", type=int, default=200, help="requests of each kind")
    p.add_argument("--seconds", type=float, default=60.0, help="at most this long for each kind")
    p.add_argument("--kinds", nargs="*", help="only the kinds whose names contain these")
    p.add_argument("--size", help="(build) the sizes as JSON")
    p.add_argument("--profile", action="store_true", help="(service) where the Python time goes")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.action == "build":
        _django()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        Build(args.dir, json.loads(args.size)).run()
        return 0
    if args.action == "migrate":  # the code's migrations on a database built before, its new indexes analysed
        migrate()
        return 0
    if args.action == "explain":  # DATABASE_URL and LTCI_VAR_DIR as the bench's; --kinds
        explain(args.dir, args.kinds or [k.name for k in kinds()])
        return 0
    if args.action == "service":  # the same; --kinds, --profile
        service(args.dir, args.kinds or [], profile=args.profile)
        return 0
    if args.keep or args.measure_only:
        args.keep = True
    lines, missed, _ = run(args)
    print("\n".join(lines))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
