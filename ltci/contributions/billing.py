"""Billing: every insured person's contribution for a period, through the batch policy engine.

People are read in chunks of person ids, their contributions computed as a Polars frame and
compared with the bills the period already has: a person without one gets the original bill, a
person whose amounts changed (a corrected base, a new subsidy group) an adjustment bill of the
difference, anyone else nothing. So re-running a period is a no-op, and no bill is ever edited.
Yearly regions bill everyone insured at some time in the year, due at the end of January or of
the month of joining; monthly regions bill the month from the base and pension on record.
"""

from __future__ import annotations

import polars as pl
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.core import jobs
from ltci.core.models import IssueKind, Job, JobIssue, JobKind, JobStatus
from ltci.core.values import db_money
from ltci.enrolment.models import Enrolment, EnrolmentStatus, GroupMembership, Person
from ltci.policy import batch
from ltci.policy.batch import age_on
from ltci.policy.inputs import group_names
from ltci.policy.policies import policy_on

from .models import PAYER_FIELDS, Bill, BillKind
from .periods import Period, month_end, region_period

CHUNK = 25_000  # people read, computed and then written in one short transaction
ISSUE_BATCH = 5000


def start_billing(region, period_text: str, *, user=None, background: bool = False) -> Job:
    period = region_period(region.pk, period_text)  # refuses a wrong period before any job exists
    same = Job.objects.filter(kind=JobKind.BILLING, region=region, params__period=period.code)
    jobs.recover(same)  # a run of this period whose process died is failed first
    with transaction.atomic():
        type(region).objects.select_for_update().get(pk=region.pk)  # two clicks at once: one run
        if same.filter(status__in=[JobStatus.PENDING, JobStatus.RUNNING]).exists():
            raise ValidationError({"period": f"{period.label}的缴费核定正在进行，请等它完成"})
        job = Job.objects.create(kind=JobKind.BILLING, region=region, title=f"{period.label}缴费核定",
                                 params={"period": period.code}, created_by=user)
    job.thread = jobs.run(job, mode=jobs.mode_of(background))
    return job


@jobs.runner(JobKind.BILLING)
def _billing_job(job: Job) -> None:
    _bill(job, region_period(job.region_id, job.params["period"]))


def billing_rules(policy) -> tuple[dict, tuple[list, str]]:
    """What billing needs besides the rules: the base each category is collected on (`base`,
    `pension`), and the groups that take no part in LTCI with the clause that says so."""
    params = policy.params
    section = params.section("contribution")
    bases = {c: s.text("base") for c, s in section.sections("categories").items()} if "categories" in section else {}
    eligibility = params.section("eligibility")
    # Groups that do not take part in LTCI at all (Nanning 三(一): work-injury nursing recipients).
    excluded = eligibility.values("excluded_groups") if "excluded_groups" in eligibility else ([], "")
    return bases, excluded


def _bill(job: Job, period: Period) -> None:
    # After the version's end on paper it stays in force until a newer one starts (docs/decisions/0021).
    policy = policy_on(job.region_id, period.first, carry_over=True)
    bases, excluded = billing_rules(policy)
    counts = {"people": 0, "original": 0, "adjustment": 0, "unchanged": 0, "skipped": 0, "excluded": 0}
    issues: list[JobIssue] = []
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(DISTINCT person_id) FROM {Enrolment._meta.db_table} WHERE region_id = %s "
                    f"AND start <= %s AND (\"end\" IS NULL OR \"end\" >= %s) AND status <> %s",
                    [job.region_id, period.last, period.first, EnrolmentStatus.SUSPENDED])
        jobs.report(job, 0, cur.fetchone()[0])
    # A chunk's bills are written with the counts so far (on SQLite each chunk commits on its own: the
    # lock is held a chunk at a time). Billing compares with the bills the period has, so a run that
    # died half way is completed by running it again, and nobody is billed twice.
    with jobs.chunked_writes():
        after = 0
        while True:
            frame = _people(job.region_id, period, after)
            if frame.height == 0:
                break
            after = frame["person_id"].max()
            counts["people"] += frame.height
            if excluded[0]:
                out = frame.filter(pl.col("groups").list.eval(pl.element().is_in(excluded[0])).list.any())
                for person_id in out["person_id"]:
                    counts["excluded"] += 1
                    issues.append(JobIssue(job=job, kind=IssueKind.WARNING, column="特殊人员身份", person_id=person_id,
                                           reason=f"{group_names(excluded[0])}不参加长护险，未核定（{excluded[1]}）"))
                frame = frame.filter(~pl.col("person_id").is_in(out["person_id"].implode()))
            frame, missing = _complete(frame, bases)
            for row in missing.iter_rows(named=True):
                counts["skipped"] += 1
                issues.append(JobIssue(job=job, kind=IssueKind.REJECTED, column=row["column"], person_id=row["person_id"],
                                       reason=f"缺少{row['label']}，未核定"))
            rows = _bills_of(job, period, frame, counts) if frame.height else []
            with transaction.atomic():  # the lock (SQLite) for the insert only; one run of a period at a time
                _insert_bills(rows)
                jobs.mark(job, counts=counts, kept=f"已核定 {counts['original'] + counts['adjustment']:,} 人的缴费单，"
                                                   f"其余未核定；再次执行本期核定即可补齐，已核定的不会重复")
            jobs.report(job, counts["people"])
        for start in range(0, len(issues), ISSUE_BATCH):
            with transaction.atomic():
                JobIssue.objects.bulk_create(issues[start:start + ISSUE_BATCH])
        with transaction.atomic():
            jobs.finish(job, JobStatus.DONE, counts,
                        f"新核定 {counts['original']} 人，调整 {counts['adjustment']} 人，无变化 {counts['unchanged']} 人"
                        + (f"，{counts['skipped']} 人缺少缴费基数未核定" if counts["skipped"] else "")
                        + (f"，{counts['excluded']} 人不参加长护险" if counts["excluded"] else "")
                        + (f"；按《{policy.version.title}》{policy.standing}核定" if policy.carried_on else ""))
            record(Action.BATCH, job, region=job.region_id, detail={"kind": job.kind, "period": period.code, **counts})


