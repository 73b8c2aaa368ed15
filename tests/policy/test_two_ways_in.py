"""Scalar and batch give one answer: random people and care months for every region, and the
properties a payment must keep whatever the input."""

import calendar
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ltci.policy import batch, scalar
from ltci.policy.days import reduce_events
from ltci.policy.inputs import GROUPS, Care, Event, Person
from ltci.policy.money import RATE_SCALE, div_half_up
from ltci.policy.policies import policy_on
from ltci.policy.rules.eligibility import qualifying_grades

# A month inside each region's version.
MONTHS = {"nanzheng": (2021, 2022), "xuzhou": (2022, 2026), "nanning": (2024, 2028), "jiaxing": (2022, 2024),
          "changning": (2020, 2020)}
REGIONS = sorted(MONTHS)


@st.composite
def person_months(draw, region=None):
    region = region or draw(st.sampled_from(REGIONS))
    lo, hi = MONTHS[region]
    month = date(draw(st.integers(lo, hi)), draw(st.integers(1, 12)), 1)
    policy = policy_on(region, month)
    grades, _ = qualifying_grades(policy.params.section("eligibility"))
    modes = list(policy.params.section("benefit").sections("modes"))
    dim = calendar.monthrange(month.year, month.month)[1]
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        start = month + timedelta(days=draw(st.integers(0, dim - 1)))
        end = start + timedelta(days=draw(st.integers(0, (month.replace(day=dim) - start).days)))
        events = []
        for _ in range(draw(st.integers(0, 2))):
            admit = month + timedelta(days=draw(st.integers(-10, dim - 1)))
            events.append(Event("hospital", admit, admit + timedelta(days=draw(st.integers(0, 20)))))
        if draw(st.booleans()) and draw(st.booleans()):
            events.append(Event("death", month + timedelta(days=draw(st.integers(0, dim - 1)))))
        amount = st.integers(0, 1_000_000)  # fen
        person = Person(grade=draw(st.sampled_from(grades)),
                        groups=tuple(draw(st.lists(st.sampled_from(GROUPS), max_size=3, unique=True))))
        care = Care(mode=draw(st.sampled_from(modes)), start=start, end=end,
                    days=draw(st.none() | st.integers(0, 31)), cost=draw(amount), items_cost=draw(amount),
                    visits=draw(st.integers(0, 40)), family_days=draw(st.none() | st.integers(0, 31)),
                    carer_trained=draw(st.booleans()), events=tuple(events))
        rows.append((person, care))
    return region, month, rows


def batch_of(region, month, rows) -> pl.DataFrame:
    flat = []
    for i, (person, care) in enumerate(rows):
        suspended, death = reduce_events(care)
        flat.append({"person_id": i, "grade": person.grade, "groups": list(person.groups), "mode": care.mode,
                     "care_from": care.start, "care_to": care.end, "days": care.days,
                     "cost": f"{care.cost / 100:.2f}", "items_cost": f"{care.items_cost / 100:.2f}",
                     "visits": care.visits, "family_days": care.family_days, "carer_trained": care.carer_trained,
                     "suspended_days": suspended, "death_day": death})
    frame = pl.LazyFrame(flat, schema_overrides={"groups": pl.List(pl.String), "death_day": pl.Date})
    return batch.benefit_frame(frame, region, month).collect()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(person_months())
def test_scalar_and_batch_benefits_agree(case):
    region, month, rows = case
    out = batch_of(region, month, rows)
    for i, (person, care) in enumerate(rows):
        one = scalar.benefit(region, month, person, care)
        got = out.row(i, named=True)
        assert got["eligible_days"] == one.eligible_days
        assert (int(got["fund"] * 100), int(got["personal"] * 100)) == (one.fund, one.personal), (person, care)


