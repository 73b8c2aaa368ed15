"""A person's standing: what was billed and paid per period, arrears, and the facts eligibility needs.

The date full payment of a period was recorded is the date of the payment that completed it; the
waiting period runs from the first such date (docs/decisions/0002: `enrolled_on`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ltci.enrolment.models import EnrolmentStatus, Person
from ltci.policy import scalar
from ltci.policy.errors import PolicyError
from ltci.policy.inputs import Person as PolicyPerson
from ltci.policy.policies import policy_carried_on, policy_on

from .models import PAYER_FIELDS, Bill, Payment
from .periods import parse_period


@dataclass
class PeriodStanding:
    period: str
    label: str
    billed: dict = field(default_factory=dict)  # payer → Decimal
    paid: dict = field(default_factory=dict)
    fully_paid_on: date | None = None

    @property
    def total_billed(self) -> Decimal:
        return sum(self.billed.values(), Decimal("0.00"))

    @property
    def total_paid(self) -> Decimal:
        return sum(self.paid.values(), Decimal("0.00"))

    @property
    def arrears(self) -> Decimal:
        return self.total_billed - self.total_paid

    @property
    def arrears_by_payer(self) -> dict:
        return {p: self.billed.get(p, 0) - self.paid.get(p, 0) for p in PAYER_FIELDS
                if self.billed.get(p, 0) - self.paid.get(p, 0)}


def statement(person: Person) -> list[PeriodStanding]:
    """Every billed period of a person, oldest first."""
    periods: dict[str, PeriodStanding] = {}
    # Read as tuples: a person of twenty years has hundreds of bills and payments, on a page
    # opened all day (docs/decisions/0027).
    for period, *amounts in Bill.objects.filter(person=person).order_by("period", "id").values_list(
            "period", *PAYER_FIELDS):
        ps = periods.get(period) or periods.setdefault(period, PeriodStanding(period, parse_period(period).label))
        for p, amount in zip(PAYER_FIELDS, amounts):
            ps.billed[p] = ps.billed.get(p, Decimal("0")) + amount
    running: dict[str, Decimal] = {}
    for period, payer, amount, paid_on in Payment.objects.filter(person=person).order_by("paid_on", "id").values_list(
            "period", "payer", "amount", "paid_on"):
        ps = periods.get(period)
        if ps is None:
            continue
        ps.paid[payer] = ps.paid.get(payer, Decimal("0")) + amount
        running[period] = running.get(period, Decimal("0")) + amount
        if ps.fully_paid_on is None and running[period] >= ps.total_billed:
            ps.fully_paid_on = paid_on
    for ps in periods.values():  # a period billed at nothing (all subsidised to zero) is paid at once
        if ps.fully_paid_on is None and ps.total_billed == 0:
            ps.fully_paid_on = parse_period(ps.period).first
    return [periods[k] for k in sorted(periods)]


@dataclass(frozen=True)
class Facts:
    """What the register and the contributions know of a person, in the policy engine's terms."""

    scheme: str | None
    category: str | None
    birth_date: date
    groups: tuple[str, ...]
    enrolled_on: date | None  # the date full payment of the first period was recorded
    paid_through: date | None  # end of the last period of the unbroken run of fully paid periods
    contribution_months: int  # fully paid monthly periods
    periods: list[PeriodStanding]


def facts(person: Person, on: date, periods: list[PeriodStanding] | None = None) -> Facts:
    """`periods`: the person's statement when the caller has read it already."""
    enrolment = next((e for e in person.enrolments.all() if e.status == EnrolmentStatus.ACTIVE), None)
    periods = statement(person) if periods is None else periods
    paid_through = None
    for ps in periods:
        if ps.fully_paid_on is None:
            break
        paid_through = parse_period(ps.period).last
    first_full = next((ps.fully_paid_on for ps in periods if ps.fully_paid_on), None)
    groups = tuple(g.group for g in person.groups.all()
                   if g.valid_from <= on and (g.valid_to is None or g.valid_to >= on))
    return Facts(
        scheme=enrolment.scheme if enrolment else None,
        category=(enrolment.category or None) if enrolment else None,
        birth_date=person.birth_date, groups=groups,
        enrolled_on=min(first_full, enrolment.start) if (first_full and enrolment and
                                                          enrolment.start < _version_start(person, on))
        else first_full,
        paid_through=paid_through,
        contribution_months=sum(1 for ps in periods if "-" in ps.period and ps.fully_paid_on),
        periods=periods,
    )


def _collects_locally(region: str, on: date) -> bool:
    """False where another body collects the contributions (Changning: the municipal scheme), so no
    local payment is ever recorded."""
    try:
        policy, _ = policy_carried_on(region, on)
    except PolicyError:
        return True
    return policy.params.section("contribution").get("rule") != "none"


def _version_start(person: Person, on: date) -> date:
    try:
        return policy_on(person.region_id, on, carry_over=True).version.valid_from
    except PolicyError:
        return date.min


@dataclass(frozen=True)
class Verdict:
    """Today's eligibility on the conditions the contributions decide, with the engine's reasons."""

    checked: bool  # False: the engine could not be asked (no enrolment, no version in force)
    eligible: bool
    reasons: list[dict]
    note: str


def contribution_verdict(person: Person, on: date, periods: list[PeriodStanding] | None = None) -> Verdict:
    """The engine's verdict on enrolment and contributions. What an assessment decides (grade, six
    months of disability) is left out until the assessment app gives grades; the note says so."""
    question = policy_person(person, on, periods=periods)
    if question is None:
        return Verdict(False, False, [], "无有效参保登记")
    try:
        result = scalar.eligibility(person.region_id, on, question.person, assessed=False, carry_over=True)
    except PolicyError as exc:
        return Verdict(False, False, [], exc.words())
    reasons = [*question.reasons, *(r.as_dict() for r in result.reasons)]
    return Verdict(True, not reasons, reasons, "尚无失能等级评估结论：以上仅判定参保与缴费条件")


@dataclass(frozen=True)
class Question:
    """A person as the policy engine sees them, with what the register already says against them."""

    person: PolicyPerson
    reasons: list[dict]


def policy_person(person: Person, on: date, periods: list[PeriodStanding] | None = None,
                  **extra) -> Question | None:
    """The engine's view of a person on `on` (None without an active enrolment). Nothing paid yet
    is a reason of its own, since the engine cannot date a waiting period from it."""
    f = facts(person, on, periods)
    if f.scheme is None:
        return None
    question = PolicyPerson(
        scheme=f.scheme, category=f.category, birth_date=f.birth_date, groups=f.groups,
        enrolled_on=f.enrolled_on or on, paid_through=f.paid_through or date.min,
        contribution_months=f.contribution_months, receiving=False, **extra)
    reasons = []
    if f.enrolled_on is None and _collects_locally(person.region_id, on):
        reasons.append({"code": "unpaid", "message": "尚无缴清的缴费期间", "clause": ""})
    return Question(question, reasons)
