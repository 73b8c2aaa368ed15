"""A new region, or a new version, is a new file: a test-only region from a temporary directory runs
through the same rules, scalar and batch, and the version in force is picked by date."""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from ltci.policy import batch, scalar
from ltci.policy.errors import PolicyError
from ltci.policy.inputs import Care, Person
from ltci.policy.params import ParamsDataError
from ltci.policy.policies import clear_caches, policy_on

from .testville import REGION

VERSION = """
[contribution]
rule = "flat"
period = "year"
schemes = {{ value = ["employee", "resident"], clause = "第三条" }}
[contribution.split]
individual = {{ value = "{individual}", clause = "第四条" }}
fiscal = {{ value = "40.00", clause = "第四条" }}
[[contribution.subsidies]]
label = "低保对象"
groups = ["medical_aid"]
amount = "all"
clause = "第五条"

[eligibility]
schemes = {{ value = ["employee", "resident"], clause = "第三条" }}
grades = {{ value = ["severe"], clause = "第六条" }}
disability_months = {{ value = 6, clause = "第六条" }}

[assessment]
scale = "national_2021"

[benefit.modes.institution_care]
rule = "per_diem"
[[benefit.modes.institution_care.lines]]
label = "机构护理床日费"
standard = {{ value = {{ severe = "{per_diem}" }}, clause = "第八条" }}
share = {{ value = "0.90", clause = "第八条" }}

[benefit.modes.home_care]
rule = "cost_share"
label = "居家护理费用"
share = {{ value = "0.75", clause = "第九条" }}
cap = {{ value = "1000.00", clause = "第九条" }}
"""


@pytest.fixture
def params_dir(tmp_path):
    region = tmp_path / "testville"
    region.mkdir()
    (region / "region.toml").write_text(REGION, encoding="utf-8")
    (region / "testville-2025.toml").write_text(VERSION.format(individual="30.00", per_diem="50.00"), encoding="utf-8")
    (region / "testville-2026.toml").write_text(VERSION.format(individual="35.00", per_diem="55.00"), encoding="utf-8")
    clear_caches()
    yield tmp_path
    clear_caches()


def test_the_version_in_force_is_picked_by_date(params_dir):
    assert policy_on("testville", date(2025, 12, 31), params_dir).version.code == "testville-2025"
    assert policy_on("testville", date(2026, 1, 1), params_dir).version.code == "testville-2026"
    with pytest.raises(PolicyError) as exc:
        policy_on("testville", date(2024, 12, 31), params_dir)
    assert exc.value.field == "on" and "covers 2024-12-31" in exc.value.message


def test_a_sixth_region_computes_through_the_same_rules(params_dir):
    person = Person(scheme="resident", grade="severe_2")
    care = Care(mode="institution_care", start=date(2025, 6, 1), end=date(2025, 6, 30))
    old = scalar.benefit("testville", date(2025, 6, 1), person, care, params_dir)
    assert old.fund_fen == 50_00 * 30 * 90 // 100 and old.lines[0].what == "机构护理床日费 50元 × 30天 × 90%"
    assert old.fund == Decimal("1350.00") and old.lines[0].fund == Decimal("1350.00")
    assert old.lines[0].clause == "testville 第八条"
    care26 = Care(mode="institution_care", start=date(2026, 6, 1), end=date(2026, 6, 30))
    assert scalar.benefit("testville", date(2026, 6, 1), person, care26, params_dir).fund_fen == 55_00 * 30 * 90 // 100

    dues = scalar.contribution("testville", date(2026, 1, 1), Person(scheme="employee", groups=("medical_aid",)),
                               params_dir)
    assert dues.by_payer_fen == {"individual": 0, "employer": 0, "medical_fund": 0, "fiscal": 75_00}
    assert dues.by_payer["fiscal"] == Decimal("75.00") and dues.total == Decimal("75.00")

    frame = pl.LazyFrame({"person_id": [1, 2], "grade": ["severe_1", "severe_3"], "mode": ["institution_care", "home_care"],
                          "cost": ["0", "2000.00"]})
    out = batch.benefit_frame(frame, "testville", date(2025, 6, 1), params_dir).collect()
    assert [str(v) for v in out["fund"]] == ["1350.00", "1000.00"]


def test_a_mode_with_an_unknown_rule_is_a_data_error(params_dir):
    path = params_dir / "testville" / "testville-2025.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('rule = "per_diem"', 'rule = "per_hour"'), encoding="utf-8")
    clear_caches()
    with pytest.raises(ParamsDataError, match="per_hour"):
        scalar.benefit("testville", date(2025, 6, 1), Person(grade="severe_1"),
                       Care(mode="institution_care", start=date(2025, 6, 1), end=date(2025, 6, 30)), params_dir)


def test_a_parameter_without_its_clause_is_refused(params_dir):
    path = params_dir / "testville" / "testville-2025.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(', clause = "第九条" }', " }"), encoding="utf-8")
    clear_caches()
    with pytest.raises(ParamsDataError, match="clause"):
        scalar.benefit("testville", date(2025, 6, 1), Person(grade="severe_1"),
                       Care(mode="home_care", start=date(2025, 6, 1), end=date(2025, 6, 30), cost=100), params_dir)
