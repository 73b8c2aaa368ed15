"""拨付: a payment batch pays every payee what the books say the fund owes it.

The amount for a payee is its payable balance (approved minus paid, recoveries netted), so a batch
never pays an approval twice and a recovery is offset against what is owed next. A payee owed
nothing, or without a bank account on record, is left for a later batch. Whoever makes the batch
took no part in reviewing or approving what it pays (four steps by different people).

Bank accounts are four-eyes too: registering or changing a payee's account is a request that takes
effect only when a second person approves it (ltci.dualcontrol), so `PayeeAccount` holds approved
accounts only and a batch never pays to a number one person typed. A payee whose account change
awaits approval is left out of the batch, with that reason, until it is decided (docs/decisions/0013:
its old account may be the one it asked to leave).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from ltci.audit.models import Action
from ltci.audit.recorder import record, record_export
from ltci.core.edge import check_text
from ltci.core.exports import csv_file
from ltci.dualcontrol import services as dual
from ltci.dualcontrol.models import Request as DualRequest, RequestKind
from ltci.enrolment.models import Person
from ltci.fund import accounts
from ltci.fund.models import Posting
from ltci.fund.models import Journal
from ltci.fund.services import REASON_MAX as REVERSAL_REASON_MAX, Entry, post, reverse
from ltci.policy.policies import region as region_of
from ltci.providers.models import Institution

from .models import (Approval, ApprovalStatus, BatchCancellation, PayeeAccount, PayeeKind, Payment, PaymentBatch,
                     PaymentReturn, mask_account)
from .review import StepRefused

ZERO = Decimal("0.00")
FEN = Decimal("0.01")


@dataclass
class Owed:
    party: str
    kind: str
    institution: Institution | None
    person: Person | None
    amount: Decimal
    account: PayeeAccount | None = None  # the approved account
    change: DualRequest | None = None  # an account change awaiting approval


@dataclass
class Outcome:
    batch: PaymentBatch | None
    skipped: list[dict] = field(default_factory=list)


def owed(region: str) -> list[Owed]:
    """Every payee's payable balance (credit − debit of 2201/2202 by party), positive or not."""
    rows = (Posting.objects.filter(journal__region_id=region,
                                   account__in=(accounts.PAYABLE_INSTITUTION, accounts.PAYABLE_INSURED))
            .values("party").annotate(c=Sum("credit"), d=Sum("debit")).order_by("party"))
    # SQLite sums decimals as floats: back to the fen.
    balances = {r["party"]: (r["c"] - r["d"]).quantize(FEN) for r in rows if (r["c"] - r["d"]).quantize(FEN) != 0}
    institutions = Institution.objects.in_bulk([int(p.split(":")[1]) for p in balances if p.startswith("institution:")])
    people = Person.objects.in_bulk([int(p.split(":")[1]) for p in balances if p.startswith("person:")])
    found = {(a.institution_id or a.person_id, bool(a.institution_id)): a for a in PayeeAccount.objects.filter(
        Q(institution_id__in=list(institutions)) | Q(person_id__in=list(people)))}
    changes = {(r.institution_id or r.person_id, bool(r.institution_id)): r
               for r in dual.pending(RequestKind.PAYEE_ACCOUNT, region).select_related("made_by")}
    out = []
    for party, amount in balances.items():
        kind, pk = party.split(":")
        pk = int(pk)
        is_inst = kind == "institution"
        out.append(Owed(party, PayeeKind.INSTITUTION if is_inst else PayeeKind.INSURED,
                        institutions.get(pk) if is_inst else None, None if is_inst else people.get(pk), amount,
                        found.get((pk, is_inst)), changes.get((pk, is_inst))))
    return out


def why_not_paid(o: Owed) -> str | None:
    """Why a batch leaves this payee out now, or None when it pays it."""
    if o.amount <= 0:
        return "无应付金额（追回款将在后续结算中抵扣）"
    if o.change is not None:
        return f"收款账户变更待复核（第 {o.change.pk} 号），复核后在下一批次拨付"
    if o.account is None:
        return "缺少已复核的收款账户"
    return None


