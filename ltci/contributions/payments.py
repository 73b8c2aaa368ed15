"""Payments received: by hand or from a file, each settling one payer's part of a period's bills.

A payment is refused when it cannot be right: no bill for the person and period (not enrolled),
a channel that does not pay for that payer, an amount above what is still owed, a channel
reference already recorded. A personal-account deduction without a period settles the person's
oldest open individual part first, so a shortfall carries to the next credit (Xuzhou 四(二)).
Every payment posts a balanced journal to the fund's income, once; a payment recorded after the
fund closed the month it arrived in is posted in the first open month.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from ltci.core import jobs
from ltci.core.imports import Report, RowRejected, import_file
from ltci.core.models import Job, JobKind
from ltci.core.tabular import Column
from ltci.core.money import CONTRIBUTION_PAYMENT, parse_money, yuan_text
from ltci.core.values import BadValue, choice_map, db_money, parse_amount, parse_choice, parse_date
from ltci.enrolment.idcard import InvalidIdNumber, detect_kind, parse_identity
from ltci.enrolment.models import Person
from ltci.fund import accounts
from ltci.fund.services import Entry, post, post_many

from .models import PAYER_FIELDS, Bill, Channel, Payer, Payment
from .periods import parse_period

# Which payer's part each channel can settle.
CHANNEL_PAYERS = {
    Channel.PERSONAL_ACCOUNT: {Payer.INDIVIDUAL},
    Channel.EMPLOYER: {Payer.EMPLOYER},
    Channel.FISCAL_TRANSFER: {Payer.FISCAL},
    Channel.TAX: {Payer.INDIVIDUAL, Payer.EMPLOYER},
    Channel.DONATION: {Payer.INDIVIDUAL},
    Channel.MEDICAL_FUND: {Payer.MEDICAL_FUND},
}


def owed(person_id: int, period: str, payer: str) -> tuple[Decimal, Decimal, bool]:
    """(billed, paid, has a bill) of one payer's part of a person's period."""
    bills = Bill.objects.filter(person_id=person_id, period=period)
    billed = bills.aggregate(s=Sum(payer))["s"]
    paid = Payment.objects.filter(person_id=person_id, period=period, payer=payer).aggregate(s=Sum("amount"))["s"]
    return db_money(billed), db_money(paid), billed is not None


def _check(person: Person, period: str, payer: str, channel: str, amount: Decimal, reference: str,
           paid_on: date, *, new_reference: bool = True, pending: Pending | None = None) -> None:
    """Refuses a payment that cannot be right; `pending`: what a file's earlier rows will pay."""
    if payer not in PAYER_FIELDS:
        raise ValidationError({"payer": "缴费主体应为个人、用人单位、医保统筹基金划转或财政补助"})
    if channel not in CHANNEL_PAYERS:
        raise ValidationError({"channel": "未知的缴费渠道"})
    if payer not in CHANNEL_PAYERS[channel]:
        raise ValidationError({"channel": f"{Channel(channel).label}不能缴纳{Payer(payer).label}部分"})
    if not reference.strip():
        raise ValidationError({"reference": "须填写渠道流水号"})
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": "到账日期不能晚于今天"})
    if new_reference and (reference_taken(channel, reference) or (pending and pending.reference_taken(channel, reference))):
        raise ValidationError({"reference": f"该渠道流水号已登记：{reference}"})
    billed, paid, has_bill = owed(person.pk, period, payer)
    if pending:
        paid += pending.paid(person.pk, period, payer)
    if not has_bill:
        raise ValidationError({"period": f"该参保人在{period}没有缴费核定（未参保或尚未核定）"})
    if amount > billed - paid:
        raise ValidationError({"amount": f"缴费金额 {yuan_text(amount)} 元超过应缴未缴金额 {yuan_text(billed - paid)} 元"})


def reference_taken(channel: str, reference: str) -> bool:
    """A channel reference is used once: as itself, or split over periods as `REF#period`."""
    base = reference.split("#", 1)[0]
    return Payment.objects.filter(channel=channel).filter(
        Q(reference=reference) | Q(reference=base) | Q(reference__startswith=f"{base}#")).exists()


def _save(person: Person, period: str, payer: str, channel: str, amount: Decimal, reference: str, paid_on: date,
          *, user=None, job=None) -> Payment:
    payment = Payment.objects.create(region_id=person.region_id, person=person, period=period, payer=payer,
                                     channel=channel, amount=amount, reference=reference, paid_on=paid_on,
                                     recorded_by=user, job=job)
    post(**_journal(payment), into_open_month=True)  # received after its month closed: booked in the next open one
    return payment


