"""Helpers for tests/settlement/test_invariants.py: a Xuzhou scene to settle, the month's
entitlement as `compute` sees it, what the books hold for it, and checks of the fund's ledger.

Not a pytest conftest (the name keeps it out of pytest's automatic loading): the test module
imports what it needs from here. The checks are written independently of `ltci.settlement.run`
(keys, nets and sums are recomputed here in Python with exact decimals) so that they can catch a
mistake there instead of repeating it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.care.models import CareChoice, CareEvent, Stay, Visit
from ltci.enrolment.idcard import make_id_number
from ltci.fund.models import Journal, Posting
from ltci.providers.models import Carer, Institution
from ltci.dualcontrol import services as dual
from ltci.settlement import compute, inputs, payments
from ltci.settlement.models import Approval, ApprovalStatus, Line, LineKind, Payment
from tests.care.conftest import certified, priced
from tests.conftest import make_person

REGION = "xuzhou"
TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2025, 12, 1)  # every month settled here has ended
MONTHS = (date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1))
FEN = Decimal("0.01")
ZERO = Decimal("0.00")
PRICED_ITEMS = {"SC06": "45.00", "SC19": "20.00", "SC11": "30.00"}

_request_ids = itertools.count(1)


def month_text(month: date) -> str:
    return f"{month:%Y-%m}"


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


# ---------------------------------------------------------------------------------------------
# The scene
# ---------------------------------------------------------------------------------------------

@dataclass
class Scene:
    """Xuzhou's side of the `world` fixture, made ready for settlement: both institutions with a
    carer and a bank account on record, catalogue items priced, and three clerks so that review,
    approval and payment are done by different people."""

    world: object
    region: object
    institutions: list[Institution]
    carers: dict[int, Carer]  # institution id → a carer of it
    reviewer: object
    approver: object
    payer: object
    people: list = field(default_factory=list)

    @property
    def clerk(self):
        return self.reviewer


def build_scene(world_home) -> Scene:
    """`world_home` is `world["home"]` (tests/conftest.py)."""
    region = world_home.region
    reviewer = world_home.users[Role.CLERK]
    approver = create_user(username="xz-inv-approver", password=None, role=Role.CLERK, region=region,
                           full_name="复核员")
    payer = create_user(username="xz-inv-payer", password=None, role=Role.CLERK, region=region, full_name="拨付员")
    institutions = [world_home.institution, world_home.other_institution]
    carers = {world_home.institution.pk: Carer.objects.get(institution=world_home.institution)}
    carers[world_home.other_institution.pk] = Carer.objects.create(
        region=region, institution=world_home.other_institution, kind="certified", name="陈静",
        id_number=make_id_number("320311", date(1976, 6, 6), 91, "F"), certificate_number="ZG-INV")
    priced(REGION, PRICED_ITEMS)
    for n, inst in enumerate(institutions):
        dual.approve(payments.set_account(payer, institution=inst, account_name=inst.name, bank="中国工商银行徐州分行",
                                          account_number=f"62220212345678{n:02d}"), approver)
    return Scene(world=world_home, region=region, institutions=institutions, carers=carers, reviewer=reviewer,
                 approver=approver, payer=payer)


def enrol(scene: Scene, seq: int, *, grade: str, valid_from: date, mode: str, institution: Institution,
          choice_from: date):
    """A person of Xuzhou enrolled since 2022 (make_person), certified from `valid_from`, who chose
    `mode` with `institution` from `choice_from`."""
    person = make_person(scene.region, seq, name=f"参保人{seq}", birth=date(1945, 1, 1) + timedelta(days=seq))
    certified(person, scene.clerk, grade=grade, valid_from=valid_from)
    choose(scene, person, mode=mode, institution=institution, effective_from=choice_from)
    return person


def choose(scene: Scene, person, *, mode: str, institution: Institution, effective_from: date) -> CareChoice:
    return CareChoice.objects.create(region=scene.region, person=person, mode=mode, institution=institution,
                                     effective_from=effective_from, created_by=scene.clerk)


def stay(scene: Scene, person, institution: Institution, admitted: date, discharged: date | None) -> Stay:
    return Stay.objects.create(region=scene.region, person=person, institution=institution, bed="101",
                               admitted_on=admitted, discharged_on=discharged, entered_by=scene.clerk)


def visit(scene: Scene, person, institution: Institution, day: date, items: list[str], hour: int = 9) -> Visit:
    """A home visit checked in at `hour` o'clock local time and checked out 50 minutes later."""
    at = datetime.combine(day, time(hour, 0), TZ)
    return Visit.objects.create(region=scene.region, person=person, institution=institution,
                                carer=scene.carers[institution.pk], request_id=f"inv-{next(_request_ids)}",
                                checkin_at=at, checkin_latitude="34.2", checkin_longitude="117.1",
                                checkout_at=at + timedelta(minutes=50), items=list(items), entered_by=scene.clerk)