@transaction.atomic
def make_batch(region: str, user, *, paid_on: date | None = None) -> Outcome:
    paid_on = paid_on or timezone.localdate()
    approvals = Approval.objects.select_for_update().filter(claim__region_id=region, status=ApprovalStatus.APPROVED,
                                                           batch__isnull=True)
    if approvals.filter(Q(reviewed_by=user) | Q(decided_by=user)).exists():
        raise StepRefused("拨付须由未参与初审、复核的人员办理：待拨付的结算中有您审核过的")
    due = owed(region)
    payable = [o for o in due if why_not_paid(o) is None]
    skipped = [{"payee": _name(o), "amount": str(o.amount), "reason": why_not_paid(o)}
               for o in due if o not in payable]
    if not payable:
        if not approvals.exists():
            raise StepRefused("没有待拨付的结算")
        raise StepRefused("没有可拨付的收款方：" + "；".join(f"{s['payee']} {s['reason']}" for s in skipped[:5]))
    count = PaymentBatch.objects.filter(region_id=region).count() + 1
    batch = PaymentBatch.objects.create(region_id=region, number=f"拨付{paid_on:%Y%m%d}-{region_of(region).division}-{count:04d}",
                                        paid_on=paid_on, total=sum((o.amount for o in payable), ZERO),
                                        payees=len(payable), created_by=user)
    Payment.objects.bulk_create([Payment(
        batch=batch, payee_kind=o.kind, institution=o.institution, person=o.person, amount=o.amount,
        account_name=o.account.account_name, bank=o.account.bank, account_number=o.account.account_number,
        reference=f"{batch.number} 长护险待遇") for o in payable])
    entries = [Entry(accounts.PAYABLE_INSTITUTION if o.kind == PayeeKind.INSTITUTION else accounts.PAYABLE_INSURED,
                     debit=o.amount, party=o.party) for o in payable]
    entries.append(Entry(accounts.BANK, credit=batch.total))
    post(region_id=region, key=f"payment-batch:{batch.pk}", posted_on=paid_on, kind="benefit_payment", into_open_month=True,
         memo=f"{batch.number} 拨付 {batch.payees} 户", source=batch, entries=entries)
    approvals.update(batch=batch, status=ApprovalStatus.PAID)
    record(Action.BATCH, batch, user=user, region=region,
           detail={"kind": "payment", "total": str(batch.total), "payees": batch.payees, "skipped": len(skipped)})
    return Outcome(batch, skipped)


def _name(o: Owed) -> str:
    return o.institution.name if o.institution else (o.person.name if o.person else o.party)


RETURN_REASON_MAX = 200


@transaction.atomic
def return_payment(payment: Payment, user, *, reason: str, returned_on: date | None = None) -> PaymentReturn:
    """银行退回: the bank sent a transfer back. A new journal puts the money back in the bank account
    and owes it to the payee again, so a later batch pays it (to an account corrected meanwhile, which
    a second person approves). The batch is not touched. Refused twice, or dated before the batch."""
    payment = Payment.objects.select_for_update().select_related("batch").get(pk=payment.pk)
    if PaymentReturn.objects.filter(payment=payment).exists():
        raise StepRefused("该笔支付已登记银行退回")
    if BatchCancellation.objects.filter(batch_id=payment.batch_id).exists():
        raise StepRefused("该支付批次已撤销，其转账未发出，无需登记退回")
    reason = (reason or "").strip()
    if not reason or len(reason) > RETURN_REASON_MAX:
        raise ValidationError({"reason": f"请填写银行退回的原因（不超过{RETURN_REASON_MAX}个字）"})
    check_text("reason", reason, multiline=False)
    today = timezone.localdate()
    returned_on = returned_on or today
    if not payment.batch.paid_on <= returned_on <= today:
        raise ValidationError({"returned_on": f"退回日期须在拨付日期 {payment.batch.paid_on:%Y-%m-%d} 至今天之间"})
    made = PaymentReturn.objects.create(payment=payment, returned_on=returned_on, reason=reason, recorded_by=user)
    institution = payment.payee_kind == PayeeKind.INSTITUTION
    party = f"institution:{payment.institution_id}" if institution else f"person:{payment.person_id}"
    post(region_id=payment.batch.region_id, key=f"payment-return:{payment.pk}", posted_on=returned_on,
         kind="payment_return", into_open_month=True, memo=f"{payment.batch.number} 银行退回：{reason}"[:200],
         source=payment.batch, entries=[
             Entry(accounts.BANK, debit=payment.amount),
             Entry(accounts.PAYABLE_INSTITUTION if institution else accounts.PAYABLE_INSURED, credit=payment.amount,
                   party=party)])
    record(Action.TRANSITION, payment.batch, user=user, region=payment.batch.region_id,
           detail={"step": "payment_returned", "payment": payment.pk, "amount": str(payment.amount),
                   "reason": reason, "returned_on": returned_on.isoformat()})
    return made


CANCEL_REASON_MAX = REVERSAL_REASON_MAX - 10  # the journal's reason carries "撤销支付批次：" too