def _journal(p: Payment) -> dict:
    """The journal a payment posts: the bank debited, the payer's income (or donations) credited."""
    income = accounts.INCOME_BY_PAYER["donation" if p.channel == Channel.DONATION else p.payer]
    return {"region_id": p.region_id, "key": f"payment:{p.pk}", "posted_on": p.paid_on, "kind": "contribution",
            "memo": f"{p.period} {Payer(p.payer).label}缴费 {Channel(p.channel).label} {p.reference}", "source": p,
            "entries": [Entry(accounts.BANK, debit=p.amount), Entry(income, credit=p.amount)]}


@transaction.atomic
def record_payment(person: Person, *, period: str, payer: str, channel: str, amount: Decimal, reference: str,
                   paid_on: date, user=None) -> Payment:
    """Records one payment by hand; refused with the field and the reason when it cannot be right."""
    period = parse_period(period).code
    reference = (reference or "").strip()
    amount = parse_money(amount, CONTRIBUTION_PAYMENT)
    _check(person, period, payer, channel, amount, reference, paid_on)
    return _save(person, period, payer, channel, amount, reference, paid_on, user=user)


def open_individual_parts(person_id: int) -> list[tuple[str, Decimal]]:
    """(period, still owed) of a person's individual parts, oldest first."""
    billed = dict(Bill.objects.filter(person_id=person_id).values("period").annotate(s=Sum("individual"))
                  .values_list("period", "s"))
    paid = dict(Payment.objects.filter(person_id=person_id, payer=Payer.INDIVIDUAL).values("period")
                .annotate(s=Sum("amount")).values_list("period", "s"))
    owed_by_period = ((p, db_money(billed[p]) - db_money(paid.get(p))) for p in sorted(billed))
    return [(p, due) for p, due in owed_by_period if due > 0]


# --- import -----------------------------------------------------------------------------------

COLUMNS = (
    Column("id_number", "证件号码", True, "参保人的证件号码"),
    Column("period", "缴费期间", False, "2024 或 2024-03；个人账户划扣可不填：按欠缴先后依次冲抵"),
    Column("payer", "缴费主体", False, "个人、用人单位、医保统筹基金划转、财政补助；不填则按渠道确定"),
    Column("channel", "缴费渠道", True, "个人账户划扣、单位缴纳、财政划拨、税务征收、社会捐助、医保基金划转"),
    Column("amount", "金额", True, "元，最多两位小数"),
    Column("reference", "渠道流水号", True, "同一渠道内唯一；重复导入同一流水号会被拒绝"),
    Column("paid_on", "到账日期", True, "年-月-日，如 2026-01-31"),
)
_CHANNELS = choice_map(Channel)
_PAYERS = choice_map(Payer, 单位="employer", 财政="fiscal")


def start_import(path: Path, region, *, strict: bool = True, dry_run: bool = False, user=None, title: str = "",
                 background: bool = False, params: dict | None = None) -> Job:
    job = Job.objects.create(kind=JobKind.PAYMENT_IMPORT, region=region, title=title or Path(path).name,
                             params={"strict": strict, "dry_run": dry_run, "path": str(path), **(params or {})},
                             created_by=user)
    job.thread = jobs.run(job, mode=jobs.mode_of(background))
    return job


@jobs.runner(JobKind.PAYMENT_IMPORT)
def _import_job(job: Job) -> None:
    _import(job, Path(job.params["path"]), strict=job.params["strict"], dry_run=job.params["dry_run"])


def _import(job: Job, path: Path, *, strict: bool, dry_run: bool) -> None:
    pending = Pending()
    try:
        import_file(job, path, COLUMNS, lambda chunk, report: _plan(job, chunk, report, pending), apply,
                    strict=strict, dry_run=dry_run)
    finally:
        pending.drop()


