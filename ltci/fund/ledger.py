"""Balances, the trial balance and the books' check, all computed as sums of postings.

Nothing is stored but journals and postings: a balance is what the postings up to a date add up to.
Sums are taken in whole fen in the database (exact on SQLite too, where a decimal column sums as a
float) and returned in yuan with two places.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import BigIntegerField, CharField, Count, Exists, F, Max, OuterRef, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, Concat, Round, TruncMonth
from django.utils import timezone

from ltci.contributions.models import Channel, Payment

from . import accounts, periods, triggers
from .accounts import BANK, DEBIT_NORMAL, NAMES, PAYABLE_INSTITUTION, PAYABLE_INSURED
from .models import Fee, FeeKind, Journal, Posting

ZERO = Decimal("0.00")
INCOME_ACCOUNTS = tuple(accounts.INCOME_BY_PAYER.values())
PREMIUM_ACCOUNTS = tuple(accounts.INCOME_BY_PAYER[p] for p in ("individual", "employer", "medical_fund", "fiscal"))
BENEFIT_ACCOUNTS = (accounts.BENEFIT_INSTITUTION, accounts.BENEFIT_CASH)
EXPENSE_ACCOUNTS = (*BENEFIT_ACCOUNTS, accounts.ASSESSMENT_FEES, accounts.AGENCY_FEES)
PAYABLE_ACCOUNTS = (PAYABLE_INSTITUTION, PAYABLE_INSURED)
FEE_ACCOUNT = {FeeKind.AGENCY: accounts.AGENCY_FEES, FeeKind.ASSESSMENT: accounts.ASSESSMENT_FEES}
CONTRIBUTION_KIND = "contribution"  # the journals of ltci.contributions.payments
FEE_KIND = "fee"
# How the pages name journal kinds; a kind not listed shows as its code.
KIND_LABELS = {CONTRIBUTION_KIND: "缴费到账", FEE_KIND: "经办与评估费用", "claim_approval": "待遇结算复核",
               "benefit_payment": "待遇拨付", "reversal": "冲销", "payment_return": "银行退回"}


def fen_sum(path: str):
    """The sum of a money column in whole fen (0 when there are no rows)."""
    return Coalesce(Sum(Cast(Round(F(path) * 100), BigIntegerField())), 0)


def yuan(fen) -> Decimal:
    return (Decimal(int(fen or 0)) / 100).quantize(Decimal("0.01"))


def _postings(region_id: str, *, on: date | None = None, start: date | None = None, kinds=None):
    qs = Posting.objects.filter(journal__region_id=region_id)
    if on is not None:
        qs = qs.filter(journal__posted_on__lte=on)
    if start is not None:
        qs = qs.filter(journal__posted_on__gte=start)
    if kinds is not None:
        qs = qs.filter(journal__kind__in=kinds)
    return qs


def sums(region_id: str, *, on: date | None = None, start: date | None = None, kinds=None,
         by_party: bool = False) -> dict:
    """{account or (account, party): (debits, credits)} of the postings dated from `start` to `on`."""
    keys = ("account", "party") if by_party else ("account",)
    rows = (_postings(region_id, on=on, start=start, kinds=kinds).order_by().values(*keys)
            .annotate(d=fen_sum("debit"), c=fen_sum("credit")))
    return {(tuple(r[k] for k in keys) if by_party else r["account"]): (yuan(r["d"]), yuan(r["c"])) for r in rows}


def normal(account: str, debit: Decimal, credit: Decimal) -> Decimal:
    """A balance on the account's normal side: assets and expenses by debits, the rest by credits."""
    return debit - credit if account in DEBIT_NORMAL else credit - debit


@dataclass(frozen=True)
class Balance:
    account: str
    party: str
    debit: Decimal
    credit: Decimal

    @property
    def name(self) -> str:
        return NAMES.get(self.account, self.account)

    @property
    def balance(self) -> Decimal:
        return normal(self.account, self.debit, self.credit)


def balances(region_id: str, on: date | None = None) -> list[Balance]:
    """Every account's balance as of `on` (default: all postings), payables one line per party."""
    merged: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for (account, party), (d, c) in sums(region_id, on=on, by_party=True).items():
        key = (account, party if account in PAYABLE_ACCOUNTS else "")
        before = merged.get(key, (ZERO, ZERO))
        merged[key] = (before[0] + d, before[1] + c)
    return [Balance(a, p, d, c) for (a, p), (d, c) in sorted(merged.items())]


