"""Scalar and batch give one answer: random people and care months for every region, and the
properties a payment must keep whatever the input."""

import calendar
import io
from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ltci.policy import batch, scalar
from ltci.policy.days import reduce_events
from ltci.policy.inputs import GROUPS, Care, Event, Person
from ltci.policy.money import MAX_FEN, RATE_SCALE, div_half_up
from ltci.policy.policies import policy_on
from ltci.policy.rules.contribution import age_needed
from ltci.policy.rules.eligibility import qualifying_grades

# A month inside each region's version.
MONTHS = {"nanzheng": (2021, 2022), "xuzhou": (2022, 2026), "nanning": (2024, 2028), "jiaxing": (2022, 2024),
          "changning": (2020, 2020)}
REGIONS = sorted(MONTHS)
# How an input file may carry its numbers: amounts as text (CSV), float, Decimal or whole yuan.
COLUMN_TYPES = ("text", "float", "decimal", "integer")


def fen_amounts(kind: str):
    """Amounts in fen, small ones and ones up to the bound; whole yuan where the column is integer."""
    amounts = st.one_of(st.integers(0, 1_000_000), st.integers(0, MAX_FEN), st.just(MAX_FEN))
    return amounts.map(lambda f: f - f % 100) if kind == "integer" else amounts