def _people(region_id: str, period: Period, after: int) -> pl.DataFrame:
    """The next chunk of people insured in the period: the latest enrolment of each, and their groups."""
    enrolment, person = Enrolment._meta.db_table, Person._meta.db_table
    where = ("e.region_id = %s AND e.start <= %s AND (e.\"end\" IS NULL OR e.\"end\" >= %s) AND e.status <> %s "
             "AND e.person_id > %s")
    args = [region_id, period.last, period.first, EnrolmentStatus.SUSPENDED, after]
    with connection.cursor() as cur:
        cur.execute(f"SELECT e.person_id FROM {enrolment} e WHERE {where} ORDER BY e.person_id "
                    f"LIMIT 1 OFFSET {CHUNK - 1}", args)
        bound = cur.fetchone()
        upper = f" AND e.person_id <= {int(bound[0])}" if bound else ""
        # Amounts and dates as text: SQLite keeps decimals as REAL, and text reads the same on both databases.
        cur.execute(f"SELECT e.person_id, e.scheme, e.category, CAST(e.start AS TEXT), "
                    f"CAST(e.contribution_base AS TEXT), CAST(e.pension AS TEXT), CAST(p.birth_date AS TEXT) "
                    f"FROM {enrolment} e JOIN {person} p ON p.id = e.person_id WHERE {where}{upper} "
                    f"ORDER BY e.person_id, e.start", args)
        rows = cur.fetchall()
    frame = pl.DataFrame(rows, schema={"person_id": pl.Int64, "scheme": pl.String, "category": pl.String,
                                       "start": pl.String, "base": pl.String, "pension": pl.String,
                                       "birth_date": pl.String}, orient="row")
    frame = frame.with_columns(pl.col("start").str.to_date("%Y-%m-%d"), pl.col("birth_date").str.to_date("%Y-%m-%d"))
    # Age on the day the person's contribution starts in the period (a child born in the year, a joiner).
    on = pl.max_horizontal(pl.lit(period.first), pl.col("start"))
    frame = frame.with_columns(age_on(on).alias("age")).drop("birth_date")
    frame = frame.unique("person_id", keep="last", maintain_order=True)  # the latest enrolment of the period
    if frame.height == 0:
        return frame
    lo, hi = frame["person_id"].min(), frame["person_id"].max()
    memberships = (GroupMembership.objects.filter(region_id=region_id, person_id__gte=lo, person_id__lte=hi,
                                                  valid_from__lte=period.first)
                   .exclude(valid_to__lt=period.first).values_list("person_id", "group"))
    groups = pl.DataFrame(list(memberships), schema={"person_id": pl.Int64, "group": pl.String}, orient="row")
    groups = groups.group_by("person_id").agg(pl.col("group").alias("groups"))
    return frame.join(groups, on="person_id", how="left").with_columns(
        pl.col("groups").fill_null(pl.lit([], pl.List(pl.String))),
        pl.col("category").replace("", None))