def by_account(rows: list[Balance]) -> dict[str, tuple[Decimal, Decimal]]:
    """{account: (debits, credits)} from `balances` rows, so a page asks the database once."""
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for b in rows:
        d, c = out.get(b.account, (ZERO, ZERO))
        out[b.account] = (d + b.debit, c + b.credit)
    return out


def account_balance(region_id: str, account: str, on: date | None = None) -> Decimal:
    d, c = sums(region_id, on=on).get(account, (ZERO, ZERO))
    return normal(account, d, c)


def bank_days(region_id: str, since: date) -> list[tuple[date, Decimal]]:
    """The bank balance at the end of `since` and of every later day the bank moved: money paid out on
    `since` must be there on each of them."""
    running = account_balance(region_id, BANK, since)
    days = [(since, running)]
    rows = (_postings(region_id).filter(account=BANK, journal__posted_on__gt=since).order_by()
            .values("journal__posted_on").annotate(d=fen_sum("debit"), c=fen_sum("credit"))
            .order_by("journal__posted_on"))
    for r in rows:
        running += yuan(r["d"]) - yuan(r["c"])
        days.append((r["journal__posted_on"], running))
    return days


def fund_balance(region_id: str, on: date | None = None, totals: dict | None = None) -> Decimal:
    """The fund's accumulated surplus (滚存结余): income less expenditure up to `on` (or of `totals`,
    as `by_account` gives them). With balanced books it equals the bank balance less what is still
    payable."""
    s = sums(region_id, on=on) if totals is None else totals
    income = sum((normal(a, *s.get(a, (ZERO, ZERO))) for a in INCOME_ACCOUNTS), ZERO)
    spent = sum((normal(a, *s.get(a, (ZERO, ZERO))) for a in EXPENSE_ACCOUNTS), ZERO)
    return income - spent


@dataclass(frozen=True)
class TrialRow:
    account: str
    name: str
    debit: Decimal  # all debits posted
    credit: Decimal
    debit_balance: Decimal  # the balance on whichever side it falls
    credit_balance: Decimal


@dataclass(frozen=True)
class TrialBalance:
    on: date | None
    rows: list[TrialRow]
    debit: Decimal
    credit: Decimal
    debit_balance: Decimal
    credit_balance: Decimal

    @property
    def balanced(self) -> bool:
        return self.debit == self.credit and self.debit_balance == self.credit_balance


def trial_balance(region_id: str, on: date | None = None, totals: dict | None = None) -> TrialBalance:
    rows = []
    for account, (d, c) in sorted((sums(region_id, on=on) if totals is None else totals).items()):
        net = d - c
        rows.append(TrialRow(account, NAMES.get(account, account), d, c, max(net, ZERO), max(-net, ZERO)))
    totals = [sum((getattr(r, attr) for r in rows), ZERO) for attr in ("debit", "credit", "debit_balance", "credit_balance")]
    return TrialBalance(on, rows, *totals)


def movements(region_id: str, start: date, end: date) -> dict[str, Decimal]:
    """Each account's net movement on its normal side over [start, end]."""
    return {a: normal(a, d, c) for a, (d, c) in sums(region_id, on=end, start=start).items()}


def monthly_spending(region_id: str, through: date, accounts_=BENEFIT_ACCOUNTS) -> dict[date, Decimal]:
    """Net debits to the given expenditure accounts per month, for postings up to `through`."""
    rows = (Posting.objects.filter(journal__region_id=region_id, account__in=accounts_,
                                   journal__posted_on__lte=through)
            .annotate(m=TruncMonth("journal__posted_on")).order_by().values("m")
            .annotate(d=fen_sum("debit"), c=fen_sum("credit")))
    out = {}
    for r in rows:
        month = r["m"].date() if hasattr(r["m"], "date") else r["m"]
        out[month] = yuan(r["d"]) - yuan(r["c"])
    return dict(sorted(out.items()))


def party_names(parties) -> dict[str, str]:
    """Display names of payables' parties: the institution's name, the person's name."""
    from ltci.enrolment.models import Person
    from ltci.providers.models import Institution

    ids = {"institution": set(), "person": set()}
    for p in parties:
        kind, _, pk = p.partition(":")
        if kind in ids and pk.isdigit():
            ids[kind].add(int(pk))
    names = {f"institution:{pk}": n for pk, n in Institution.objects.filter(pk__in=ids["institution"])
             .values_list("pk", "name")}
    names |= {f"person:{pk}": n for pk, n in Person.objects.filter(pk__in=ids["person"]).values_list("pk", "name")}
    return names


