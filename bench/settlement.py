"""A month's settlement at Jiaxing's size (issue 7), on SQLite and on PostgreSQL.

A fresh database gets 45,000 beneficiaries of Jiaxing in November 2024 (a month its 2022–2024
version covers): 20,000 in institutions with a stay each (600,000 bed-days over the month),
25,000 at home with 1,500,000 checked-out visits of two or three catalogue items, certificates of
the three severe grades, a paid 2024 contribution each, and a hospital stay for one in twenty.
Rows go in with plain `executemany` (COPY on PostgreSQL): the set-up is not what is measured.

Then `ltci settle --region jiaxing --month 2024-11` runs in its own process, timed end to end with
its peak memory, and once more: the second run must book nothing. Rows per second counts the
delivery records read (visits + bed-days).

`python -m bench.settlement` runs it on SQLite; `bench.run --only settlement` on both.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGION = "jiaxing"
PLACE = "330402"
MONTH = date(2024, 11, 1)
DAYS = 30
# A carer's visits of a day follow one another from 05:00 (21:00 UTC the day before), 50 minutes each
# and 5 between: about 17 a day for each of the 3,000 carers, none overlapping another.
ROUND_START = datetime(2024, 10, 31, 21, 0, tzinfo=UTC)
ROUND_MINUTES = 55
TARGET_SECONDS = 60.0


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltci.settings")
    import django

    django.setup()


def _insert(cur, vendor: str, table: str, columns: list[str], rows) -> None:
    names = ", ".join(f'"{c}"' for c in columns)  # quoted: care_careevent has a column named "on"
    if vendor == "postgresql":
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == 50_000:
            cur.executemany(sql, batch)
            batch = []
    if batch:
        cur.executemany(sql, batch)


def setup(beneficiaries: int, visits: int, bed_days: int, seed: int = 7) -> dict:
    """Migrates the empty database and fills it; returns the counts made."""
    _django()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0, interactive=False)
    from ltci.accounts.models import User
    from ltci.accounts.roles import Role
    from ltci.enrolment.idcard import make_id_number
    from ltci.providers.catalogue import items_of
    from ltci.providers.demo import credit_code
    from ltci.providers.models import Agreement, CatalogueItem, Institution, InstitutionKind

    rng = random.Random(seed)
    in_homes = bed_days // DAYS
    at_home = beneficiaries - in_homes
    per_person = visits // max(at_home, 1)
    vendor = connection.vendor
    raw = connection.connection if vendor == "sqlite" else None
    with transaction.atomic():
        clerk = User.objects.create(username="bench-clerk", password=make_password(None), role=Role.CLERK,
                                    region_id=REGION, last_name="沈", first_name="经办")
        codes = set()
        while len(codes) < 150:
            codes.add(credit_code("52", PLACE, rng))
        kinds = [InstitutionKind.ELDERLY_CARE] * 50 + [InstitutionKind.HOME_CARE] * 100
        institutions = Institution.objects.bulk_create([
            Institution(region_id=REGION, name=f"嘉兴第{n + 1}护理机构", credit_code=code, kind=kind, district="南湖区",
                        filed_beds=500) for n, (code, kind) in enumerate(zip(sorted(codes), kinds))])
        Agreement.objects.bulk_create([Agreement(institution=i, number=f"XY{i.pk:05d}", start=date(2024, 1, 1),
                                                 end=date(2026, 12, 31), modes=["institution_care", "home_care"],
                                                 signed_on=date(2024, 1, 1), bed_day_price=150)
                                       for i in institutions])
        items = list(items_of(REGION, MONTH).order_by("code")[:12])
        for n, item in enumerate(items):
            CatalogueItem.objects.filter(pk=item.pk).update(unit_price=20 + 5 * n)
        codes = [i.code for i in items]
        homes, visiting = institutions[:50], institutions[50:]
        job = _job()  # before any COPY: the connection serves nothing else while one runs
        cur = connection.cursor()
        c = cur.cursor if vendor == "postgresql" else raw.cursor()
        now = datetime(2024, 12, 1, tzinfo=UTC)
        now_text = now.isoformat(" ") if vendor == "postgresql" else "2024-12-01 00:00:00"
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM enrolment_person")
        first_id = cur.fetchone()[0] + 1
        ids = range(first_id, first_id + beneficiaries)

        def person_rows():
            for n, pk in enumerate(ids):
                birth = date(1925, 1, 1) + timedelta(days=n % 9000)
                sex = "F" if n % 2 else "M"
                yield (pk, REGION, "resident", make_id_number(PLACE, birth, 1 + n // 9000, sex), f"参保人{n}", sex,
                       birth, "", "南湖区", "", "", now_text)
        _insert(c, vendor, "enrolment_person", ["id", "region_id", "id_kind", "id_number", "name", "sex", "birth_date",
                                                "phone", "district", "address", "name_initials", "created_at"],
                person_rows())
        _insert(c, vendor, "enrolment_enrolment",
                ["region_id", "person_id", "scheme", "category", "start", "status", "end_reason"],
                ((REGION, pk, "employee", "retired", date(2022, 1, 1), "active", "") for pk in ids))
        _insert(c, vendor, "contributions_bill",
                ["region_id", "person_id", "period", "kind", "due_date", "individual", "employer", "medical_fund",
                 "fiscal", "total", "job_id", "created_at"],
                ((REGION, pk, "2024", "original", date(2024, 1, 31), 30, 0, 90, 0, 120, job, now_text) for pk in ids))
        _insert(c, vendor, "contributions_payment",
                ["region_id", "person_id", "period", "payer", "channel", "amount", "reference", "paid_on",
                 "recorded_by_id", "recorded_at"],
                ((REGION, pk, "2024", "individual", "tax", 120, f"P{pk}", date(2024, 1, 20), clerk.pk, now_text)
                 for pk in ids))
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM assessment_application")
        app0 = cur.fetchone()[0] + 1
        _insert(c, vendor, "assessment_application",
                ["id", "region_id", "person_id", "number", "kind", "trigger", "channel", "acceptance_point",
                 "applicant_name", "applicant_relation", "applicant_phone", "disabled_since", "self_assessment",
                 "self_assessment_letter", "pledge_signed", "state", "submitted_on", "intake_due", "decided_grade",
                 "dates_provisional", "experts_missing", "missing_round", "note", "created_by_id", "created_at"],
                ((app0 + n, REGION, pk, f"B{pk}", "initial", "", "counter", "", "家属", "child", "13800000000",
                  date(2023, 1, 1), "{}", "G", True, "certified", date(2023, 9, 1), date(2023, 9, 8), "", False, 0, "",
                  "", clerk.pk, now_text) for n, pk in enumerate(ids)))
        grades = ("severe_1", "severe_2", "severe_3")
        _insert(c, vendor, "assessment_certificate",
                ["region_id", "person_id", "application_id", "number", "grade", "qualifies", "totals", "levels",
                 "valid_from", "valid_until", "end_reason", "issued_at"],
                ((REGION, pk, app0 + n, f"Z{pk}", grades[n % 3], True, "{}", "{}", date(2023, 10, 1),
                  date(2025, 9, 30), "", now_text) for n, pk in enumerate(ids)))
        _insert(c, vendor, "care_carechoice",
                ["region_id", "person_id", "mode", "institution_id", "effective_from", "created_by_id", "created_at"],
                ((REGION, pk, "institution_care" if n < in_homes else "home_care",
                  (homes[n % len(homes)] if n < in_homes else visiting[n % len(visiting)]).pk, date(2024, 1, 1),
                  clerk.pk, now_text) for n, pk in enumerate(ids)))
        _insert(c, vendor, "care_stay",
                ["region_id", "person_id", "institution_id", "bed", "admitted_on", "entered_by_id", "entered_at"],
                ((REGION, pk, homes[n % len(homes)].pk, f"{n // len(homes)}", date(2024, 6, 1), clerk.pk, now_text)
                 for n, pk in enumerate(ids[:in_homes])))
        _insert(c, vendor, "care_careevent",
                ["region_id", "person_id", "kind", "on", "source", "reference", "note", "entered_by_id", "entered_at"],
                ((REGION, pk, kind, date(2024, 11, 10) + timedelta(days=shift), "manual", "", "", clerk.pk, now_text)
                 for pk in ids[::20] for kind, shift in (("hospital_admission", 0), ("hospital_discharge", 4))))
        carers = _carers(c, cur, vendor, visiting)

        def visit_rows():
            serial = 0
            rounds: dict[tuple[int, int], int] = {}  # a carer's visits of a day, one after another
            for n, pk in enumerate(ids[in_homes:]):
                inst = visiting[n % len(visiting)].pk
                carer = carers[inst][(n // len(visiting)) % len(carers[inst])]  # the institution's people over its carers
                for k in range(per_person):
                    serial += 1
                    day = k % DAYS
                    slot = rounds[carer, day] = rounds.get((carer, day), -1) + 1
                    at = ROUND_START + timedelta(days=day, minutes=ROUND_MINUTES * slot)
                    chosen = json.dumps([codes[(n + k) % len(codes)], codes[(n + 2 * k + 1) % len(codes)]])
                    yield (REGION, pk, inst, carer, f"r{serial}", _ts(at, vendor), "30.746000", "120.755000", 20,
                           _ts(at + timedelta(minutes=50), vendor), "", "30.746000", "120.755000", 25, "passed", chosen,
                           "", clerk.pk, now_text, "[]", "", "")
        _insert(c, vendor, "care_visit",
                ["region_id", "person_id", "institution_id", "carer_id", "request_id", "checkin_at",
                 "checkin_latitude", "checkin_longitude", "checkin_distance_m", "checkout_at", "checkout_request_id",
                 "checkout_latitude", "checkout_longitude", "checkout_distance_m", "face_check", "items", "notes",
                 "entered_by_id", "entered_at", "exceptions", "acceptance", "acceptance_note"], visit_rows())
    if vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    return {"beneficiaries": beneficiaries, "visits": per_person * at_home, "bed_days": in_homes * DAYS}


_JOB = None


def _job():
    global _JOB
    if _JOB is None:
        from ltci.core.models import Job, JobKind

        _JOB = Job.objects.create(kind=JobKind.BILLING, region_id=REGION, title="bench 2024").pk
    return _JOB


def _ts(at: datetime, vendor: str):
    return at if vendor == "postgresql" else at.strftime("%Y-%m-%d %H:%M:%S")


def _carers(c, cur, vendor: str, visiting) -> dict[int, list[int]]:
    """Thirty certified carers per home-care institution (4,500: Jiaxing's 2024 target)."""
    from ltci.enrolment.idcard import make_id_number

    rows = []
    for i, inst in enumerate(visiting):
        for k in range(30):
            n = i * 30 + k
            rows.append((REGION, inst.pk, "certified", f"护理员{n}",
                         make_id_number("330411", date(1970, 1, 1) + timedelta(days=n), 1, "F"), "", f"ZG{n:08d}", "",
                         True, True))
    _insert(c, vendor, "providers_carer", ["region_id", "institution_id", "kind", "name", "id_number", "phone",
                                           "certificate_number", "level", "trained", "active"], rows)
    cur.execute("SELECT institution_id, id FROM providers_carer WHERE region_id = %s ORDER BY id", [REGION])
    out: dict[int, list[int]] = {}
    for inst, pk in cur.fetchall():
        out.setdefault(inst, []).append(pk)
    return out


def run(args, folder: Path, measure, *, backend: str = "sqlite") -> list[tuple[str, int, float, float, str]]:
    """Set-up, then the month settled twice; (title, rows, seconds, peak MiB, summary) each."""
    env = dict(os.environ)
    if backend == "sqlite":
        db = folder / "settlement-db"
        shutil.rmtree(db, ignore_errors=True)
        db.mkdir(parents=True)
        env.update({"LTCI_VAR_DIR": str(db), "DATABASE_URL": f"sqlite:///{db / 'ltci.sqlite3'}"})
    made = json.loads(subprocess.run(
        [sys.executable, "-m", "bench.settlement", "setup", "--beneficiaries", str(args.beneficiaries),
         "--visits", str(args.settle_visits), "--bed-days", str(args.bed_days)],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
    rows = made["visits"] + made["bed_days"]
    ltci = [sys.executable, "-m", "ltci.cli"]
    results = []
    for title in (f"settle 2024-11, {backend}", f"settle again, {backend}"):
        seconds, peak, out = measure([*ltci, "settle", "--region", REGION, "--month", f"{MONTH:%Y-%m}"],
                                     {k: v for k, v in env.items() if k in ("LTCI_VAR_DIR", "DATABASE_URL")})
        summary = out.strip().splitlines()[-1].strip() if out.strip() else ""
        results.append((title, rows, seconds, peak, summary))
    # Issue 18: the month replayed under a draft (every benefit figure cut by a tenth), booking nothing.
    from decimal import Decimal

    from ltci.fund.drafts import current_text, scaled_draft

    draft = folder / "draft-benefits-90.toml"
    draft.write_text(scaled_draft(current_text(REGION, MONTH), "benefit", Decimal("0.9"))[0], encoding="utf-8")
    seconds, peak, out = measure([*ltci, "reform", "replay", "--region", REGION, "--month", f"{MONTH:%Y-%m}", str(draft)],
                                 {k: v for k, v in env.items() if k in ("LTCI_VAR_DIR", "DATABASE_URL")})
    summary = next((ln.strip() for ln in out.splitlines() if "基金支付" in ln), "")
    results.append((f"reform replay 2024-11 under a draft, {backend}", rows, seconds, peak, summary))
    return results


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("action", nargs="?", default="run", choices=["run", "setup"])
    p.add_argument("--beneficiaries", type=int, default=45_000)
    p.add_argument("--visits", dest="settle_visits", type=int, default=1_500_000)
    p.add_argument("--bed-days", type=int, default=600_000)
    p.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--dir", type=Path, default=ROOT / "var" / "bench")
    args = p.parse_args(argv)
    if args.action == "setup":
        print(json.dumps(setup(args.beneficiaries, args.settle_visits, args.bed_days)))
        return 0
    from bench.run import measure

    args.dir.mkdir(parents=True, exist_ok=True)
    print(report(run(args, args.dir, measure, backend=args.backend)))
    return 0


def report(results) -> str:
    lines = [f"{'settlement, Jiaxing':<28}{'rows':>11}  {'time':>9}  {'rows/s':>12}  {'peak':>8}"]
    for title, rows, seconds, peak, summary in results:
        lines.append(f"{title:<28}{rows:>11,}  {seconds:>8.1f}s  {rows / seconds:>12,.0f}  {peak:>6.0f}MB   {summary}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