@transaction.atomic
def cancel_batch(batch: PaymentBatch, user, *, reason: str) -> BatchCancellation:
    """撤销支付批次: a batch made in error (the wrong day, a payee who should have waited) is cancelled
    while its bank file has not been taken, so no money can have left. Its journal is reversed (both
    kept), the approvals it paid are approved and unpaid again for the next batch, and the batch stays
    on record, marked cancelled. After the file is taken only the bank's returns undo transfers."""
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    if BatchCancellation.objects.filter(batch=batch).exists():
        raise StepRefused("该支付批次已撤销")
    if batch.bank_file_at is not None:
        raise StepRefused(f"银行文件已于{timezone.localtime(batch.bank_file_at):%Y-%m-%d %H:%M}下载，资金可能已转出，"
                          "不能撤销批次；银行退回的转账请逐笔登记银行退回")
    reason = (reason or "").strip()
    if not reason or len(reason) > CANCEL_REASON_MAX:
        raise ValidationError({"reason": f"请写明撤销原因（不超过{CANCEL_REASON_MAX}个字）"})
    check_text("reason", reason, multiline=False)
    reverse(Journal.objects.get(key=f"payment-batch:{batch.pk}"), user, reason=f"撤销支付批次：{reason}")
    paid = Approval.objects.filter(batch=batch)
    ids = sorted(paid.values_list("pk", flat=True))
    paid.update(batch=None, status=ApprovalStatus.APPROVED)
    made = BatchCancellation.objects.create(batch=batch, reason=reason, approvals=ids, cancelled_by=user)
    record(Action.TRANSITION, batch, user=user, region=batch.region_id,
           detail={"step": "batch_cancelled", "total": str(batch.total), "payees": batch.payees,
                   "approvals": len(ids), "reason": reason})
    return made


BANK_COLUMNS = ("收款户名", "开户行", "收款账号", "金额", "附言")


def bank_file(batch: PaymentBatch, user) -> bytes:
    """The file for the bank: the only place full account numbers appear. UTF-8 with BOM for Excel.
    Its first download is kept on the batch: from then on the batch cannot be cancelled."""
    if BatchCancellation.objects.filter(batch=batch).exists():
        raise StepRefused("该支付批次已撤销，不能下载银行文件")
    PaymentBatch.objects.filter(pk=batch.pk, bank_file_at__isnull=True).update(bank_file_at=timezone.now())
    data, n = csv_file(BANK_COLUMNS, ((p.account_name, p.bank, p.account_number, p.amount.quantize(FEN), p.reference)
                                      for p in batch.payments.order_by("id")))
    record_export("settlement.payment_bank_file", n, region=batch.region_id,
                  batch=batch.number, full_account_numbers=True)
    return data


def _account_fields(account_name: str, bank: str, account_number: str) -> tuple[str, str, str]:
    """The account as it will be used, checked for shape only (the bank checks the rest)."""
    number = (account_number or "").replace(" ", "")
    name, bank = (account_name or "").strip(), (bank or "").strip()
    errors = {}
    if not name or len(name) > 100:
        errors["account_name"] = "请填写户名（不超过100个字符）"
    if not bank or len(bank) > 100:
        errors["bank"] = "请填写开户行（不超过100个字符）"
    if not number.isascii() or not number.isdigit() or not 8 <= len(number) <= 34:
        errors["account_number"] = "账号须为8～34位数字"
    if errors:
        raise ValidationError(errors)
    return name, bank, number


@transaction.atomic
def set_account(user, *, institution: Institution | None = None, person: Person | None = None, account_name: str,
                bank: str, account_number: str) -> DualRequest:
    """Asks to register (or replace) a payee's bank account: a request that a second person approves
    (ltci.dualcontrol) before any batch pays to it. The number is checked for shape only."""
    name, bank, number = _account_fields(account_name, bank, account_number)
    payee = institution or person
    current = PayeeAccount.objects.filter(**({"institution": institution} if institution else {"person": person})).first()
    if current is not None and (current.account_name, current.bank, current.account_number) == (name, bank, number):
        raise ValidationError({"account_number": "与现有已复核的收款账户相同，无需变更"})
    before = f"原账户 {current.bank} {mask_account(current.account_number)}" if current else "原未登记账户"
    return dual.submit(
        payee.region_id, RequestKind.PAYEE_ACCOUNT, user, institution=institution, person=person,
        subject=f"{'institution' if institution else 'person'}:{payee.pk}", account_number=number,
        payload={"account_name": name, "bank": bank, "previous": mask_account(current.account_number) if current else ""},
        reason="收款账户的登记与变更一律双人复核",
        summary=f"{payee.name}：{name} · {bank} {mask_account(number)}（{before}）")


def approve_account(req: DualRequest, approver) -> PayeeAccount:
    """The dual-control effect of an account change: the payee's approved account from now on."""
    name, bank, number = _account_fields(req.payload["account_name"], req.payload["bank"], req.account_number)
    owner = {"institution_id": req.institution_id} if req.institution_id else {"person_id": req.person_id}
    account, _ = PayeeAccount.objects.update_or_create(
        **owner, defaults={"region_id": req.region_id, "account_name": name, "bank": bank, "account_number": number,
                           "request": req})
    return account
