"""The month-end run: read the month, compute what is owed, book what differs from what is booked.

Every run compares the month's entitlement, part by part and payee by payee, with the lines already
booked for that month and books only the difference. The first run books everything; re-running an
unchanged month books nothing; a late record (a hospital stay, a death, a corrected visit) books the
difference as 补付/追款 lines. While the month's accounting period is open the lines go into that
month's claims; once it is closed they go into the first open month after it, never into a closed
claim. The compute runs outside the write transaction; the write takes the region's lock, reads
what is booked and writes in one transaction, so a run is all or nothing and two runs of a month
book it once.
"""

from __future__ import annotations

import re
import time
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.core import jobs
from ltci.core.money import yuan_text
from ltci.core.models import IssueKind, Job, JobIssue, JobKind, JobStatus
from ltci.fund import periods
from ltci.policy.errors import PolicyError
from ltci.policy.policies import policy_carried_on
from ltci.regions.models import Region

from . import compute, facts, inputs, reminders
from .models import Claim, Line, LineKind, PayeeKind

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
ZERO = Decimal("0.00")
FEN = Decimal("0.01")
WRITE_BATCH = 2000


def parse_month_text(text: str) -> date:
    m = _MONTH.match((text or "").strip())
    if not m or not 1 <= int(m[2]) <= 12 or int(m[1]) < 1900:
        raise ValidationError({"month": "结算月份应为年月，如 2026-10"})
    return date(int(m[1]), int(m[2]), 1)


def parse_month(text: str, region: str, *, today: date | None = None) -> date:
    """The first day of a month that has ended and that a policy version covers (or carries on)."""
    month = parse_month_text(text)
    today = today or timezone.localdate()
    if month >= today.replace(day=1):
        raise ValidationError({"month": f"{month:%Y年%m月}尚未结束，不能结算"})
    try:
        policy_carried_on(region, month)
    except PolicyError as exc:
        raise ValidationError({"month": f"{month:%Y年%m月}没有生效的政策版本，待遇无法计算（{exc.words()}）"}) from None
    return month


def start_settlement(region: Region, month_text: str, *, user=None, background: bool = False,
                     today: date | None = None) -> Job:
    month = parse_month(month_text, region.pk, today=today)  # refuses before any job exists
    job = Job.objects.create(kind=JobKind.SETTLEMENT, region=region, title=f"{month:%Y年%m月}待遇结算",
                             params={"month": f"{month:%Y-%m}"}, created_by=user, total=100)
    job.thread = jobs.run(job, mode=jobs.mode_of(background))
    return job


@jobs.runner(JobKind.SETTLEMENT)
def _settle_job(job: Job) -> None:
    settle_month(job, parse_month_text(job.params["month"]))


def booking_month(region: str, service_month: date) -> date:
    """The month a run's lines go into: the service month while open, else the first open one after it."""
    return periods.first_open_month(region, service_month)


def settle_month(job: Job, month: date) -> None:
    started = time.monotonic()
    region = job.region_id
    jobs.report(job, 5, 100)
    frames = inputs.read(region, month)
    jobs.report(job, 35, 100)
    result = compute.settle(frames, region, month)
    jobs.report(job, 70, 100)
    with transaction.atomic():
        Region.objects.select_for_update().get(pk=region)  # one writer per region (PostgreSQL; SQLite: IMMEDIATE)
        booked_in = booking_month(region, month)
        counts = _book(job, region, month, booked_in, result)
        JobIssue.objects.bulk_create(
            [JobIssue(job=job, kind=IssueKind.WARNING, person_id=u["person_id"], column=u["mode"],
                      reason=f"{u['part_from']:%m-%d}～{u['part_to']:%m-%d} {u['reason']}"[:300])
             for u in result.unpaid], batch_size=WRITE_BATCH)
        policy, _ = policy_carried_on(region, month)  # the version compute used, for people: its title
        counts.update(person_days=result.days, unpaid=len(result.unpaid), seconds=round(time.monotonic() - started, 1),
                      booked_in=f"{booked_in:%Y-%m}", policy_version=f"《{policy.version.title}》")
        message = (f"新增结算明细 {counts['lines']:,} 条（其中补付/追款 {counts['adjustments']:,} 条），"
                   f"基金支付 {yuan_text(Decimal(counts['fund']))} 元" if counts["lines"] else "与已结算结果一致，未新增明细")
        if result.carried_on:
            counts["carried_on"] = policy.standing
            message += f"；按《{policy.version.title}》{policy.standing}计算"
        if booked_in != month:
            message += f"；{month:%Y年%m月}已结账，差额记入{booked_in:%Y年%m月}"
        jobs.report(job, 100, 100)
        jobs.finish(job, JobStatus.DONE, counts, message)
        record(Action.BATCH, job, region=region, detail={"kind": job.kind, "month": f"{month:%Y-%m}", **counts})
        reminders.resolve(region, month)
    facts.keep(job.pk, region, month, frames)  # for replays under a draft (replay.py), once the run is booked


