"""Fund management: the yearly budget against actuals, and the cover ratio with its warning."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ltci.audit.models import Action, AuditEvent
from ltci.policy import policies
from ltci.fund import accounts, budget, cover
from ltci.fund.models import Budget
from ltci.fund.services import Entry
from ltci.policy.params import Section
from ltci.policy.policies import policy_carried_on

from .conftest import benefit, book, income

D = Decimal


def test_a_budget_is_set_line_by_line_and_every_change_is_audited(xuzhou, manager):
    assert budget.set_budget("xuzhou", 2025, {"4101": D("1000.00"), "5101": D("800.00")}, manager) == 2
    assert budget.budget_of("xuzhou", 2025) == {"4101": D("1000.00"), "5101": D("800.00")}
    created = AuditEvent.objects.filter(action=Action.CREATE, object_type="fund.budget")
    assert created.count() == 2 and {e.region_id for e in created} == {"xuzhou"}
    # The same amount again changes nothing; a new amount changes one line, before and after on the trail.
    assert budget.set_budget("xuzhou", 2025, {"4101": D("1000.00"), "5101": D("900.00")}, manager) == 1
    update = AuditEvent.objects.get(action=Action.UPDATE, object_type="fund.budget")
    assert update.detail["changes"]["amount"] == ["800.00", "900.00"]
    assert Budget.objects.get(account="5101").set_by == manager


@pytest.mark.parametrize("year, lines, field, message", [
    (2025, {"1002": D("1.00")}, "lines", "未知的预算科目"),
    (2025, {"4101": D("-1.00")}, "lines", "缴费收入—个人缴费预算金额不能为负数"),
    (2025, {"4101": "100000000000.00"}, "lines", "预算金额 100,000,000,000.00 元超过上限 99,999,999,999.99 元"),
    (2025, {"4101": "1e9"}, "lines", "科学计数法"),
    (2025, {"4101": D("1.001")}, "lines", "两位小数"),
    (2025, {}, "lines", "至少填写"),
    (1999, {"4101": D("1.00")}, "year", "预算年度"),
])
def test_a_budget_that_cannot_be_right_is_refused(xuzhou, manager, year, lines, field, message):
    with pytest.raises(ValidationError) as exc:
        budget.set_budget("xuzhou", year, lines, manager)
    assert message in exc.value.message_dict[field][0]
    assert not Budget.objects.exists()


def test_the_budget_is_shown_against_the_years_actuals(xuzhou, manager):
    budget.set_budget("xuzhou", 2025, {"4101": D("1000.00"), "5101": D("800.00"), "5201": D("50.00")}, manager)
    income(xuzhou, date(2024, 12, 31), "999.00")  # last year: not this budget's
    income(xuzhou, date(2025, 1, 20), "400.00")
    income(xuzhou, date(2025, 6, 20), "350.00", "fiscal")
    benefit(xuzhou, date(2025, 3, 31), "200.00")
    report = budget.budget_vs_actual("xuzhou", 2025, date(2025, 12, 31))
    rows = {r.account: r for r in report.income + report.expenditure}
    assert rows["4101"].actual == D("400.00") and rows["4101"].rate == D("40.0") and rows["4101"].remaining == D("600.00")
    assert rows["4104"].budget is None and rows["4104"].actual == D("350.00") and rows["4104"].rate is None
    assert rows["5101"].rate == D("25.0") and rows["5201"].actual == D("0.00")
    assert report.income_total.actual == D("750.00") and report.income_total.budget == D("1000.00")
    assert report.expenditure_total.budget == D("850.00")
    assert budget.budget_vs_actual("xuzhou", 2025, date(2025, 3, 1)).income_total.actual == D("400.00")


def _spend(region, month: date, amount: str):
    benefit(region, month.replace(day=28), amount)


def test_the_cover_ratio_is_the_bank_over_average_monthly_benefits(xuzhou):
    income(xuzhou, date(2024, 1, 5), "100000.00")
    # 2024-01 … 2025-02 with June 2024 spending nothing: 13 months with spending, the last 12 count.
    months = [date(2024 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(1, 15)]
    for n, month in enumerate(months):
        if month != date(2024, 6, 1):
            _spend(xuzhou, month, "1000.00" if n < 3 else "2000.00")
    c = cover.cover_ratio("xuzhou", date(2025, 3, 15))
    assert [m for m, _ in c.months][0] == date(2024, 2, 1) and len(c.months) == 12
    assert date(2024, 6, 1) not in dict(c.months)
    assert c.average == D("1833.33")  # (2 × 1000 + 10 × 2000) / 12
    assert c.bank == D("100000.00") and c.ratio == D("54.5") and not c.warning
    assert c.threshold == D("6") and "平台默认" in c.basis


def test_a_young_scheme_averages_the_months_it_has_and_warns_below_six(xuzhou):
    income(xuzhou, date(2025, 1, 5), "5000.00")
    _spend(xuzhou, date(2025, 1, 1), "1000.00")
    _spend(xuzhou, date(2025, 2, 1), "1000.00")
    c = cover.cover_ratio("xuzhou", date(2025, 2, 28))
    assert len(c.months) == 2 and c.average == D("1000.00") and c.ratio == D("5.0") and c.warning
    assert cover.cover_ratio("xuzhou", date(2025, 1, 27)).ratio is None  # nothing spent yet: no ratio, no warning


def test_recoveries_net_off_and_a_month_of_net_recovery_does_not_count(xuzhou):
    income(xuzhou, date(2025, 1, 5), "9000.00")
    _spend(xuzhou, date(2025, 1, 1), "1500.00")
    book(xuzhou, date(2025, 1, 30), Entry(accounts.PAYABLE_INSTITUTION, debit=D("500.00"), party="institution:1"),
         Entry(accounts.BENEFIT_INSTITUTION, credit=D("500.00")))  # 追款
    book(xuzhou, date(2025, 2, 10), Entry(accounts.PAYABLE_INSTITUTION, debit=D("100.00"), party="institution:1"),
         Entry(accounts.BENEFIT_INSTITUTION, credit=D("100.00")))
    c = cover.cover_ratio("xuzhou", date(2025, 2, 28))
    assert c.months == [(date(2025, 1, 1), D("1000.00"))] and c.ratio == D("9.0")


def test_a_region_can_set_its_own_threshold(xuzhou, monkeypatch):
    real = policy_carried_on

    def with_fund_section(code, on, *args):
        policy, carried = real(code, on, *args)
        data = dict(policy.params.items()) | {"fund": {"cover_warning_months": {"value": 9, "clause": "测试条款"}}}
        return type(policy)(policy.region, policy.version, Section(data, "", "test.toml")), carried

    monkeypatch.setattr(policies, "policy_carried_on", with_fund_section)
    income(xuzhou, date(2025, 1, 5), "8000.00")
    _spend(xuzhou, date(2025, 1, 1), "1000.00")
    c = cover.cover_ratio("xuzhou", date(2025, 1, 31))
    assert c.threshold == D("9") and c.basis == "xuzhou 测试条款" and c.ratio == D("8.0") and c.warning
