"""The threshold above which a fee or fine needs a second person: each region's parameter with its
clause where its policy file sets one, else the platform default (params/platform.toml,
docs/decisions/0013)."""

from datetime import date
from decimal import Decimal

import pytest

from ltci.dualcontrol import threshold as dual_threshold
from ltci.policy.params import ParamsDataError, Section
from ltci.policy import policies
from ltci.policy.policies import policy_carried_on

REGIONS = ("changning", "jiaxing", "nanning", "nanzheng", "xuzhou")
ON = date(2025, 6, 1)


@pytest.mark.parametrize("region", REGIONS)
def test_no_seed_document_sets_one_so_every_region_has_the_platform_default(region):
    limit, basis = dual_threshold.threshold(region, ON)
    assert limit == Decimal("10000.00") and basis == "平台默认值（本地区政策文件未作规定）"
    assert dual_threshold.why_second_person(region, ON, Decimal("10000.00")) is None
    assert dual_threshold.why_second_person(region, ON, Decimal("10000.01")) == \
        "金额 10,000.01 元超过双人复核限额 10,000.00 元（平台默认值（本地区政策文件未作规定））"


def _with_threshold(monkeypatch, value):
    real = policy_carried_on

    def patched(code, on, *args):
        policy, carried = real(code, on, *args)
        fund = dict(policy.params.get("fund") or {}) | {"dual_control_threshold": {"value": value, "clause": "测试条款"}}
        data = dict(policy.params.items()) | {"fund": fund}
        return type(policy)(policy.region, policy.version, Section(data, "", "test.toml")), carried

    monkeypatch.setattr(policies, "policy_carried_on", patched)


@pytest.mark.parametrize("region", REGIONS)
def test_a_region_sets_its_own_in_its_parameter_file_with_the_clause(region, monkeypatch):
    _with_threshold(monkeypatch, "50000.00")
    limit, basis = dual_threshold.threshold(region, ON)
    assert limit == Decimal("50000.00") and basis == f"{region} 测试条款"
    assert dual_threshold.why_second_person(region, ON, Decimal("49999.99")) is None
    assert "超过双人复核限额 50,000.00 元（" + f"{region} 测试条款）" in dual_threshold.why_second_person(
        region, ON, Decimal("50000.01"))


def test_nanning_keeps_its_fee_cap_beside_its_threshold(monkeypatch):
    _with_threshold(monkeypatch, "20000.00")
    from ltci.fund.fees import agency_fee_cap

    assert dual_threshold.threshold("nanning", ON)[0] == Decimal("20000.00")
    assert agency_fee_cap("nanning", ON).rate == Decimal("0.05")


@pytest.mark.parametrize("value", ["0", "-1.00", "abc", "1.001"])
def test_a_malformed_threshold_names_the_file_and_key(monkeypatch, value):
    _with_threshold(monkeypatch, value)
    with pytest.raises(ParamsDataError, match="dual_control_threshold"):
        dual_threshold.threshold("xuzhou", ON)


def test_before_any_policy_the_default_holds():
    assert dual_threshold.threshold("xuzhou", date(1990, 1, 1))[1] == "平台默认值（本地区政策文件未作规定）"