def _complete(frame: pl.DataFrame, bases: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Splits off people whose category needs a base or pension the register lacks."""
    if not bases:
        return frame, pl.DataFrame(schema={"person_id": pl.Int64, "column": pl.String, "label": pl.String})
    labels = {"base": ("缴费基数", "contribution_base"), "pension": ("上年度月养老金", "pension")}
    lacking = pl.lit(False)
    which = pl.lit(None, pl.String)
    for category, field in bases.items():
        cond = (pl.col("category") == category) & pl.col(field).is_null()
        lacking = lacking | cond
        which = pl.when(cond).then(pl.lit(field)).otherwise(which)
    frame = frame.with_columns(which.alias("__lacking"))
    missing = frame.filter(pl.col("__lacking").is_not_null()).select(
        "person_id", pl.col("__lacking").replace_strict({k: v[1] for k, v in labels.items()}).alias("column"),
        pl.col("__lacking").replace_strict({k: v[0] for k, v in labels.items()}).alias("label"))
    return frame.filter(pl.col("__lacking").is_null()).drop("__lacking"), missing


def _bills_of(job: Job, period: Period, frame: pl.DataFrame, counts: dict) -> list[tuple]:
    """The bill rows of one chunk, compared with what the period has billed already, all in columns."""
    result = batch.contribution_frame(frame.lazy().drop("start"), job.region_id, period.first, carry_over=True).collect()
    lo, hi = frame["person_id"].min(), frame["person_id"].max()
    billed = pl.DataFrame(
        [(pid, *(_fen(a) for a in amounts)) for pid, *amounts in
         Bill.objects.filter(region_id=job.region_id, period=period.code, person_id__gte=lo, person_id__lte=hi)
         .values("person_id").annotate(**{f: Sum(f) for f in PAYER_FIELDS}).values_list("person_id", *PAYER_FIELDS)],
        schema={"person_id": pl.Int64, **{f"was_{f}": pl.Int64 for f in PAYER_FIELDS}}, orient="row")
    fen = {f: (pl.col(f) * 100).cast(pl.Int64) for f in PAYER_FIELDS}  # exact: decimal(12,2) × 100
    was = {f: pl.col(f"was_{f}").fill_null(0) for f in PAYER_FIELDS}
    new = pl.col("was_individual").is_null()
    bills = (result.join(frame.select("person_id", "start"), on="person_id")
             .join(billed, on="person_id", how="left")
             .with_columns(*[pl.when(new).then(fen[f]).otherwise(fen[f] - was[f]).alias(f"d_{f}") for f in PAYER_FIELDS],
                           pl.when(new).then(pl.lit(BillKind.ORIGINAL)).otherwise(pl.lit(BillKind.ADJUSTMENT)).alias("kind")))
    changed = pl.any_horizontal([pl.col(f"d_{f}") != 0 for f in PAYER_FIELDS])
    bills = bills.filter(new | changed)
    counts["unchanged"] += frame.height - bills.height
    counts["original"] += bills.filter(pl.col("kind") == BillKind.ORIGINAL).height
    counts["adjustment"] += bills.filter(pl.col("kind") == BillKind.ADJUSTMENT).height
    if bills.height == 0:
        return []
    if period.kind == "year":  # due at the end of January, or of the month of joining
        due = pl.max_horizontal(pl.lit(period.first), pl.col("start")).dt.month_end()
    else:
        due = pl.lit(period.last)
    due = pl.when(pl.col("kind") == BillKind.ADJUSTMENT).then(
        pl.max_horizontal(due, pl.lit(month_end(timezone.localdate())))).otherwise(due)
    out = bills.select(
        pl.lit(job.region_id).alias("region_id"), pl.col("person_id"), pl.lit(period.code).alias("period"),
        pl.col("kind"), due.cast(pl.String).alias("due_date"), *[_yuan_text(pl.col(f"d_{f}")).alias(f) for f in PAYER_FIELDS],
        _yuan_text(pl.sum_horizontal([pl.col(f"d_{f}") for f in PAYER_FIELDS])).alias("total"),
        pl.lit(job.pk).alias("job_id"),
        pl.lit(connection.ops.adapt_datetimefield_value(timezone.now())).alias("created_at"))
    return out.rows()


BILL_COLUMNS = ("region_id", "person_id", "period", "kind", "due_date", *PAYER_FIELDS, "total", "job_id", "created_at")


def _insert_bills(rows: list[tuple]) -> None:
    if not rows:
        return
    with connection.cursor() as cur:  # one statement per batch: model objects are the cost at this size
        cur.executemany(f"INSERT INTO {Bill._meta.db_table} ({', '.join(BILL_COLUMNS)}) "
                        f"VALUES ({', '.join(['%s'] * len(BILL_COLUMNS))})", rows)


def _fen(amount) -> int:
    """A summed amount as integer fen."""
    return int(db_money(amount) * 100)


def _yuan_text(fen: pl.Expr) -> pl.Expr:
    """Integer fen as exact yuan text ("-3.05"): what both databases take for a decimal column."""
    sign = pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    cents = fen.abs()
    return pl.concat_str(sign, (cents // 100).cast(pl.String), pl.lit("."),
                         (cents % 100).cast(pl.String).str.zfill(2))


