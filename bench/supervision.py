"""Screening a month of Jiaxing's size against the rule base (issue 8), on SQLite.

The set-up is settlement's (bench/settlement.py: 45,000 beneficiaries, 1,500,000 visits, 600,000
bed-days, one in twenty in hospital 10–14 November 2024), then made plausible and seeded with known
faults: 4,500 certified carers (Jiaxing's 2024 target) each with a day of one-hour slots, a
confirmed plan of the month's items for everyone at home, 20 standard minutes an item, and

    every 50th visit a failed face check     every 97th checked in 850 m from the home
    every 199th cut to 10 minutes            every 311th moved into its carer's previous slot
    every 401st with an item outside the plan

Then `ltci supervise --region jiaxing --month 2024-11` runs in its own process, timed end to end with
its peak memory, and once more: the second run must store nothing. The hits stored must equal the
faults seeded, rule by rule (and the hospital days' visits, counted independently).

`python -m bench.supervision` runs it; `bench.run --only supervision` too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.settlement import MONTH, REGION, _django, _insert

ROOT = Path(__file__).resolve().parents[1]
CARERS_PER_INSTITUTION = 45
SLOTS_A_DAY = 12
FAULTS = {"face_check_failed": 50, "checkin_far": 97, "visit_short": 199, "visit_overlap": 311, "item_not_in_plan": 401}
TARGET_SECONDS = 60.0


def prepare() -> dict:
    """Reschedules the settlement set-up's visits and seeds the faults; returns the hits expected by rule."""
    _django()
    from django.db import connection, transaction

    from ltci.enrolment.idcard import make_id_number

    local = timedelta(hours=8)  # Asia/Shanghai, no daylight saving
    start = datetime(2024, 11, 1, 7, 0) - local  # 07:00 local on 1 November, as UTC
    expected = dict.fromkeys(FAULTS, 0) | {"care_in_hospital": 0}
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE providers_catalogueitem SET standard_minutes = 20 WHERE region_id = %s", [REGION])
        cur.execute("UPDATE care_visit SET face_check = 'passed'")
        cur.execute("SELECT institution_id, COUNT(*) FROM care_visit GROUP BY institution_id ORDER BY institution_id")
        per_institution = dict(cur.fetchall())
        visiting = list(per_institution)
        # A team fills its slots over 28 days: 45 carers an institution at Jiaxing's size (4,500 in all).
        team_size = max(1, min(CARERS_PER_INSTITUTION, -(-max(per_institution.values(), default=0)
                                                         // (SLOTS_A_DAY * 28))))
        cur.execute("SELECT institution_id, COUNT(*) FROM providers_carer GROUP BY institution_id")
        have = dict(cur.fetchall())
        rows, n = [], 0
        for inst in visiting:
            for k in range(have.get(inst, 0), team_size):
                n += 1
                rows.append((REGION, inst, "certified", f"补充护理员{n}",
                             make_id_number("330411", date(1980, 1, 1) + timedelta(days=n), 2, "M"), "",
                             f"BZ{n:08d}", "", True, True))
        raw = connection.connection.cursor()
        _insert(raw, "sqlite", "providers_carer", ["region_id", "institution_id", "kind", "name", "id_number", "phone",
                                                   "certificate_number", "level", "trained", "active"], rows)
        cur.execute("SELECT institution_id, id FROM providers_carer WHERE region_id = %s ORDER BY id", [REGION])
        carers: dict[int, list[int]] = {}
        for inst, pk in cur.fetchall():
            carers.setdefault(inst, []).append(pk)
        cur.execute("SELECT person_id FROM care_careevent WHERE kind = 'hospital_admission'")
        in_hospital = {r[0] for r in cur.fetchall()}
        cur.execute("SELECT code FROM providers_catalogueitem WHERE region_id = %s AND unit_price IS NOT NULL",
                    [REGION])
        codes = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT id, institution_id, person_id FROM care_visit ORDER BY institution_id, id")
        visits, nth = [], {}
        for pk, inst, person in cur.fetchall():
            nth[person] = nth.get(person, -1) + 1
            visits.append((inst, nth[person], person, pk))
        # Round by round (each person's first visit, then each one's second…), so that a person's
        # visits spread over the month, two a day, each from whichever carer's slot comes next.
        visits = [(pk, inst, person) for inst, _, person, pk in sorted(visits)]

        def rescheduled():
            seen: dict[int, int] = {}
            for i, (pk, inst, person) in enumerate(visits, start=1):
                j = seen.get(inst, 0)
                seen[inst] = j + 1
                team = carers[inst][:team_size]
                carer, s = team[j % len(team)], j // len(team)
                at = start + timedelta(days=s // SLOTS_A_DAY, hours=s % SLOTS_A_DAY)
                if i % FAULTS["visit_overlap"] == 0 and s > 0:
                    before = s - 1
                    at = start + timedelta(days=before // SLOTS_A_DAY, hours=before % SLOTS_A_DAY, minutes=20)
                    # The carer's visit of that slot is the one len(team) places back; cut short, it ended
                    # before this one begins.
                    expected["visit_overlap"] += (i - len(team)) % FAULTS["visit_short"] != 0
                minutes = 50
                if i % FAULTS["visit_short"] == 0:
                    minutes = 10
                    expected["visit_short"] += 1
                face = "passed"
                if i % FAULTS["face_check_failed"] == 0:
                    face = "failed"
                    expected["face_check_failed"] += 1
                distance = 20
                if i % FAULTS["checkin_far"] == 0:
                    distance = 850
                    expected["checkin_far"] += 1
                items = [codes[i % len(codes)], codes[(i + 1) % len(codes)]]
                if i % FAULTS["item_not_in_plan"] == 0:
                    items = [codes[0], "ZZ99"]
                    expected["item_not_in_plan"] += 1
                if person in in_hospital and 11 <= (at + local).day <= 13:
                    expected["care_in_hospital"] += 1
                yield (pk, carer, at.strftime("%Y-%m-%d %H:%M:%S"),
                       (at + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S"), distance, face,
                       json.dumps(items))

        raw.execute("CREATE TEMP TABLE bench_visit (id INTEGER PRIMARY KEY, carer_id, checkin_at, checkout_at, "
                    "distance, face_check, items)")
        _insert(raw, "sqlite", "bench_visit", ["id", "carer_id", "checkin_at", "checkout_at", "distance",
                                               "face_check", "items"], rescheduled())
        raw.execute("UPDATE care_visit SET carer_id = b.carer_id, checkin_at = b.checkin_at, "
                    "checkout_at = b.checkout_at, checkin_distance_m = b.distance, face_check = b.face_check, "
                    "items = b.items FROM bench_visit b WHERE care_visit.id = b.id")
        raw.execute("DROP TABLE bench_visit")
        # A confirmed plan of every priced item for everyone at home.
        cur.execute("SELECT c.person_id, c.institution_id FROM care_carechoice c WHERE c.mode = 'home_care'")
        homes = cur.fetchall()
        cur.execute("SELECT id FROM accounts_user WHERE username = 'bench-clerk'")
        clerk = cur.fetchone()[0]
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM care_careplan")
        plan0 = cur.fetchone()[0] + 1
        _insert(raw, "sqlite", "care_careplan",
                ["id", "region_id", "person_id", "institution_id", "mode", "grade", "valid_from", "status",
                 "limit_kind", "total", "drafted_by_id", "drafted_at", "confirmed_by_id", "confirmed_at"],
                ((plan0 + n, REGION, person, inst, "home_care", "severe_1", "2024-01-01", "confirmed", "", 0, clerk,
                  "2023-12-20 00:00:00", clerk, "2023-12-21 00:00:00") for n, (person, inst) in enumerate(homes)))
        cur.execute("SELECT id, code FROM providers_catalogueitem WHERE region_id = %s AND unit_price IS NOT NULL",
                    [REGION])
        items = cur.fetchall()
        _insert(raw, "sqlite", "care_planitem", ["plan_id", "item_id", "per_month", "amount"],
                ((plan0 + n, item, 8, 0) for n in range(len(homes)) for item, _ in items))
    return expected


def verify(expected: dict) -> dict:
    """Hits stored by rule, against what was seeded; returns {rule: (stored, expected)} of the differences."""
    _django()
    from django.db.models import Count

    from ltci.supervision.models import Hit

    stored = dict(Hit.objects.filter(region_id=REGION, month=MONTH).values_list("rule").annotate(n=Count("id")))
    return {rule: (stored.get(rule, 0), want) for rule, want in expected.items() if stored.get(rule, 0) != want}


def run(args, folder: Path, measure) -> tuple[list, dict]:
    db = folder / "supervision-db"
    shutil.rmtree(db, ignore_errors=True)
    db.mkdir(parents=True)
    env = {**os.environ, "LTCI_VAR_DIR": str(db), "DATABASE_URL": f"sqlite:///{db / 'ltci.sqlite3'}"}
    subprocess.run([sys.executable, "-m", "bench.settlement", "setup", "--beneficiaries", str(args.beneficiaries),
                    "--visits", str(args.settle_visits), "--bed-days", str(args.bed_days)],
                   cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    expected = json.loads(subprocess.run([sys.executable, "-m", "bench.supervision", "prepare"], cwd=ROOT, env=env,
                                         check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
    keep = {k: v for k, v in env.items() if k in ("LTCI_VAR_DIR", "DATABASE_URL")}
    results = []
    for title in ("screen 2024-11, sqlite", "screen again, sqlite"):
        seconds, peak, out = measure([sys.executable, "-m", "ltci.cli", "supervise", "--region", REGION, "--month",
                                      f"{MONTH:%Y-%m}"], keep)
        results.append((title, args.settle_visits, seconds, peak, out.strip().splitlines()[-1].strip()))
    wrong = json.loads(subprocess.run([sys.executable, "-m", "bench.supervision", "verify", json.dumps(expected)],
                                      cwd=ROOT, env=env, check=True, capture_output=True,
                                      text=True).stdout.strip().splitlines()[-1])
    return results, {"expected": expected, "wrong": wrong}


def report(results, check) -> str:
    lines = [f"{'supervision, Jiaxing':<28}{'visits':>11}  {'time':>9}  {'rows/s':>12}  {'peak':>8}"]
    for title, rows, seconds, peak, summary in results:
        lines.append(f"{title:<28}{rows:>11,}  {seconds:>8.1f}s  {rows / seconds:>12,.0f}  {peak:>6.0f}MB   {summary}")
    seeded = ", ".join(f"{k} {v:,}" for k, v in check["expected"].items())
    lines.append(f"hits seeded: {seeded}; " + ("all found, none extra" if not check["wrong"]
                                                 else f"DIFFERENT (stored, expected): {check['wrong']}"))
    return "\n".join(lines)


def failed(results, check) -> bool:
    return bool(check["wrong"]) or " (0 new)" not in results[1][4] or results[0][2] > TARGET_SECONDS


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("action", nargs="?", default="run", choices=["run", "prepare", "verify"])
    p.add_argument("expected", nargs="?")
    p.add_argument("--beneficiaries", type=int, default=45_000)
    p.add_argument("--visits", dest="settle_visits", type=int, default=1_500_000)
    p.add_argument("--bed-days", type=int, default=600_000)
    p.add_argument("--dir", type=Path, default=ROOT / "var" / "bench")
    args = p.parse_args(argv)
    if args.action == "prepare":
        print(json.dumps(prepare()))
        return 0
    if args.action == "verify":
        print(json.dumps(verify(json.loads(args.expected))))
        return 0
    from bench.run import measure

    args.dir.mkdir(parents=True, exist_ok=True)
    results, check = run(args, args.dir, measure)
    print(report(results, check))
    return 1 if failed(results, check) else 0


if __name__ == "__main__":
    sys.exit(main())