class Pending:
    """What a file's earlier rows will pay, while the file is checked and nothing is written yet:
    temporary tables of the connection, which hold no lock on the books."""

    def __init__(self):
        with connection.cursor() as cur:
            cur.execute("CREATE TEMPORARY TABLE IF NOT EXISTS payment_pending "
                        "(k varchar(80) PRIMARY KEY, amount varchar(24) NOT NULL)")
            cur.execute("CREATE TEMPORARY TABLE IF NOT EXISTS payment_pending_ref "
                        "(channel varchar(24), reference varchar(80), PRIMARY KEY (channel, reference))")
            cur.execute("DELETE FROM payment_pending")
            cur.execute("DELETE FROM payment_pending_ref")

    def paid(self, person_id: int, period: str, payer: str) -> Decimal:
        with connection.cursor() as cur:
            cur.execute("SELECT amount FROM payment_pending WHERE k = %s", [f"{person_id}|{period}|{payer}"])
            row = cur.fetchone()
        return Decimal(row[0]) if row else Decimal("0")

    def reference_taken(self, channel: str, reference: str) -> bool:
        base = reference.split("#", 1)[0]
        with connection.cursor() as cur:
            cur.execute("SELECT 1 FROM payment_pending_ref WHERE channel = %s AND (reference = %s OR reference = %s "
                        "OR reference LIKE %s)", [channel, reference, base, f"{base}#%"])
            return cur.fetchone() is not None

    def add(self, items: list[PaymentItem]) -> None:
        with connection.cursor() as cur:
            for i in items:
                key = f"{i.person_id}|{i.period}|{i.payer}"
                total = self.paid(i.person_id, i.period, i.payer) + i.amount
                cur.execute("DELETE FROM payment_pending WHERE k = %s", [key])
                cur.execute("INSERT INTO payment_pending (k, amount) VALUES (%s, %s)", [key, str(total)])
                cur.execute("INSERT INTO payment_pending_ref (channel, reference) VALUES (%s, %s)",
                            [i.channel, i.reference])

    def drop(self) -> None:
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS payment_pending")
            cur.execute("DROP TABLE IF EXISTS payment_pending_ref")


def _plan(job: Job, chunk: list, report: Report, pending: Pending) -> list:
    """A chunk's rows checked against the bills, the payments recorded and the file's earlier rows
    (reads only): the payments they make, as rows of PaymentItem."""
    numbers = {str(v.get("id_number", "")).replace(" ", "").upper() for _, v in chunk}
    people = {p.id_number: p for p in Person.objects.filter(region_id=job.region_id, id_number__in=numbers).order_by()}
    planned = []
    for row, values in chunk:
        try:
            items = _row(values, people, pending)
        except RowRejected as exc:
            report.reject(row, exc.column, exc.reason)
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            report.reject(row, field, messages[0])
        else:
            pending.add(items)
            planned += [list(astuple(i)) for i in items]
            report.counts["accepted"] += 1
    return planned


def apply(job: Job, rows: list) -> None:
    """Writes a chunk's checked payments (checked again set-wise as they are written)."""
    record_payments([PaymentItem(*row) for row in rows], user=job.created_by, job=job)


def _row(v: dict, people: dict, pending: Pending) -> list[PaymentItem]:
    number = str(v.get("id_number", "")).replace(" ", "").upper()
    try:
        parse_identity(detect_kind(number), number)
    except InvalidIdNumber as exc:
        raise RowRejected("id_number", str(exc)) from None
    person = people.get(number)
    if person is None:
        raise RowRejected("id_number", "本统筹地区没有此参保人")
    try:
        channel = parse_choice(v.get("channel", ""), _CHANNELS, "缴费渠道")
    except BadValue as exc:
        raise RowRejected("channel", str(exc)) from None
    try:
        payer = parse_choice(v["payer"], _PAYERS, "缴费主体") if v.get("payer") else None
    except BadValue as exc:
        raise RowRejected("payer", str(exc)) from None
    if payer is None:
        choices = CHANNEL_PAYERS[channel]
        if len(choices) != 1:
            raise RowRejected("payer", f"{Channel(channel).label}须填写缴费主体")
        payer = next(iter(choices))
    for key, parse in (("amount", lambda v: parse_amount(v, CONTRIBUTION_PAYMENT)), ("paid_on", parse_date)):
        try:
            v[key] = parse(v.get(key, ""))
        except BadValue as exc:
            raise RowRejected(key, str(exc)) from None
    reference = str(v.get("reference", "")).strip()
    if isinstance(v.get("period"), date):  # Excel turns a typed 2024-03 into a date
        v["period"] = f"{v['period'].year}-{v['period'].month:02d}"
    if v.get("period"):
        period = parse_period(str(v["period"])).code
        _check(person, period, payer, channel, v["amount"], reference, v["paid_on"], pending=pending)
        return [PaymentItem(person.pk, person.region_id, period, payer, channel, v["amount"], reference, v["paid_on"])]
    if channel != Channel.PERSONAL_ACCOUNT:
        raise RowRejected("period", "除个人账户划扣外须填写缴费期间")
    return _allocate(person, v["amount"], reference, v["paid_on"], pending)