def _key(person_id, payee, institution_id, mode, grade, part_from) -> tuple:
    return (person_id, payee, institution_id or 0, mode, grade, part_from)


def _booked(region: str, month: date, kinds) -> dict[tuple, dict]:
    """Per key: the fund and personal booked by lines of these kinds, and the id of the latest one."""
    rows = (Line.objects.filter(claim__region_id=region, service_month=month, kind__in=kinds)
            .values("person_id", "payee", "claim__institution_id", "mode", "grade", "part_from")
            .annotate(fund=Sum("fund"), personal=Sum("personal"), last=Max("id")))
    # SQLite sums decimals as floats: back to the fen before comparing.
    return {_key(r["person_id"], r["payee"], r["claim__institution_id"], r["mode"], r["grade"], r["part_from"]):
            {"fund": r["fund"].quantize(FEN), "personal": r["personal"].quantize(FEN), "last": r["last"]}
            for r in rows}


def _book(job: Job, region: str, month: date, booked_in: date, result: compute.Result) -> dict:
    """Writes the difference between the entitlement and the lines booked for the month.

    A part whose amounts are unchanged but whose extent changed (it now ends earlier, the rest of the
    month gone to another mode) gets a zero-amount line stating its new extent: the latest line of a
    key always states the days it pays for. Recoveries stay outside the comparison (a re-run does
    not pay them back), but a downward difference never takes back more than a recovery left paid."""
    booked = _booked(region, month, (LineKind.REGULAR, LineKind.ADJUSTMENT))
    recovered = _booked(region, month, (LineKind.RECOVERY,))
    extents = dict((pk, (to, days)) for pk, to, days in Line.objects.filter(
        pk__in=[b["last"] for b in booked.values()]).values_list("pk", "part_to", "eligible_days"))
    new = {_key(ln["person_id"], ln["payee"], ln["institution_id"], ln["mode"], ln["grade"], ln["part_from"]): ln
           for ln in result.lines}
    first_time = booked_in == month
    todo: list[dict] = []
    for key in [*new, *(k for k in booked if k not in new)]:
        ln, was = new.get(key), booked.get(key)
        if was is None:
            todo.append({**ln, "kind": LineKind.REGULAR if first_time else LineKind.ADJUSTMENT,
                         "note": "" if first_time else f"{month:%Y年%m月}补结算"})
            continue
        if ln is None:  # the part is paid no more: its extent shrinks to nothing
            person_id, payee, institution_id, mode, grade, part_from = key
            ln = {"person_id": person_id, "payee": payee, "institution_id": institution_id or None, "mode": mode,
                  "grade": grade, "part_from": part_from, "part_to": part_from, "eligible_days": 0, "units": {},
                  "fund": ZERO, "personal": ZERO, "policy_version": result.policy_version, "explanation": []}
        fund, personal = Decimal(ln["fund"]), Decimal(ln["personal"])
        d_fund, d_personal = fund - was["fund"], personal - was["personal"]
        taken = recovered.get(key, {}).get("fund", ZERO)  # ≤ 0
        if taken:  # what a recovery took back is not taken back again
            d_fund = max(d_fund, -(was["fund"] + taken))
        if not d_fund and not d_personal and extents.get(was["last"]) == (ln["part_to"], ln["eligible_days"]):
            continue
        if key not in new:
            note = f"重新计算后本段不再支付，追回原结算基金支付{yuan_text(Decimal(str(was['fund'])))}元"
        elif d_fund or d_personal:
            note = f"原结算基金支付{yuan_text(Decimal(str(was['fund'])))}元，重新计算为{yuan_text(Decimal(str(fund)))}元"
        else:
            note = f"金额不变，期间更正为{ln['part_from']:%m-%d}～{ln['part_to']:%m-%d}（{ln['eligible_days']}天）"
        todo.append({**ln, "kind": LineKind.ADJUSTMENT, "fund": d_fund, "personal": d_personal,
                     "cost": d_fund + d_personal, "note": note})
    claims = _claims(region, booked_in, {ln["institution_id"] if ln["payee"] == PayeeKind.INSTITUTION else None
                                         for ln in todo})
    objects = [Line(claim=claims[ln["institution_id"] if ln["payee"] == PayeeKind.INSTITUTION else None], job=job,
                    person_id=ln["person_id"], service_month=month, kind=ln["kind"], payee=ln["payee"],
                    mode=ln["mode"], grade=ln["grade"], part_from=ln["part_from"], part_to=ln["part_to"],
                    eligible_days=ln["eligible_days"], units=ln["units"], cost=ln["cost"], fund=ln["fund"],
                    personal=ln["personal"], explanation=ln["explanation"], policy_version=ln["policy_version"],
                    note=ln["note"]) for ln in todo]
    for i in range(0, len(objects), WRITE_BATCH):
        Line.objects.bulk_create(objects[i:i + WRITE_BATCH])
        jobs.report(job, 70 + 29 * (i + WRITE_BATCH) // max(len(objects), 1), 100)
    return {"lines": len(objects), "adjustments": sum(1 for ln in todo if ln["kind"] != LineKind.REGULAR),
            "people": len({ln["person_id"] for ln in result.lines}),
            "fund": str(sum((Decimal(ln["fund"]) for ln in todo), ZERO)),
            "personal": str(sum((Decimal(ln["personal"]) for ln in todo), ZERO))}


def claim_number(region: str, month: date, institution_id: int | None) -> str:
    """结算<YYYYMM>-<the region's division code>-<the institution's number, or 现金 for the cash list>."""
    from ltci.policy.policies import region as region_of

    return f"结算{month:%Y%m}-{region_of(region).division}-{institution_id if institution_id else '现金'}"


def _claims(region: str, month: date, institutions: set) -> dict:
    """The month's claims for these payees (None: the cash list), created when missing."""
    out = {}
    for institution_id in institutions:
        claim, _ = Claim.objects.get_or_create(
            region_id=region, month=month, institution_id=institution_id,
            defaults={"payee_kind": PayeeKind.INSTITUTION if institution_id else PayeeKind.INSURED,
                      "number": claim_number(region, month, institution_id)})
        out[institution_id] = claim
    return out


@transaction.atomic
def recover(line: Line, user, reason: str, *, today: date | None = None) -> Line:
    """违规追回: takes back what a line paid, as a new negative line in the first open month (the
    recovered line's claim may be closed). Recoveries stay outside the comparison runs make, so a
    re-run of the month does not pay the amount again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写追回原因"})
    line = Line.objects.select_for_update().select_related("claim").get(pk=line.pk)
    if line.kind == LineKind.RECOVERY:
        raise ValidationError({"line": "追回明细不能再追回"})
    # At most what the part still pays: its regular, adjustment and recovery lines together.
    still = (Line.objects.filter(claim__region_id=line.claim.region_id, person_id=line.person_id,
                                 service_month=line.service_month, payee=line.payee, mode=line.mode,
                                 grade=line.grade, part_from=line.part_from,
                                 claim__institution_id=line.claim.institution_id)
             .aggregate(f=Sum("fund"))["f"] or ZERO).quantize(FEN)
    amount = min(line.fund, still)
    if amount <= 0:
        raise ValidationError({"line": "该明细没有可追回的基金支付"})
    Region.objects.select_for_update().get(pk=line.claim.region_id)
    month = booking_month(line.claim.region_id, max(line.claim.month, (today or timezone.localdate()).replace(day=1)))
    institution_id = line.claim.institution_id
    claim = _claims(line.claim.region_id, month, {institution_id})[institution_id]
    recovered = Line.objects.create(
        claim=claim, person_id=line.person_id, service_month=line.service_month, kind=LineKind.RECOVERY,
        payee=line.payee, mode=line.mode, grade=line.grade, part_from=line.part_from, part_to=line.part_to,
        eligible_days=0, units={}, cost=-amount, fund=-amount, personal=ZERO, policy_version=line.policy_version,
        explanation=[], corrects=line, note=f"追回：{reason}"[:200])
    record(Action.CREATE, recovered, user=user, region=claim.region_id,
           detail={"recovers": line.pk, "fund": str(-amount), "reason": reason})
    return recovered