# --- the check ---------------------------------------------------------------------------------


@dataclass
class CheckResult:
    region_id: str
    lines: list[str] = field(default_factory=list)  # the summary
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _some(values, n: int = 5) -> str:
    values = list(values)
    return "、".join(map(str, values[:n])) + (f" 等{len(values)}项" if len(values) > n else "")


def check(region_id: str) -> CheckResult:
    """Verifies the region's books: every journal has postings and balances; no posting has both
    sides or a negative side; every account is in the chart; payables name their party; debits equal
    credits; nothing was added to a closed month after it closed; the contribution and fee journals
    agree with the payment and fee records they came from; the guard triggers are installed."""
    result = CheckResult(region_id)
    problem = result.problems.append
    journals = Journal.objects.filter(region_id=region_id)
    postings = Posting.objects.filter(journal__region_id=region_id)
    today = timezone.localdate()

    n_journals, n_postings = journals.count(), postings.count()
    totals = postings.aggregate(d=fen_sum("debit"), c=fen_sum("credit"))
    debit, credit = yuan(totals["d"]), yuan(totals["c"])
    result.lines.append(f"截至{today:%Y-%m-%d}：凭证 {n_journals} 张，分录 {n_postings} 条；"
                        f"借方合计 {debit} 元，贷方合计 {credit} 元")
    if debit != credit:
        problem(f"借贷合计不平衡：借方 {debit} 元，贷方 {credit} 元，差额 {debit - credit} 元")

    unbalanced = (journals.annotate(n=Count("postings"), d=fen_sum("postings__debit"), c=fen_sum("postings__credit"))
                  .filter(Q(n=0) | ~Q(d=F("c"))).order_by("id").values_list("key", "n", "d", "c"))
    unbalanced = list(unbalanced)
    empty = [k for k, n, _, _ in unbalanced if n == 0]
    uneven = [f"{k}（借 {yuan(d)} / 贷 {yuan(c)}）" for k, n, d, c in unbalanced if n]
    if empty:
        problem(f"没有分录的凭证 {len(empty)} 张：{_some(empty)}")
    if uneven:
        problem(f"借贷不平衡的凭证 {len(uneven)} 张：{_some(uneven)}")

    bad = postings.filter(Q(debit__lt=0) | Q(credit__lt=0) | (~Q(debit=0) & ~Q(credit=0)))
    if n := bad.count():
        problem(f"借贷同时有数或为负数的分录 {n} 条：凭证 {_some(bad.values_list('journal__key', flat=True)[:6])}")
    unknown = postings.exclude(account__in=list(NAMES))
    if n := unknown.count():
        problem(f"未知会计科目的分录 {n} 条：科目 {_some(sorted(set(unknown.values_list('account', flat=True))))}")
    for account, prefix in ((PAYABLE_INSTITUTION, "institution:"), (PAYABLE_INSURED, "person:")):
        if n := postings.filter(account=account).exclude(party__startswith=prefix).count():
            problem(f"{NAMES[account]}的分录 {n} 条没有注明往来单位（{prefix}<编号>）")

    _check_closed_months(region_id, journals, problem)
    received = _check_contributions(region_id, result)
    fees = _check_fees(region_id, result)
    paid = _check_settlement(region_id, result)

    s = sums(region_id)
    bank = normal(BANK, *s.get(BANK, (ZERO, ZERO)))
    by_kind = {r["journal__kind"]: yuan(r["d"]) - yuan(r["c"]) for r in
               postings.filter(account=BANK).order_by().values("journal__kind")
               .annotate(d=fen_sum("debit"), c=fen_sum("credit"))}
    sourced = (CONTRIBUTION_KIND, FEE_KIND, *SETTLEMENT_KINDS)
    other = sum((v for k, v in by_kind.items() if k not in sourced), ZERO)
    recomputed = received - fees - paid + other
    result.lines.append(f"银行存款余额 {bank} 元；按来源重算：缴费到账 {received} 元 − 经办与评估费用 {fees} 元"
                        f" − 待遇拨付 {paid} 元 + 其他业务净额 {other} 元 = {recomputed} 元")
    if recomputed != bank:
        problem(f"银行存款余额 {bank} 元与按来源重算的 {recomputed} 元不符，差额 {bank - recomputed} 元")
    for kind, amount in sorted(by_kind.items()):
        if kind not in sourced:
            result.lines.append(f"  其他业务 {KIND_LABELS.get(kind, kind)}：银行存款净额 {amount} 元（仅凭证，无来源记录可核）")

    missing = triggers.missing()
    if missing:
        problem(f"数据库缺少保护账簿的触发器：{_some(missing, 10)}")
    else:
        result.lines.append("数据库保护触发器齐全")
    return result


