"""The demo population: valid, local, old-skewed, plausible, and the same for the same seed."""

import random
import statistics
from collections import Counter
from datetime import date

import pytest

from ltci.enrolment.demo import generate_people
from ltci.enrolment.idcard import parse_id_number
from ltci.policy.regions import load_regions

TODAY = date(2026, 11, 24)


def people(code, n=2000, seed=7):
    return generate_people(load_regions()[code], n, random.Random(seed), TODAY)


def test_same_seed_same_people_other_seed_other_people():
    assert people("xuzhou", 300) == people("xuzhou", 300)
    assert people("xuzhou", 300) != people("xuzhou", 300, seed=8)


@pytest.mark.parametrize("code", sorted(load_regions()))
def test_ids_are_valid_local_and_unique(code):
    region = load_regions()[code]
    crowd = people(code)
    assert len({p.id_number for p in crowd}) == len(crowd)
    for p in crowd:
        parsed = parse_id_number(p.id_number, today=TODAY)
        assert parsed.birth_date == p.birth_date and parsed.sex == p.sex
        assert p.id_number[:6] in region.id_prefixes
        assert p.district in {d.name for d in region.districts}
        assert len(p.name) in (2, 3) and p.phone.startswith("1") and len(p.phone) == 11


def test_ages_skew_old_and_shares_are_plausible():
    crowd = people("xuzhou")
    ages = [TODAY.year - p.birth_date.year for p in crowd]
    assert statistics.median(ages) >= 55
    assert sum(a >= 60 for a in ages) / len(ages) > 0.45
    schemes = Counter(p.scheme for p in crowd)
    assert 0.45 < schemes["employee"] / len(crowd) < 0.65
    groups = Counter(g for p in crowd for g, _ in p.groups)
    assert groups["medical_aid"] > 20 and groups["severe_disability"] > 20 and groups["student"] > 20
    old = [p for p in crowd if TODAY.year - p.birth_date.year >= 75]
    assert sum(p.sex == "F" for p in old) / len(old) > 0.55


def test_employee_only_regions_have_no_residents():
    assert {p.scheme for p in people("nanning", 500)} == {"employee"}
    retired = [p for p in people("nanning", 500) if p.category == "retired"]
    assert retired and all(TODAY.year - p.birth_date.year >= 59 for p in retired)


@pytest.mark.parametrize("code", sorted(load_regions()))
def test_the_schemes_are_those_the_policy_in_force_covers(code):
    """Read from the region's own policy file, not a list in code: a sixth region gets its people right."""
    from ltci.policy.policies import policy_on

    covered, _ = policy_on(code, TODAY, carry_over=True).params.section("eligibility").values("schemes")
    assert {p.scheme for p in people(code, 400)} == set(covered)
