"""A month of care in Xuzhou to settle: the world's person (severe_1, in the severe-disability
group: +5 points) in the world's elderly-care home since February 2025, and clerks for the steps."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.care.models import CareChoice, CareEvent, Stay, Visit
from ltci.providers.models import Carer, CatalogueItem, InstitutionKind

MARCH = date(2025, 3, 1)
TODAY = date(2025, 12, 1)  # every month settled in these tests has ended
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def home(world):
    w = world["home"]
    clerk = w.users[Role.CLERK]
    CareChoice.objects.create(region=w.region, person=w.person, mode="institution_care", institution=w.institution,
                              effective_from=date(2025, 1, 1), created_by=clerk)
    Stay.objects.create(region=w.region, person=w.person, institution=w.institution, bed="101",
                        admitted_on=date(2025, 2, 10), entered_by=clerk)
    return w


@pytest.fixture
def clerks(home):
    """Three clerks, so that review, approval and payment are done by different people."""
    made = {"reviewer": home.users[Role.CLERK]}
    for name in ("approver", "payer"):
        made[name] = create_user(username=f"xz-{name}", password=None, role=Role.CLERK, region=home.region,
                                 full_name=name)
    return made


def event(w, kind: str, on: date, **extra) -> CareEvent:
    return CareEvent.objects.create(region=w.region, person=w.person, kind=kind, on=on, source="manual",
                                    entered_by=w.users[Role.CLERK], **extra)


def visiting(w):
    """The world's other institution as a home-care institution, with the world's carer's colleague."""
    inst = w.other_institution
    inst.kind = InstitutionKind.HOME_CARE
    inst.save()
    carer = Carer.objects.create(region=w.region, institution=inst, kind="certified", name="陈静",
                                 id_number="110105194912310011", certificate_number="ZG-9")
    CatalogueItem.objects.filter(region=w.region, code__in=["SC06", "SC19"]).update(unit_price=40)
    return inst, carer


def visit(w, inst, carer, day: date, *, items=("SC06",), n: int = 0) -> Visit:
    at = datetime.combine(day, time(9, 0), TZ) + timedelta(hours=n)
    return Visit.objects.create(region=w.region, person=w.person, institution=inst, carer=carer,
                                request_id=f"{day}-{n}-{carer.pk}", checkin_at=at, checkin_latitude="34.2",
                                checkin_longitude="117.1", checkout_at=at + timedelta(minutes=50),
                                items=list(items), entered_by=w.users[Role.CLERK])


def approved_account(maker, approver, **account):
    """A payee's account registered by `maker` and approved by `approver` (every account change is four-eyes)."""
    from ltci.dualcontrol import services as dual
    from ltci.settlement import payments

    return dual.approve(payments.set_account(maker, **account), approver)


OLD = "6222021234567890"  # the care home's account in `paid`


@pytest.fixture
def paid(home, clerks):
    """March settled, approved and paid to the care home's account OLD: 1,395.00, on 2025-04-10."""
    from ltci.settlement import payments, review, run
    from ltci.settlement.models import Claim

    run.start_settlement(home.region, "2025-03", user=clerks["reviewer"], today=TODAY)
    review.approve(review.review(Claim.objects.get(), clerks["reviewer"]), clerks["approver"])
    approved_account(clerks["reviewer"], clerks["approver"], institution=home.institution, account_name="护理院",
                     bank="工行", account_number=OLD)
    return payments.make_batch(home.region.pk, clerks["payer"], paid_on=date(2025, 4, 10)).batch