@settings(max_examples=120, deadline=None)
@given(person_months())
def test_a_payment_keeps_its_invariants(case):
    region, month, rows = case
    policy = policy_on(region, month)
    for person, care in rows:
        result = scalar.benefit(region, month, person, care)
        assert all(ln.fund >= 0 and ln.personal >= 0 for ln in result.lines)
        assert result.fund + result.personal == result.total
        section = policy.params.section("benefit").sections("modes")[care.mode]
        if "cap" in section:
            cap, _ = section.fen("cap")
            dim = calendar.monthrange(month.year, month.month)[1]
            assert result.fund <= div_half_up(cap * result.eligible_days, dim)  # the prorated cap, rounded
        if section.get("rule") in ("cost_share", "visits_allowance"):
            cost = care.items_cost if section.get("amount_field") == "items_cost" else care.cost
            assert result.total == cost  # the eligible cost is split, never inflated


@settings(max_examples=120, deadline=None)
@given(person_months(), st.data())
def test_a_suspended_day_never_raises_the_funds_payment(case, data):
    region, month, rows = case
    dim = calendar.monthrange(month.year, month.month)[1]
    for person, care in rows:
        before = scalar.benefit(region, month, person, care)
        day = month + timedelta(days=data.draw(st.integers(0, dim - 1)))
        stay = Event("hospital", day - timedelta(days=1), day)  # suspends exactly `day`
        longer = Care(**{**care.__dict__, "events": care.events + (stay,)})
        after = scalar.benefit(region, month, person, longer)
        assert after.eligible_days <= before.eligible_days
        assert after.fund <= before.fund


@given(st.sampled_from(["nanzheng", "xuzhou", "jiaxing", "nanning"]), st.data())
@settings(max_examples=80, deadline=None)
def test_scalar_and_batch_contributions_agree(region, data):
    lo, hi = MONTHS[region]
    on = date(data.draw(st.integers(lo, hi)), data.draw(st.integers(1, 12)), 1)
    section = policy_on(region, on).params.section("contribution")
    schemes, _ = section.values("schemes")
    people = []
    for _ in range(data.draw(st.integers(1, 15))):
        people.append(Person(
            scheme=data.draw(st.sampled_from(schemes)),
            category=data.draw(st.sampled_from(["in_service", "retired", "flexible", "unemployed"])),
            birth_date=date(data.draw(st.integers(1920, 2020)), data.draw(st.integers(1, 12)), data.draw(st.integers(1, 28))),
            groups=tuple(data.draw(st.lists(st.sampled_from(GROUPS), max_size=3, unique=True))),
            base=data.draw(st.integers(0, 5_000_000)), pension=data.draw(st.integers(0, 2_000_000)),
        ))
    frame = pl.LazyFrame([{"person_id": i, "scheme": p.scheme, "category": p.category, "birth_date": p.birth_date,
                           "groups": ";".join(p.groups), "base": p.base / 100, "pension": p.pension / 100}
                          for i, p in enumerate(people)])
    out = batch.contribution_frame(frame, region, on).collect()
    for i, person in enumerate(people):
        one = scalar.contribution(region, on, person)
        got = out.row(i, named=True)
        assert got["period"] == one.period
        assert {p: int(got[p] * 100) for p in one.by_payer} == one.by_payer
        assert int(got["total"] * 100) == one.total
        assert all(v >= 0 for v in one.by_payer.values())


def test_rates_are_exact_integers():
    assert RATE_SCALE == 1_000_000


@pytest.mark.parametrize("region", REGIONS)
def test_every_region_offers_modes_the_rules_can_compute(region):
    lo, _ = MONTHS[region]
    month = date(lo, 3, 1)
    policy = policy_on(region, month)
    for mode in policy.params.section("benefit").sections("modes"):
        grade = qualifying_grades(policy.params.section("eligibility"))[0][-1]
        result = scalar.benefit(region, month, Person(grade=grade), Care(
            mode=mode, start=month, end=date(lo, 3, 31), cost=100000, items_cost=100000, visits=10,
            carer_trained=True))
        assert result.fund > 0 and result.lines
        assert all(ln.what and ln.clause.startswith(region) for ln in result.lines)
