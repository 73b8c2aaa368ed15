"""Demo contributions: each year (or, in Nanning, each month of the last year and a half) billed
through the real billing run, and paid through the real payment service by the usual channels,
with some people behind: unpaid individual parts, a personal account that fell short."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone

from ltci.core.models import Job, JobKind
from ltci.enrolment.models import Enrolment
from ltci.policy.errors import PolicyError
from ltci.policy.policies import policy_on
from ltci.regions.models import Region

from .billing import start_billing
from .models import Bill, Channel, Payer
from .payments import PaymentItem, record_payments
from .periods import parse_period

CHANNEL_OF = {Payer.EMPLOYER: Channel.EMPLOYER, Payer.MEDICAL_FUND: Channel.MEDICAL_FUND,
              Payer.FISCAL: Channel.FISCAL_TRANSFER}


def _periods(region_code: str, today: date) -> list[str]:
    """The periods to bill: every year of the versions up to today, or the last 18 months."""
    out = []
    for year in range(2020, today.year + 1):
        try:
            section = policy_on(region_code, date(year, 1, 1), carry_over=True).params.section("contribution")
        except PolicyError:
            continue
        if section.get("rule") == "none":
            return []
        if section.text("period") == "year":
            out.append(str(year))
        else:
            out += [f"{year}-{m:02d}" for m in range(1, 13) if 0 <= (today.year - year) * 12 + today.month - m < 18]
    return out


def build(options, rng) -> dict[str, int]:
    region = Region.objects.get(pk=options.region)
    today = timezone.localdate()
    periods = [p for p in _periods(region.pk, today) if parse_period(p).first <= today]
    if not periods or Job.objects.filter(kind=JobKind.BILLING, region=region).exists():
        return {"bills": 0, "payments": 0}
    for period in periods:
        start_billing(region, period)
    items = []
    latest = periods[-1]
    employees = set(Enrolment.objects.filter(region=region, scheme="employee").values_list("person_id", flat=True))
    for bill in Bill.objects.filter(region=region).order_by("period", "person_id"):
        behind = bill.period == latest and rng.random() < 0.08  # the latest period's individual part unpaid
        paid_on = min(today, parse_period(bill.period).first.replace(day=20))
        for n, payer in enumerate((Payer.INDIVIDUAL, Payer.EMPLOYER, Payer.MEDICAL_FUND, Payer.FISCAL), 1):
            amount = getattr(bill, payer)
            if amount <= 0 or (payer == Payer.INDIVIDUAL and behind):
                continue
            if payer == Payer.INDIVIDUAL:
                employee = bill.person_id in employees
                channel = Channel.PERSONAL_ACCOUNT if employee else Channel.TAX
                if employee and rng.random() < 0.05:  # the personal account held less: the rest waits
                    amount = (amount / 2).quantize(Decimal("0.01"))
            else:
                channel = CHANNEL_OF[payer]
            items.append(PaymentItem(bill.person_id, region.pk, bill.period, payer, channel, amount,
                                     f"演示缴费{bill.pk:08d}-{n}", paid_on))  # a reference people read
    return {"bills": Bill.objects.filter(region=region).count(), "payments": record_payments(items)}
