"""The cockpit's figures at Jiaxing's size (issue: the bureau's cockpit), on SQLite.

A fresh database gets bench/settlement.py's month (45,000 beneficiaries of three severe grades,
20,000 in institutions and 25,000 at home with 1,500,000 visits, 150 institutions, their carers),
then enough further insured people to make 4,200,000, a year of the fund's books (50,000
contribution journals and one benefit journal a month), 10,000 hits over the rule base and 500
cases, and the population figures. Rows go in with plain `executemany`: the set-up is not measured.

Then, in a process of its own timed with its peak memory, every figure of 2024 for Jiaxing is
computed (each figure alone, then the whole cockpit as the page and the API build it) and compared
with what the set-up made (`expected.json`, counted while generating) and with hand-written SQL.

`python -m bench.cockpit` runs it; `run(args)` returns the report's lines for bench/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGION = "jiaxing"
START, END, DAY = "2024-01", "2024-12", date(2024, 12, 31)
EXTRA_PLACE = "330421"  # 嘉善县: the further insured, apart from the settlement's people (330402)
TARGET_SECONDS = 1.0  # the page's budget on the demo data; at this size it is reported, not enforced


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltci.settings")
    import django

    django.setup()


def setup(insured: int, beneficiaries: int, visits: int, bed_days: int, journals: int, hits: int, cases: int,
          folder: Path) -> dict:
    """The settlement bench's data, then the cockpit's; writes and returns what each figure must be."""
    from bench import settlement

    made = settlement.setup(beneficiaries, visits, bed_days)
    from django.db import connection, transaction

    from ltci.accounts.models import User
    from ltci.cockpit.models import Population
    from ltci.enrolment.idcard import make_id_number
    from ltci.supervision.models import Case, Hit
    from ltci.supervision.rulebase import RULES

    raw = connection.connection
    extra = max(0, insured - beneficiaries)
    months = [date(2024, m, 1) for m in range(1, 13)]
    per_month = journals // 12
    benefit = 5_000_000  # yuan a month, one journal
    with transaction.atomic():
        cur = connection.cursor()
        c = raw.cursor()
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM enrolment_person")
        first = cur.fetchone()[0] + 1
        ids = range(first, first + extra)

        def people():
            for n, pk in enumerate(ids):
                birth = date(1930, 1, 1) + timedelta(days=n % 30_000)
                sex = "F" if n % 2 else "M"
                yield (pk, REGION, "resident", make_id_number(EXTRA_PLACE, birth, n // 30_000, sex), f"居民{n}", sex,
                       birth, "", "嘉善县", "", "", "2024-01-01 00:00:00")
        settlement._insert(c, "sqlite", "enrolment_person",
                           ["id", "region_id", "id_kind", "id_number", "name", "sex", "birth_date", "phone", "district",
                            "address", "name_initials", "created_at"], people())
        settlement._insert(c, "sqlite", "enrolment_enrolment",
                           ["region_id", "person_id", "scheme", "category", "start", "status", "end_reason"],
                           ((REGION, pk, "resident", "", date(2022, 1, 1), "active", "") for pk in ids))
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM fund_journal")
        j0 = cur.fetchone()[0] + 1
        rows, lines, serial = [], [], j0
        for month in months:
            for k in range(per_month):
                rows.append((serial, REGION, f"bench:pay:{serial}", month + timedelta(days=k % 28), "contribution",
                             "缴费到账", "bench", str(serial), "2024-12-01 00:00:00"))
                lines += [(serial, "1002", "", "120.00", "0"), (serial, "4101", "", "0", "120.00")]
                serial += 1
            rows.append((serial, REGION, f"bench:benefit:{serial}", month + timedelta(days=27), "benefit_payment",
                         "待遇拨付", "bench", str(serial), "2024-12-01 00:00:00"))
            lines += [(serial, "5101", "", f"{benefit}.00", "0"), (serial, "1002", "", "0", f"{benefit}.00")]
            serial += 1
        settlement._insert(c, "sqlite", "fund_journal", ["id", "region_id", "key", "posted_on", "kind", "memo",
                                                         "source_type", "source_id", "created_at"], rows)
        settlement._insert(c, "sqlite", "fund_posting", ["journal_id", "account", "party", "debit", "credit"], lines)
        codes = sorted(RULES)
        statuses = ("new", "in_case", "confirmed", "dismissed")
        by_rule: dict[str, dict[str, int]] = {}
        made_hits = []
        for n in range(hits):
            rule, status = codes[n % len(codes)], statuses[n % 4]
            made_hits.append(Hit(region_id=REGION, month=months[n % 12], rule=rule, severity="low", key=f"b{n}",
                                 status=status))
            by_rule.setdefault(rule, {s: 0 for s in statuses})[status] += 1
        Hit.objects.bulk_create(made_hits, batch_size=5000)
        auditor = User.objects.get(username="bench-clerk")
        case_status = ("open", "confirmed", "dismissed")
        Case.objects.bulk_create([Case(region_id=REGION, number=f"BJ{n:05d}", month=months[n % 12], title="案由",
                                       status=case_status[n % 3], opened_by=auditor) for n in range(cases)])
        residents, elderly = round(insured / 0.993), round(insured / 0.993 * 0.26)
        Population.objects.create(region_id=REGION, year=2024, residents=residents, elderly_60=elderly,
                                  source="bench", entered_by=auditor)
    in_homes = bed_days // settlement.DAYS
    carers = 30 * 100  # bench/settlement.py: thirty for each of its 100 home-care institutions
    expected = {
        "insured": beneficiaries + extra, "residents": residents, "elderly_60": elderly,
        "beneficiaries": beneficiaries, "cumulative": beneficiaries,
        "by_grade": {"severe_1": (beneficiaries + 2) // 3, "severe_2": (beneficiaries + 1) // 3,
                     "severe_3": beneficiaries // 3},
        "by_mode": {"institution_care": in_homes, "home_care": beneficiaries - in_homes},
        "submitted": 0, "concluded": beneficiaries, "conclusion_days": "457.0",  # 2023-09-01 → 2024-12-01
        "income": f"{12 * per_month * 120}.00", "spending": f"{12 * benefit}.00",
        "balance": f"{12 * (per_month * 120 - benefit)}.00",
        "institutions": 150, "beds": 150 * 500, "occupied_beds": in_homes, "certified_carers": carers,
        "hits": hits, "hits_by_rule": by_rule,
        "cases": {s: len(range(k, cases, 3)) for k, s in enumerate(case_status)},
        "rows": {"insured": beneficiaries + extra, "visits": made["visits"], "journals": serial - j0,
                 "postings": len(lines), "hits": hits, "cases": cases},
    }
    (folder / "expected.json").write_text(json.dumps(expected), encoding="utf-8")
    return expected["rows"]


def _sql(query: str, params: list):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()[0]


def figures(folder: Path) -> dict:
    """Times each figure and the whole cockpit for Jiaxing's 2024; checks them against expected.json
    and hand-written SQL. Returns {seconds: {...}, problems: [...]}."""
    _django()
    from ltci.cockpit import cockpit
    from ltci.cockpit.figures import (
        applications,
        beneficiaries,
        enrolment,
        fund,
        providers,
        supervision,
    )
    from ltci.cockpit.period import parse_period
    from ltci.cockpit.selection import Selection
    from ltci.regions.models import Region

    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    region = Region.objects.get(pk=REGION)
    ids, names, period = [REGION], {REGION: region.name}, parse_period(START, END)
    seconds = {}

    def timed(name, fn):
        started = time.perf_counter()
        out = fn()
        seconds[name] = time.perf_counter() - started
        return out

    ins = timed("insured", lambda: enrolment.insured(ids, period, names))
    held = timed("beneficiaries", lambda: beneficiaries.beneficiaries(ids, period))
    apps = timed("applications", lambda: applications.applications(ids, period))
    money = timed("fund", lambda: fund.fund(ids, period, names))
    supply = timed("providers", lambda: providers.providers(ids, period, elderly_60=ins["elderly_60"],
                                                            beneficiaries=held["total"]))
    sup = timed("supervision", lambda: supervision.supervision(ids, period))
    whole = timed("whole cockpit", lambda: cockpit.build(Selection([region], False), period))

    e, problems = expected, []

    def same(label, got, want):
        if got != want:
            problems.append(f"{label}: cockpit {got!r}, expected {want!r}")

    same("insured", ins["total"], e["insured"])
    same("insured (SQL)", ins["total"], _sql(
        "SELECT COUNT(DISTINCT person_id) FROM enrolment_enrolment WHERE region_id = %s AND start <= %s "
        "AND (\"end\" IS NULL OR \"end\" >= %s)", [REGION, DAY, DAY]))
    rate = f"{e['insured'] * 100 / e['residents']:.2f}"
    same("coverage rate", ins["coverage_rate"], rate)
    same("beneficiaries", held["total"], e["beneficiaries"])
    same("beneficiaries (SQL)", held["total"], _sql(
        "SELECT COUNT(DISTINCT person_id) FROM assessment_certificate WHERE region_id = %s AND qualifies "
        "AND valid_from <= %s AND valid_until >= %s AND (ended_on IS NULL OR ended_on >= %s)", [REGION, DAY, DAY, DAY]))
    same("cumulative", held["cumulative"], e["cumulative"])
    same("by grade", {g["grade"]: g["n"] for g in held["by_grade"]}, e["by_grade"])
    same("by mode", {m["mode"]: m["n"] for m in held["by_mode"]}, e["by_mode"])
    same("submitted", apps["submitted"], e["submitted"])
    same("concluded", apps["concluded"], e["concluded"])
    same("conclusion days", apps["conclusion_days"], e["conclusion_days"])
    same("income", money["income"], e["income"])
    same("spending", money["spending"], e["spending"])
    same("balance", money["balance"], e["balance"])
    income_fen = _sql(
        "SELECT SUM(CAST(ROUND(p.credit * 100) AS INTEGER)) - SUM(CAST(ROUND(p.debit * 100) AS INTEGER)) "
        "FROM fund_posting p JOIN fund_journal j ON j.id = p.journal_id WHERE j.region_id = %s "
        "AND p.account LIKE %s AND j.posted_on BETWEEN %s AND %s", [REGION, "41%", date(2024, 1, 1), DAY])
    same("income (SQL)", money["income"], f"{income_fen // 100}.{income_fen % 100:02d}")
    same("institutions", supply["institutions"], e["institutions"])
    same("beds", supply["beds"], e["beds"])
    same("occupied beds", supply["occupied_beds"], e["occupied_beds"])
    same("certified carers", supply["certified_carers"], e["certified_carers"])
    same("carers per 10k", supply["carers_per_10k_elderly"],
         str(round_half_up(e["certified_carers"] * 10_000 / e["elderly_60"], 1)))
    same("supply ratio", supply["supply_ratio"],
         f"1:{round_half_up(e['beneficiaries'] / e['certified_carers'], 1)}")
    same("hits", sup["hits"], e["hits"])
    same("hits by rule", {r["rule"]: r["by_status"] for r in sup["by_rule"]}, e["hits_by_rule"])
    same("cases", {c["status"]: c["n"] for c in sup["cases"]}, e["cases"])
    same("whole = parts", [whole["insured"], whole["beneficiaries"], whole["fund"]["balance"]],
         [ins, held, money["balance"]])
    same("targets", [t["key"] for t in whole["targets"][0]["items"]] if whole["targets"] else [],
         ["coverage_rate", "beneficiaries_cumulative", "service_items", "certified_carers", "carers_per_10k_elderly",
          "supply_ratio"])
    return {"seconds": seconds, "problems": problems, "rows": e["rows"]}


def round_half_up(value: float, places: int):
    from decimal import ROUND_HALF_UP, Decimal

    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def _options(args) -> dict:
    return {"insured": getattr(args, "cockpit_insured", 4_200_000), "beneficiaries": getattr(args, "beneficiaries", 45_000),
            "visits": getattr(args, "settle_visits", 1_500_000), "bed_days": getattr(args, "bed_days", 600_000),
            "journals": getattr(args, "journals", 600_000), "hits": getattr(args, "hits", 10_000),
            "cases": getattr(args, "cases", 500)}


def run(args) -> list[str]:
    """Set-up in its own process, then the figures measured in another; the report's lines. A line
    starting `FAILED` when a figure differs from the independent count."""
    from bench.run import measure

    folder = Path(getattr(args, "dir", ROOT / "var" / "bench")) / "cockpit-db"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = {**os.environ, "LTCI_VAR_DIR": str(folder), "DATABASE_URL": f"sqlite:///{folder / 'ltci.sqlite3'}"}
    o = _options(args)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bench.cockpit", "setup", "--dir", str(folder),
                    *[a for k, v in o.items() for a in (f"--{k.replace('_', '-')}", str(v))]],
                   cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    setup_seconds = time.perf_counter() - started
    seconds, peak, out = measure([sys.executable, "-m", "bench.cockpit", "figures", "--dir", str(folder)],
                                 {k: env[k] for k in ("LTCI_VAR_DIR", "DATABASE_URL")})
    result = json.loads(out.strip().splitlines()[-1])
    rows = result["rows"]
    lines = [f"cockpit, Jiaxing 2024 (SQLite): {rows['insured']:,} insured, {o['beneficiaries']:,} beneficiaries, "
             f"{rows['visits']:,} visits, {rows['postings']:,} postings, {rows['hits']:,} hits "
             f"(set-up {setup_seconds:.0f}s, not measured)"]
    for name, s in result["seconds"].items():
        lines.append(f"  {name:<24}{s:>8.2f}s")
    lines.append(f"  {'process (start-up incl.)':<24}{seconds:>8.2f}s  peak {peak:.0f}MB")
    if result["problems"]:
        lines += [f"FAILED {p}" for p in result["problems"]]
    else:
        lines.append("  every figure equals the independent count")
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("action", nargs="?", default="run", choices=["run", "setup", "figures"])
    p.add_argument("--insured", dest="cockpit_insured", type=int, default=4_200_000)
    p.add_argument("--beneficiaries", type=int, default=45_000)
    p.add_argument("--visits", dest="settle_visits", type=int, default=1_500_000)
    p.add_argument("--bed-days", type=int, default=600_000)
    p.add_argument("--journals", type=int, default=600_000)
    p.add_argument("--hits", type=int, default=10_000)
    p.add_argument("--cases", type=int, default=500)
    p.add_argument("--dir", type=Path, default=ROOT / "var" / "bench")
    args = p.parse_args(argv)
    if args.action == "setup":
        _django()
        o = _options(args)
        print(json.dumps(setup(o["insured"], o["beneficiaries"], o["visits"], o["bed_days"], o["journals"], o["hits"],
                               o["cases"], args.dir)))
        return 0
    if args.action == "figures":
        print(json.dumps(figures(args.dir)))
        return 0
    args.dir.mkdir(parents=True, exist_ok=True)
    lines = run(args)
    print("\n".join(lines))
    return 1 if any(line.startswith("FAILED") for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
