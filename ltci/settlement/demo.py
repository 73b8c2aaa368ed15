"""Demo settlement: bed-day prices and bank accounts (each registered by a clerk and approved by a
second one, as every account change is), a family-care beneficiary where the region has that mode,
the month before last settled, reviewed, approved and paid by three different clerks, last month
settled and waiting for review with one line held, and one institution's change of bank account
waiting for a second person at /dual-control/."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from ltci.accounts.models import User
from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.core.demo_names import unique_name
from ltci.core.models import Job, JobKind
from ltci.dualcontrol import services as dual
from ltci.providers.designation import BED_DAY, set_prices
from ltci.providers.models import Agreement, Institution

from . import payments, review, run
from .models import Claim, Line

FAMILY_NAMES = ("王淑芬", "李国强", "张桂兰")
CASH_MODES = ("family_care", "home_combined")


def _months(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    before = last.replace(day=1) - timedelta(days=1)
    return before.replace(day=1), last.replace(day=1)


def _clerk(region, suffix: str) -> User:
    username = f"{region.pk}.clerk.{suffix}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = create_user(username=username, password=None, role=Role.CLERK, region=region,
                           full_name=unique_name(region.pk), is_demo=True)
        User.objects.filter(pk=user.pk).update(password=make_password(settings.DEMO_PASSWORD))
    return user


def build(options, rng) -> dict[str, int]:
    from ltci.regions.models import Region

    region = Region.objects.get(pk=options.region)
    if Job.objects.filter(kind=JobKind.SETTLEMENT, region=region).exists():
        return {"settled months": 0}
    clerk = User.objects.filter(region=region, is_demo=True, role=Role.CLERK, username=f"{region.pk}.clerk").first()
    if clerk is None:
        return {"settled months": 0}
    approver = _clerk(region, "approver")
    payer = _clerk(region, "payer")
    today = timezone.localdate()
    before, last = _months(today)
    for agreement in Agreement.objects.filter(institution__region=region, bed_day_price__isnull=True,
                                              start__lte=today, end__gte=today):
        set_prices(agreement, clerk, {BED_DAY: str(rng.choice((128, 140, 150, 165)))})
    for inst in Institution.objects.filter(region=region):
        dual.approve(payments.set_account(clerk, institution=inst, account_name=inst.name,
                                          bank="中国工商银行股份有限公司",
                                          account_number=f"{rng.randint(10**18, 10**19 - 1)}"), approver)
    family = _family_care(region, clerk, approver, rng, before, today)
    settled = 0
    for month in (before, last):
        try:
            run.start_settlement(region, f"{month:%Y-%m}", user=clerk, today=today)
        except ValidationError:  # a month no policy version covers: nothing to settle
            continue
        settled += 1
    for claim in Claim.objects.filter(region=region, month=before):
        if review.waiting(claim).exists():
            review.approve(review.review(claim, clerk), approver)
    if settled and payments.owed(region.pk):
        try:
            payments.make_batch(region.pk, payer)
        except ValidationError:  # nobody payable: the payables page shows why
            pass
    line = Line.objects.filter(claim__region=region, claim__month=last, payee="institution", fund__gt=0).first()
    if line is not None:
        review.hold(line, clerk, "疑点核查：签到位置与居所距离较远，待稽核确认")
    for claim in Claim.objects.filter(region=region, month=last)[:1]:
        if review.waiting(claim).exists():
            review.review(claim, clerk)
    return {"settled months": settled, "family carers": family,
            "account changes awaiting approval": _account_change(region, payer, rng)}


def _account_change(region, maker, rng) -> int:
    """An institution moves its settlement account to another bank; the change waits for a second
    clerk (`<region>.clerk` may approve it: the payer made it)."""
    inst = Institution.objects.filter(region=region, claims__isnull=False).order_by("id").first()
    if inst is None:
        return 0
    payments.set_account(maker, institution=inst, account_name=inst.name, bank="中国建设银行股份有限公司",
                         account_number=f"{rng.randint(10**18, 10**19 - 1)}")
    return 1


def _family_care(region, clerk, approver, rng, since: date, today: date) -> int:
    """One visited beneficiary turns to family care (or visits plus family care) from `since`."""
    from ltci.care import choices, family
    from ltci.care.demo import _carer_id
    from ltci.care.models import CareChoice

    offered = choices.region_modes(region.pk, since)
    mode = next((m for m in CASH_MODES if m in offered), None)
    if mode is None:
        return 0
    current = (CareChoice.objects.filter(region=region, mode__in=("home_visit", "home_care"))
               .select_related("person", "institution").order_by("id").first())
    if current is None:
        return 0
    person = current.person
    since = max(since, current.effective_from + timedelta(days=1))
    choices.choose(person, clerk, mode=mode, effective_from=since,
                   institution=current.institution if mode == "home_combined" else None,
                   home_latitude=current.home_latitude, home_longitude=current.home_longitude)
    carer = family.register_family_carer(person, clerk, name=unique_name(region.pk, prefer=(rng.choice(FAMILY_NAMES),) + FAMILY_NAMES), id_number=_carer_id(rng),
                                         trained=rng.random() < 0.5)
    days = [since + timedelta(days=n) for n in range((today - since).days)]
    family.record_days(person, clerk, carer=carer, days=days)
    dual.approve(payments.set_account(clerk, person=person, account_name=person.name, bank="中国农业银行股份有限公司",
                                      account_number=f"{rng.randint(10**18, 10**19 - 1)}"), approver)
    return 1
