"""The fund over the period: income and spending per month (net movements of the income and the
expenditure accounts, as ltci.fund.ledger defines them), the balance (滚存结余) at each month's end,
and each region's cover ratio on the period's last day (ltci.fund.cover)."""

from __future__ import annotations

from decimal import Decimal

from ltci.fund import cover, ledger
from ltci.fund.models import Posting

from ..period import Period
from . import text

ZERO = ledger.ZERO
ACCOUNTS = (*ledger.INCOME_ACCOUNTS, *ledger.EXPENSE_ACCOUNTS)


def _net(rows) -> tuple[Decimal, Decimal]:
    """(income, spending) of {account: (debits, credits)} on each account's normal side."""
    income = sum((ledger.normal(a, d, c) for a, (d, c) in rows.items() if a in ledger.INCOME_ACCOUNTS), ZERO)
    spent = sum((ledger.normal(a, d, c) for a, (d, c) in rows.items() if a in ledger.EXPENSE_ACCOUNTS), ZERO)
    return income, spent


def fund(region_ids: list[str], period: Period, names: dict[str, str]) -> dict:
    first, last = period.start, period.last_day
    postings = Posting.objects.filter(journal__region_id__in=region_ids, account__in=ACCOUNTS).order_by()
    before = {r["account"]: (ledger.yuan(r["d"]), ledger.yuan(r["c"])) for r in
              postings.filter(journal__posted_on__lt=first).values("account")
              .annotate(d=ledger.fen_sum("debit"), c=ledger.fen_sum("credit"))}
    monthly: dict = {}
    # Grouped by day, not by TruncMonth: a plain column groups in the database without a function
    # call per posting (SQLite's month truncation is one); the days fold into months here.
    for r in (postings.filter(journal__posted_on__gte=first, journal__posted_on__lte=last)
              .values("journal__posted_on", "account")
              .annotate(d=ledger.fen_sum("debit"), c=ledger.fen_sum("credit"))):
        month = monthly.setdefault(r["journal__posted_on"].replace(day=1), {})
        d, c = month.get(r["account"], (0, 0))
        month[r["account"]] = (d + r["d"], c + r["c"])
    monthly = {m: {a: (ledger.yuan(d), ledger.yuan(c)) for a, (d, c) in accounts.items()}
               for m, accounts in monthly.items()}
    income0, spent0 = _net(before)
    balance = income0 - spent0
    months, income_total, spending_total = [], ZERO, ZERO
    for month in period.months:
        income, spent = _net(monthly.get(month, {}))
        balance += income - spent
        income_total += income
        spending_total += spent
        months.append({"month": f"{month:%Y-%m}", "income": str(income), "spending": str(spent),
                       "balance": str(balance)})
    covers = []
    for region in region_ids:
        c = cover.cover_ratio(region, last)
        covers.append({"region": region, "name": names[region], "ratio": text(c.ratio), "threshold": str(c.threshold),
                       "warning": c.warning, "bank": str(c.bank), "average": text(c.average), "basis": c.basis})
    return {"on": last.isoformat(), "opening_balance": str(income0 - spent0), "months": months,
            "income": str(income_total), "spending": str(spending_total), "balance": str(balance),
            "cover": covers}