def recertify(scene: Scene, person, grade: str, valid_from: date):
    """A re-assessment: a later qualifying certificate with another grade, in force from `valid_from`."""
    from ltci.assessment.models import Application, Certificate

    n = next(_request_ids)
    app = Application.objects.create(
        region=scene.region, person=person, number=f"R{person.pk}-{n}", channel="counter", applicant_name="王小明",
        applicant_relation="child", applicant_phone="13800000000", disabled_since=date(2024, 1, 1),
        self_assessment_letter="G", pledge_signed=True, state="certified", submitted_on=valid_from,
        intake_due=valid_from, created_by=scene.clerk)
    return Certificate.objects.create(region=scene.region, person=person, application=app, number=f"RN{person.pk}-{n}",
                                      grade=grade, qualifies=True, valid_from=valid_from,
                                      valid_until=date(valid_from.year + 2, 1, 31))


def event(scene: Scene, person, kind: str, on: date) -> CareEvent:
    return CareEvent.objects.create(region=scene.region, person=person, kind=kind, on=on, source="manual",
                                    entered_by=scene.clerk)


# ---------------------------------------------------------------------------------------------
# Entitlement and books
# ---------------------------------------------------------------------------------------------

def key_of(person_id, payee, institution_id, mode, grade, part_from) -> tuple:
    """What a line is booked against (ltci/settlement/run.py's comparison key, restated here)."""
    return (person_id, payee, institution_id or 0, mode, grade, part_from)


def entitled_parts(month: date) -> dict[tuple, tuple[Decimal, Decimal, date]]:
    """(fund, personal, part_to) per key, as `compute.settle` finds them now for the month."""
    result = compute.settle(inputs.read(REGION, month), REGION, month)
    out = {}
    for ln in result.lines:
        key = key_of(ln["person_id"], ln["payee"], ln["institution_id"], ln["mode"], ln["grade"], ln["part_from"])
        assert key not in out, f"compute.settle returned two lines for one key {key}"
        out[key] = (Decimal(ln["fund"]).quantize(FEN), Decimal(ln["personal"]).quantize(FEN), ln["part_to"])
    return out


def entitlement(month: date) -> dict[tuple, tuple[Decimal, Decimal]]:
    """(fund, personal) per key, as `compute.settle` finds them now for the month."""
    return {key: (fund, personal) for key, (fund, personal, _) in entitled_parts(month).items()}


def compared_lines(month: date):
    """The lines a run compares the entitlement with: regular and adjustment, never recoveries."""
    return (Line.objects.filter(claim__region_id=REGION, service_month=month,
                                kind__in=(LineKind.REGULAR, LineKind.ADJUSTMENT))
            .select_related("claim").order_by("id"))