def amount_column(fens: list, kind: str) -> pl.Series:
    if kind == "text":
        return pl.Series([None if f is None else f"{f // 100}.{f % 100:02d}" for f in fens], dtype=pl.String)
    if kind == "float":
        return pl.Series([None if f is None else f / 100 for f in fens], dtype=pl.Float64)
    if kind == "decimal":
        return pl.Series([None if f is None else Decimal(f).scaleb(-2) for f in fens], dtype=pl.Decimal(12, 2))
    return pl.Series([None if f is None else f // 100 for f in fens], dtype=pl.Int64)


def whole_column(values: list, kind: str) -> pl.Series:
    """Whole numbers as Int32, or as integral floats (a float column is fine when nothing is cut)."""
    return pl.Series(values, dtype=pl.Float64 if kind == "float" else pl.Int32)


def via_parquet(columns: dict | pl.DataFrame) -> pl.LazyFrame:
    buf = io.BytesIO()
    pl.DataFrame(columns).write_parquet(buf)
    buf.seek(0)
    return pl.read_parquet(buf).lazy()


@st.composite
def person_months(draw, region=None):
    region = region or draw(st.sampled_from(REGIONS))
    lo, hi = MONTHS[region]
    month = date(draw(st.integers(lo, hi)), draw(st.integers(1, 12)), 1)
    policy = policy_on(region, month)
    grades, _ = qualifying_grades(policy.params.section("eligibility"))
    modes = policy.params.section("benefit").sections("modes")
    dim = calendar.monthrange(month.year, month.month)[1]
    kind = draw(st.sampled_from(COLUMN_TYPES))
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        start = month + timedelta(days=draw(st.integers(0, dim - 1)))
        end = start + timedelta(days=draw(st.integers(0, (month.replace(day=dim) - start).days)))
        events = []
        for _ in range(draw(st.integers(0, 2))):
            admit = month + timedelta(days=draw(st.integers(-10, dim - 1)))
            events.append(Event("hospital", admit, admit + timedelta(days=draw(st.integers(0, 20)))))
        if draw(st.booleans()) and draw(st.booleans()):  # a death on or after the start of care
            events.append(Event("death", start + timedelta(days=draw(st.integers(0, (month.replace(day=dim) - start).days)))))
        mode = draw(st.sampled_from(list(modes)))
        groups = set(draw(st.lists(st.sampled_from(GROUPS), max_size=3, unique=True)))
        if "required_groups" in modes[mode]:
            groups |= set(modes[mode].values("required_groups")[0])
        person = Person(grade=draw(st.sampled_from(grades)), groups=tuple(sorted(groups)))
        care = Care(mode=mode, start=start, end=end,
                    days=draw(st.none() | st.integers(0, 31)), cost=draw(fen_amounts(kind)),
                    items_cost=draw(fen_amounts(kind)), visits=draw(st.integers(0, 1000)),
                    family_days=draw(st.none() | st.integers(0, 31)), carer_trained=draw(st.booleans()),
                    events=tuple(events))
        rows.append((person, care))
    return region, month, rows, kind


def benefit_rows(rows, kind) -> pl.DataFrame:
    """The person-months as the batch engine's input columns, numbers typed as `kind`."""
    reduced = [reduce_events(care) for _, care in rows]
    return pl.DataFrame({
        "person_id": list(range(len(rows))),
        "grade": [p.grade for p, _ in rows],
        "groups": pl.Series([list(p.groups) for p, _ in rows], dtype=pl.List(pl.String)),
        "mode": [c.mode for _, c in rows],
        "care_from": [c.start for _, c in rows], "care_to": [c.end for _, c in rows],
        "days": whole_column([c.days for _, c in rows], kind),
        "cost": amount_column([c.cost for _, c in rows], kind),
        "items_cost": amount_column([c.items_cost for _, c in rows], kind),
        "visits": whole_column([c.visits for _, c in rows], kind),
        "family_days": whole_column([c.family_days for _, c in rows], kind),
        "carer_trained": [c.carer_trained for _, c in rows],
        "suspended_days": whole_column([s for s, _ in reduced], kind),
        "death_day": pl.Series([d for _, d in reduced], dtype=pl.Date),
    })


def batch_of(region, month, rows, kind) -> pl.DataFrame:
    return batch.benefit_frame(via_parquet(benefit_rows(rows, kind)), region, month).collect()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(person_months())
def test_scalar_and_batch_benefits_agree(case):
    region, month, rows, kind = case
    out = batch_of(region, month, rows, kind)
    for i, (person, care) in enumerate(rows):
        one = scalar.benefit(region, month, person, care)
        got = out.row(i, named=True)
        assert got["eligible_days"] == one.eligible_days
        assert (got["fund"], got["personal"], got["total"]) == (one.fund, one.personal, one.total), (person, care)


@settings(max_examples=120, deadline=None)
@given(person_months())
def test_a_payment_keeps_its_invariants(case):
    region, month, rows, _ = case
    policy = policy_on(region, month)
    for person, care in rows:
        result = scalar.benefit(region, month, person, care)
        assert all(ln.fund_fen >= 0 and ln.personal_fen >= 0 for ln in result.lines)
        assert result.fund + result.personal == result.total and result.fund_fen + result.personal_fen == result.total_fen
        assert result.total < Decimal("1e10")  # bounded inputs give results that fit the output's decimal(12,2)
        section = policy.params.section("benefit").sections("modes")[care.mode]
        if "cap" in section:
            cap, _ = section.fen("cap")
            dim = calendar.monthrange(month.year, month.month)[1]
            assert result.fund_fen <= div_half_up(cap * result.eligible_days, dim)  # the prorated cap, rounded
        if section.get("rule") in ("cost_share", "visits_allowance"):
            cost = care.items_cost if section.get("amount_field") == "items_cost" else care.cost
            assert result.total_fen == cost  # the eligible cost is split, never inflated


@settings(max_examples=120, deadline=None)
@given(person_months(), st.data())
def test_a_suspended_day_never_raises_the_funds_payment(case, data):
    region, month, rows, _ = case
    dim = calendar.monthrange(month.year, month.month)[1]
    for person, care in rows:
        before = scalar.benefit(region, month, person, care)
        day = month + timedelta(days=data.draw(st.integers(0, dim - 1)))
        stay = Event("hospital", day - timedelta(days=1), day)  # suspends exactly `day`
        longer = Care(**{**care.__dict__, "events": care.events + (stay,)})
        after = scalar.benefit(region, month, person, longer)
        assert after.eligible_days <= before.eligible_days
        assert after.fund_fen <= before.fund_fen


@given(st.sampled_from(["nanzheng", "xuzhou", "jiaxing", "nanning"]), st.data())
@settings(max_examples=80, deadline=None)
def test_scalar_and_batch_contributions_agree(region, data):
    lo, hi = MONTHS[region]
    on = date(data.draw(st.integers(lo, hi)), data.draw(st.integers(1, 12)), 1)
    section = policy_on(region, on).params.section("contribution")
    schemes, _ = section.values("schemes")
    kind = data.draw(st.sampled_from(COLUMN_TYPES))
    people = []
    for _ in range(data.draw(st.integers(1, 15))):
        scheme = data.draw(st.sampled_from(schemes))
        # The age from a birth date, or an `age` column where the birth date is null, or neither
        # where no age subsidy applies to the scheme (Xuzhou employees).
        given = data.draw(st.sampled_from(["birth_date", "age"] + ([] if age_needed(section, scheme) else ["none"])))
        people.append(Person(
            scheme=scheme,
            category=data.draw(st.sampled_from(["in_service", "retired", "flexible", "unemployed"])),
            birth_date=date(data.draw(st.integers(1900, on.year)), data.draw(st.integers(1, on.month)), 1)
            if given == "birth_date" else None,
            age=data.draw(st.integers(0, 150)) if given == "age" else None,
            groups=tuple(data.draw(st.lists(st.sampled_from(GROUPS), max_size=3, unique=True))),
            base=data.draw(fen_amounts(kind)), pension=data.draw(fen_amounts(kind)),
        ))
    frame = via_parquet({
        "person_id": list(range(len(people))), "scheme": [p.scheme for p in people],
        "category": [p.category for p in people], "birth_date": pl.Series([p.birth_date for p in people], dtype=pl.Date),
        "age": pl.Series([p.age for p in people], dtype=pl.Int64), "groups": [";".join(p.groups) for p in people],
        "base": amount_column([p.base for p in people], kind), "pension": amount_column([p.pension for p in people], kind),
    })
    out = batch.contribution_frame(frame, region, on).collect()
    for i, person in enumerate(people):
        one = scalar.contribution(region, on, person)
        got = out.row(i, named=True)
        assert got["period"] == one.period
        assert {p: got[p] for p in one.by_payer} == one.by_payer
        assert got["total"] == one.total
        assert all(v >= 0 for v in one.by_payer_fen.values())


def test_rates_are_exact_integers():
    assert RATE_SCALE == 1_000_000


@pytest.mark.parametrize("region", REGIONS)
def test_every_region_offers_modes_the_rules_can_compute(region):
    lo, _ = MONTHS[region]
    month = date(lo, 3, 1)
    policy = policy_on(region, month)
    for mode, section in policy.params.section("benefit").sections("modes").items():
        grade = qualifying_grades(policy.params.section("eligibility"))[0][-1]
        groups = tuple(section.values("required_groups")[0]) if "required_groups" in section else ()
        result = scalar.benefit(region, month, Person(grade=grade, groups=groups), Care(
            mode=mode, start=month, end=date(lo, 3, 31), cost=100000, items_cost=100000, visits=10,
            carer_trained=True))
        assert result.fund > 0 and result.lines
        assert all(ln.what and ln.clause.startswith(region) for ln in result.lines)