def _allocate(person: Person, amount: Decimal, reference: str, paid_on: date, pending: Pending) -> list[PaymentItem]:
    """A personal-account credit settles the oldest open individual parts; what it cannot cover stays owed."""
    if amount <= 0:
        raise RowRejected("amount", "金额应大于0")
    if reference_taken(Channel.PERSONAL_ACCOUNT, reference) or pending.reference_taken(Channel.PERSONAL_ACCOUNT, reference):
        raise RowRejected("reference", f"该渠道流水号已登记：{reference}")
    parts = [(period, due - pending.paid(person.pk, period, Payer.INDIVIDUAL))
             for period, due in open_individual_parts(person.pk)]
    parts = [(period, due) for period, due in parts if due > 0]
    if not parts:
        raise RowRejected("amount", "该参保人没有欠缴的个人缴费")
    left, items = amount, []
    for period, due in parts:
        if left <= 0:
            break
        take = min(left, due)
        _check(person, period, Payer.INDIVIDUAL, Channel.PERSONAL_ACCOUNT, take, f"{reference}#{period}", paid_on,
               new_reference=False, pending=pending)  # the whole reference was checked once above
        items.append(PaymentItem(person.pk, person.region_id, period, Payer.INDIVIDUAL, Channel.PERSONAL_ACCOUNT,
                                 take, f"{reference}#{period}", paid_on))
        left -= take
    if left > 0:
        raise RowRejected("amount", f"超过全部欠缴的个人缴费 {amount - left}元")
    return items


@dataclass(frozen=True)
class PaymentItem:
    person_id: int
    region_id: str
    period: str
    payer: str
    channel: str
    amount: Decimal
    reference: str
    paid_on: date


@transaction.atomic
def record_payments(items: list[PaymentItem], *, user=None, job=None) -> int:
    """Many payments at once, all or none, with the checks of `record_payment` made set-wise: one
    query for what is owed, one for the references, bulk inserts for payments and their journals."""
    if not items:
        return 0
    today = timezone.localdate()
    refs = [(i.channel, i.reference) for i in items]
    if len(set(refs)) != len(refs):
        raise ValidationError({"reference": "同一批中有重复的渠道流水号"})
    taken = Payment.objects.filter(reference__in={r for _, r in refs}).values_list("channel", "reference")
    if set(taken) & set(refs):
        raise ValidationError({"reference": f"渠道流水号已登记：{sorted(set(taken) & set(refs))[0][1]}"})
    people = {i.person_id for i in items}
    room: dict[tuple, Decimal] = {}
    for row in Bill.objects.filter(person_id__in=people).values("person_id", "period").annotate(
            **{p: Sum(p) for p in PAYER_FIELDS}):
        for p in PAYER_FIELDS:
            room[(row["person_id"], row["period"], p)] = db_money(row[p])
    for row in Payment.objects.filter(person_id__in=people).values("person_id", "period", "payer").annotate(
            s=Sum("amount")):
        key = (row["person_id"], row["period"], row["payer"])
        room[key] = room.get(key, Decimal("0")) - db_money(row["s"])
    for i in items:
        if i.payer not in PAYER_FIELDS or i.payer not in CHANNEL_PAYERS.get(i.channel, ()):
            raise ValidationError({"channel": f"{i.channel} 不能缴纳 {i.payer} 部分"})
        if i.amount <= 0 or i.paid_on > today:
            raise ValidationError({"amount": f"金额或到账日期不正确：{i.reference}"})
        key = (i.person_id, i.period, i.payer)
        if key not in room or i.amount > room[key]:
            raise ValidationError({"amount": f"超过应缴未缴金额：{i.reference}"})
        room[key] -= i.amount
    # In person order: each insert adds to its person's period totals under a row lock (totals.py), and
    # billing takes those locks in person order too, so the two never wait on each other in a cycle.
    created = Payment.objects.bulk_create(
        [Payment(region_id=i.region_id, person_id=i.person_id, period=i.period, payer=i.payer, channel=i.channel,
                 amount=i.amount, reference=i.reference, paid_on=i.paid_on, recorded_by=user, job=job)
         for i in sorted(items, key=lambda i: (i.person_id, i.period))], batch_size=2000)
    if not all(p.pk for p in created):  # a database that does not return keys: read them back
        keys = dict(Payment.objects.filter(reference__in=[p.reference for p in created])
                    .values_list("reference", "pk"))
        for p in created:
            p.pk = keys[p.reference]
    post_many([_journal(p) for p in created], into_open_month=True)
    return len(created)