def booked(month: date, *, drop_zero: bool = True) -> dict[tuple, tuple[Decimal, Decimal]]:
    """Net (fund, personal) per key over the month's regular and adjustment lines, summed exactly."""
    net: dict[tuple, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for ln in compared_lines(month):
        key = key_of(ln.person_id, ln.payee, ln.claim.institution_id, ln.mode, ln.grade, ln.part_from)
        net[key][0] += ln.fund
        net[key][1] += ln.personal
    return {k: (f, p) for k, (f, p) in net.items() if not drop_zero or (f, p) != (ZERO, ZERO)}


def recovered(month: date) -> dict[tuple, Decimal]:
    """What recoveries took back per key of the month (positive amounts)."""
    out: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for ln in Line.objects.filter(claim__region_id=REGION, service_month=month, kind=LineKind.RECOVERY).select_related(
            "claim"):
        out[key_of(ln.person_id, ln.payee, ln.claim.institution_id, ln.mode, ln.grade, ln.part_from)] -= ln.fund
    return out


def convergence_errors(month: date, expected: dict) -> list[str]:
    """Where the books of the month differ from `expected` (an `entitlement`); [] when they agree.
    A part a recovery took R from is booked at max(entitlement, R): a re-run never takes back again
    what the recovery took (decision 0007)."""
    got = booked(month)
    taken = recovered(month)
    errors = []
    for key in sorted(set(got) | set(expected), key=repr):
        want = expected.get(key, (ZERO, ZERO))
        if taken.get(key):
            want = (max(want[0], taken[key]), want[1])
        have = got.get(key, (ZERO, ZERO))
        if want != have:
            errors.append(f"{month:%Y-%m} {key}: booked net {have}, entitled to {want}")
    return errors


def paying_parts() -> dict[tuple, tuple[Decimal, tuple[date, date]]]:
    """(service_month, *key) → (net fund, extent) for the keys whose regular and adjustment lines
    still pay something (net fund ≠ 0). The extent is the one the key's latest line states (a re-run
    that changes a part books a line with the new extent)."""
    net: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    extent: dict[tuple, tuple[date, date]] = {}
    for ln in (Line.objects.filter(claim__region_id=REGION).select_related("claim").order_by("id")):
        key = (ln.service_month,
               *key_of(ln.person_id, ln.payee, ln.claim.institution_id, ln.mode, ln.grade, ln.part_from))
        net[key] += ln.fund  # what the fund pays for the part, recoveries included
        if ln.kind != LineKind.RECOVERY:
            extent[key] = (ln.part_from, ln.part_to)
    return {key: (fund, extent[key]) for key, fund in net.items() if fund != ZERO}


def overlaps(extents: dict[tuple, tuple[date, date]]) -> list[str]:
    """P4: pairs of parts of one person-month (keys as in `paying_parts`) that share a day. The lines
    of one part to two payees (mode, grade and first day alike) are one part, not an overlap."""
    by_person_month: dict[tuple, list] = defaultdict(list)
    for key in extents:
        by_person_month[(key[1], key[0])].append(key)
    problems = []
    for (person_id, service_month), keys in by_person_month.items():
        for a, b in itertools.combinations(sorted(keys, key=repr), 2):
            if (a[4], a[5], a[6]) == (b[4], b[5], b[6]):  # one part, two payees
                continue
            (a_from, a_to), (b_from, b_to) = extents[a], extents[b]
            if a_from <= b_to and b_from <= a_to:
                problems.append(f"person {person_id} {service_month:%Y-%m}: {a[2:]} {a_from}..{a_to} "
                                f"overlaps {b[2:]} {b_from}..{b_to}, both paying")
    return problems


def over_recovered_parts() -> list[str]:
    """Parts for which the fund has taken back more than it paid: net fund over all the lines of a
    key (regular, adjustment and recovery) below zero."""
    net: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for ln in Line.objects.filter(claim__region_id=REGION).select_related("claim"):
        net[(ln.service_month, *key_of(ln.person_id, ln.payee, ln.claim.institution_id, ln.mode, ln.grade,
                                       ln.part_from))] += ln.fund
    return [f"{key[0]:%Y-%m} {key[1:]}: net fund {fund}" for key, fund in net.items() if fund < ZERO]


def unbalanced_journals() -> list[str]:
    """Journals whose debits and credits differ, or that have fewer than two postings."""
    sums: dict[int, list] = defaultdict(lambda: [ZERO, ZERO, 0])
    for journal_id, debit, credit in Posting.objects.values_list("journal_id", "debit", "credit"):
        s = sums[journal_id]
        s[0] += debit
        s[1] += credit
        s[2] += 1
    problems = [f"journal {j}: debits {d} ≠ credits {c}" for j, (d, c, _) in sums.items() if d != c]
    problems += [f"journal {j}: {n} posting(s)" for j, (_, _, n) in sums.items() if n < 2]
    problems += [f"journal {j}: no postings" for j in Journal.objects.exclude(pk__in=list(sums)).values_list("pk", flat=True)]
    return problems


def ledger_snapshot() -> list[tuple]:
    """Every posting with its journal's key, date and kind: equal snapshots mean an unchanged ledger."""
    return sorted(Posting.objects.values_list("journal__key", "journal__posted_on", "journal__kind", "account", "party",
                                              "debit", "credit"))


def payable_mismatches(institutions) -> list[str]:
    """Per institution, the payable (2201, credit − debit) must be what its approvals granted minus
    what batches paid: the books never pay an approval twice or lose one."""
    problems = []
    for inst in institutions:
        party = f"institution:{inst.pk}"
        credit = debit = ZERO
        for d, c in Posting.objects.filter(account="2201", party=party).values_list("debit", "credit"):
            debit += d
            credit += c
        granted = sum(Approval.objects.filter(claim__institution=inst, status__in=(
            ApprovalStatus.APPROVED, ApprovalStatus.PAID)).values_list("fund", flat=True), ZERO)
        paid = sum(Payment.objects.filter(institution=inst).values_list("amount", flat=True), ZERO)
        if credit - debit != granted - paid:
            problems.append(f"{party}: payable {credit - debit} but approved {granted} − paid {paid}")
    return problems


def lines_not_adding_up() -> list[str]:
    return [f"line {pk}: cost {c} ≠ fund {f} + personal {p}"
            for pk, c, f, p in Line.objects.values_list("pk", "cost", "fund", "personal")
            if c.quantize(FEN) != (f + p).quantize(FEN)]