def _money(qs, column: str) -> Decimal:
    return yuan(qs.aggregate(s=fen_sum(column))["s"])


def _check_closed_months(region_id: str, journals, problem) -> None:
    """A journal dated in a closed month but entered after the month closed got past the guard."""
    from .models import Period

    closed = sorted(Period.objects.filter(region_id=region_id, closed_at__isnull=False).values_list("month", "closed_at"))
    if not closed:
        return
    late = []
    for month, last_created in (journals.filter(posted_on__lte=periods.month_end(closed[-1][0]))
                                .annotate(m=TruncMonth("posted_on")).order_by().values("m")
                                .annotate(t=Max("created_at")).values_list("m", "t")):
        month = month.date() if hasattr(month, "date") else month
        # the month closed when the first period on or after it closed (earlier empty months close with it)
        closed_at = min((at for m, at in closed if m >= month), default=None)
        if closed_at is not None and last_created > closed_at:
            late.append(periods.month_label(month))
    if late:
        problem(f"已结账月份在结账后又记入凭证：{_some(late)}")


def _check_contributions(region_id: str, result: CheckResult) -> Decimal:
    """The contribution journals against the payments recorded: count, total, and each income account.
    Returns the payments' total."""
    payments = Payment.objects.filter(region_id=region_id)
    count, received = payments.count(), _money(payments, "amount")
    expected = {a: ZERO for a in INCOME_ACCOUNTS}
    for r in payments.order_by().values("payer", "channel").annotate(s=fen_sum("amount")):
        payer = "donation" if r["channel"] == Channel.DONATION else r["payer"]
        account = accounts.INCOME_BY_PAYER[payer]
        expected[account] += yuan(r["s"])
    booked = sums(region_id, kinds=[CONTRIBUTION_KIND])
    journal_count = Journal.objects.filter(region_id=region_id, kind=CONTRIBUTION_KIND).count()
    income = {a: normal(a, *booked.get(a, (ZERO, ZERO))) for a in INCOME_ACCOUNTS}
    bank = normal(BANK, *booked.get(BANK, (ZERO, ZERO)))
    result.lines.append(f"缴费记录 {count} 笔 {received} 元；缴费凭证 {journal_count} 张，收入科目贷方净额 "
                        f"{sum(income.values(), ZERO)} 元，银行存款借方净额 {bank} 元")
    if journal_count != count:
        result.problems.append(f"缴费记录 {count} 笔，缴费凭证 {journal_count} 张，数量不符")
        no_journal = payments.exclude(Exists(Journal.objects.filter(
            key=Concat(Value("payment:"), Cast(OuterRef("pk"), CharField())))))
        refs = list(no_journal.order_by("id").values_list("reference", flat=True)[:6])
        if refs:
            result.problems.append(f"没有记账凭证的缴费记录：渠道流水号 {_some(refs)}")
    if bank != received:
        result.problems.append(f"缴费凭证的银行存款借方 {bank} 元与缴费记录合计 {received} 元不符")
    for account in INCOME_ACCOUNTS:
        if income[account] != expected[account]:
            result.problems.append(f"{NAMES[account]}：缴费凭证 {income[account]} 元，缴费记录 {expected[account]} 元，不符")
    other = set(booked) - set(INCOME_ACCOUNTS) - {BANK}
    if other:
        result.problems.append(f"缴费凭证记入了收入与银行存款以外的科目：{_some(sorted(other))}")
    return received


SETTLEMENT_KINDS = ("claim_approval", "benefit_payment", "payment_return")  # the journals of ltci.settlement


def _check_settlement(region_id: str, result: CheckResult) -> Decimal:
    """The approval journals against the approved lines' fund amounts, by expense account, and the
    payment journals against the bank transfers of the payment batches. Returns the transfers' total."""
    from ltci.settlement.models import ApprovalStatus, Line, PayeeKind
    from ltci.settlement.models import Payment as Transfer

    approved = Line.objects.filter(claim__region_id=region_id,
                                   approval__status__in=(ApprovalStatus.APPROVED, ApprovalStatus.PAID))
    booked = sums(region_id, kinds=["claim_approval"])
    for account, kind in ((accounts.BENEFIT_INSTITUTION, PayeeKind.INSTITUTION), (accounts.BENEFIT_CASH, PayeeKind.INSURED)):
        expected = _money(approved.filter(claim__payee_kind=kind), "fund")
        posted = normal(account, *booked.get(account, (ZERO, ZERO)))
        if posted != expected:
            result.problems.append(f"{NAMES[account]}：结算复核凭证 {posted} 元，已复核结算明细 {expected} 元，不符")
    transfers = Transfer.objects.filter(batch__region_id=region_id)
    paid = _money(transfers, "amount")
    bank_out = -normal(BANK, *sums(region_id, kinds=["benefit_payment"]).get(BANK, (ZERO, ZERO)))
    result.lines.append(f"已复核结算明细基金支付 {_money(approved, 'fund')} 元；拨付 {transfers.count()} 笔 {paid} 元，"
                        f"拨付凭证银行存款贷方净额 {bank_out} 元")
    if bank_out != paid:
        result.problems.append(f"拨付凭证的银行存款贷方 {bank_out} 元与支付批次合计 {paid} 元不符")
    from ltci.settlement.models import PaymentReturn

    returns = PaymentReturn.objects.filter(payment__batch__region_id=region_id)
    back = _money(returns, "payment__amount")
    bank_in = normal(BANK, *sums(region_id, kinds=["payment_return"]).get(BANK, (ZERO, ZERO)))
    if returns.exists() or bank_in:
        result.lines.append(f"银行退回 {returns.count()} 笔 {back} 元，退回凭证银行存款借方净额 {bank_in} 元")
    if bank_in != back:
        result.problems.append(f"退回凭证的银行存款借方 {bank_in} 元与登记的银行退回合计 {back} 元不符")
    _check_cancelled_batches(region_id, result)
    return paid - back


def _check_cancelled_batches(region_id: str, result: CheckResult) -> None:
    """A cancelled batch's payment journal is reversed, once, for the batch's total (撤销支付批次)."""
    from ltci.settlement.models import BatchCancellation

    from .models import Reversal

    cancelled = BatchCancellation.objects.filter(batch__region_id=region_id).select_related("batch")
    if not cancelled.exists():
        return
    reversed_keys = set(Reversal.objects.filter(original__region_id=region_id, original__kind="benefit_payment")
                        .values_list("original__key", flat=True))
    missing = [c.batch.number for c in cancelled if f"payment-batch:{c.batch_id}" not in reversed_keys]
    result.lines.append(f"撤销支付批次 {cancelled.count()} 个 {_money(cancelled, 'batch__total')} 元，拨付凭证均已冲销"
                        if not missing else f"撤销支付批次 {cancelled.count()} 个")
    if missing:
        result.problems.append(f"已撤销的支付批次未冲销拨付凭证：{_some(missing)}")


def _check_fees(region_id: str, result: CheckResult) -> Decimal:
    """The fee journals against the fee records, by kind and at the bank. Returns the fees' total."""
    fees = Fee.objects.filter(region_id=region_id)
    booked = sums(region_id, kinds=[FEE_KIND])
    bank_out = -normal(BANK, *booked.get(BANK, (ZERO, ZERO)))
    total = ZERO
    for kind, account in FEE_ACCOUNT.items():
        recorded = _money(fees.filter(kind=kind), "amount")
        total += recorded
        posted = normal(account, *booked.get(account, (ZERO, ZERO)))
        if posted != recorded:
            result.problems.append(f"{FeeKind(kind).label}：费用凭证 {posted} 元，费用记录 {recorded} 元，不符")
    result.lines.append(f"经办与评估费用记录 {fees.count()} 笔 {total} 元；费用凭证银行存款贷方净额 {bank_out} 元")
    if bank_out != total:
        result.problems.append(f"费用凭证的银行存款贷方 {bank_out} 元与费用记录合计 {total} 元不符")
    return total
