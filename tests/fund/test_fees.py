"""Agency and assessment fees: paid and posted within the year's budget line and what the bank
holds, Nanning's agency fees within 5 % of the year's premium income (三(六), read from its
parameter file), no cap where the policy sets none; above the dual-control threshold a fee waits
for a second fund manager."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ltci.audit.models import Action, AuditEvent
from ltci.dualcontrol import services as dual
from ltci.dualcontrol.models import Request, RequestStatus
from ltci.fund import accounts, ledger, periods
from ltci.fund.fees import agency_fee_cap, agency_room, post_fee
from ltci.fund.models import Fee, Journal

from .conftest import budgeted, income

D = Decimal


@pytest.fixture
def nanning_income(nanning):
    """2025 premiums of 10 000 (and a donation, which is no premium); 2024 premiums of 90 000; fee
    budgets for both years."""
    income(nanning, date(2025, 1, 15), "6000.00", "individual")
    income(nanning, date(2025, 2, 15), "4000.00", "employer")
    income(nanning, date(2025, 2, 15), "5000.00", "donation")
    income(nanning, date(2024, 12, 15), "90000.00", "employer")
    budgeted(nanning, 2025, **{"5201": "5000.00", "5202": "5000.00"})
    budgeted(nanning, 2024, **{"5202": "5000.00"})
    return nanning


def test_nanning_reads_its_cap_from_its_parameter_file(db):
    cap = agency_fee_cap("nanning", date(2025, 6, 1))
    assert cap.rate == D("0.05") and cap.clause == "nanning 三(六)"
    assert agency_fee_cap("xuzhou", date(2025, 6, 1)) is None
    assert agency_fee_cap("nanning", date(2029, 6, 1)).rate == D("0.05")  # holds until a new document replaces it


def test_a_fee_is_paid_from_the_bank_and_posted_once(nanning_income, nanning_manager):
    fee = post_fee("nanning", "assessment", D("120.00"), date(2025, 3, 2), "3月评估费", nanning_manager, reference="PG-1")
    journal = Journal.objects.get(key=f"fee:{fee.pk}")
    lines = sorted((p.account, p.debit, p.credit) for p in journal.postings.all())
    assert lines == [(accounts.BANK, D("0.00"), D("120.00")), (accounts.ASSESSMENT_FEES, D("120.00"), D("0.00"))]
    assert journal.kind == "fee" and journal.posted_on == date(2025, 3, 2) and "评估费用" in journal.memo
    again = post_fee("nanning", "assessment", D("120.00"), date(2025, 3, 2), "重复提交", nanning_manager, reference="PG-1")
    assert again.pk == fee.pk and Fee.objects.count() == 1 and Journal.objects.filter(kind="fee").count() == 1
    with pytest.raises(ValidationError) as exc:
        post_fee("nanning", "assessment", D("99.00"), date(2025, 3, 2), "另一笔", nanning_manager, reference="PG-1")
    assert "凭证号已登记" in exc.value.message_dict["reference"][0]
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="fund.fee")
    assert event.region_id == "nanning" and event.detail["fields"]["amount"] == "120.00"
    assert fee.approved_by is None and not Request.objects.exists()  # below the threshold: one person


def test_nanning_agency_fees_stay_within_five_percent_of_the_years_premiums(nanning_income, nanning_manager):
    room = agency_room("nanning", 2025)
    assert room.premium_income == D("10000.00") and room.limit == D("500.00") and room.left == D("500.00")
    post_fee("nanning", "agency", D("300.00"), date(2025, 3, 1), "一季度经办费", nanning_manager)
    post_fee("nanning", "assessment", D("900.00"), date(2025, 3, 1), "评估费不计入上限", nanning_manager)
    with pytest.raises(ValidationError) as exc:
        post_fee("nanning", "agency", D("200.01"), date(2025, 4, 1), "二季度经办费", nanning_manager)
    message = exc.value.message_dict["amount"][0]
    for words in ("经办服务费 200.01 元超过年度上限", "nanning 三(六)", "5%", "2025年保费收入 10,000.00 元",
                  "上限 500.00 元", "已列支 300.00 元", "尚可列支 200.00 元"):
        assert words in message, words
    post_fee("nanning", "agency", D("200.00"), date(2025, 4, 1), "二季度经办费", nanning_manager)
    assert agency_room("nanning", 2025).left == D("0.00")
    assert ledger.account_balance("nanning", accounts.AGENCY_FEES) == D("500.00")
    # The year is the fee's year: 2024's premiums leave room of their own.
    post_fee("nanning", "agency", D("4500.00"), date(2024, 12, 20), "2024年经办费", nanning_manager)


def test_regions_without_a_cap_pay_agency_fees_within_budget_and_bank(xuzhou, manager):
    income(xuzhou, date(2025, 1, 15), "8000.00")
    budgeted(xuzhou, **{"5202": "6000.00"})
    post_fee(xuzhou, "agency", D("5000.00"), date(2025, 3, 1), "经办费", manager)
    assert agency_room("xuzhou", 2025) is None
    assert ledger.account_balance("xuzhou", accounts.AGENCY_FEES) == D("5000.00")
    with pytest.raises(ValidationError) as exc:
        post_fee(xuzhou, "agency", D("1000.01"), date(2025, 3, 2), "经办费", manager)
    assert exc.value.message_dict["amount"] == [
        "经办服务费 1,000.01 元超过2025年度预算余额 1,000.00 元（预算 6,000.00 元，已列支 5,000.00 元）"]
    assert Fee.objects.count() == 1


def test_a_fee_needs_a_budget_line_of_its_year(xuzhou, manager):
    income(xuzhou, date(2025, 1, 15), "8000.00")
    budgeted(xuzhou, **{"5202": "6000.00"})
    with pytest.raises(ValidationError) as exc:
        post_fee(xuzhou, "assessment", D("10.00"), date(2025, 3, 1), "评估费", manager)
    assert exc.value.message_dict["amount"] == ["2025年度未编制评估费用支出预算：请先在“年度预算”中编制，再支付评估费用"]
    assert not Fee.objects.exists()


def test_a_fee_never_takes_the_bank_below_zero_on_its_day_or_after(xuzhou, manager):
    from .conftest import paid_out

    income(xuzhou, date(2025, 1, 15), "1000.00")
    paid_out(xuzhou, date(2025, 2, 10), "900.00")  # the bank holds 1000 on 1 February, 100 from the 10th
    budgeted(xuzhou, **{"5201": "5000.00"})
    with pytest.raises(ValidationError) as exc:
        post_fee(xuzhou, "assessment", D("100.01"), date(2025, 2, 1), "评估费", manager)
    assert "评估费用 100.01 元超过基金银行存款可支付余额 100.00 元（2025-02-01起的最低余额 100.00 元）" in \
        exc.value.message_dict["amount"][0]
    post_fee(xuzhou, "assessment", D("100.00"), date(2025, 2, 1), "评估费", manager)
    assert ledger.account_balance("xuzhou", accounts.BANK) == D("0.00")


@pytest.mark.parametrize("kwargs, field, message", [
    ({"kind": "consulting"}, "kind", "费用类别"),
    ({"amount": D("0.00")}, "amount", "大于0"),
    ({"amount": D("1.234")}, "amount", "两位小数"),
    ({"amount": "1e9"}, "amount", "科学计数法"),
    ({"on": date(2099, 1, 1)}, "on", "不能晚于今天"),
    ({"memo": "  "}, "memo", "摘要"),
])
def test_a_fee_that_cannot_be_right_is_refused(xuzhou, manager, kwargs, field, message):
    args = {"kind": "assessment", "amount": D("10.00"), "on": date(2025, 3, 1), "memo": "评估费"} | kwargs
    with pytest.raises(ValidationError) as exc:
        post_fee(xuzhou, args["kind"], args["amount"], args["on"], args["memo"], manager)
    assert message in exc.value.message_dict[field][0]
    assert not Fee.objects.exists() and not Journal.objects.exists()


def test_a_fee_in_a_closed_month_is_refused_and_leaves_nothing(xuzhou, manager):
    periods.close("xuzhou", date(2025, 3, 1), manager)
    with pytest.raises(ValidationError) as exc:
        post_fee(xuzhou, "assessment", D("10.00"), date(2025, 3, 31), "评估费", manager)
    assert "已结账" in exc.value.message_dict["on"][0]
    assert not Fee.objects.exists()


# The finding: a fee of 1e9 was booked at once and the public report showed −999,914,119.62 yuan.

@pytest.fixture
def funded(xuzhou):
    income(xuzhou, date(2025, 1, 15), "85880.38")
    budgeted(xuzhou, **{"5201": "30000.00", "5202": "30000.00"})
    return xuzhou


@pytest.mark.parametrize("typed", ["1e9", "1000000000", "1,000,000,000.00", "1000000000.00"])
def test_the_fee_of_a_billion_is_refused_and_the_disclosure_stays_sane(funded, manager, typed):
    from ltci.fund.disclosure import disclosure

    with pytest.raises(ValidationError) as exc:
        post_fee(funded, "agency", typed, date(2025, 3, 1), "经办费", manager)
    assert "经办服务费" in exc.value.message_dict["amount"][0]
    assert not Fee.objects.exists() and not Request.objects.exists() and not Journal.objects.filter(kind="fee").exists()
    assert disclosure(funded, date(2025, 1, 1), date(2025, 3, 1)).closing == D("85880.38")


def test_a_fee_above_the_budget_names_the_figures(funded, manager):
    with pytest.raises(ValidationError) as exc:
        post_fee(funded, "agency", "30000.01", date(2025, 3, 1), "经办费", manager)
    assert exc.value.message_dict["amount"] == [
        "经办服务费 30,000.01 元超过2025年度预算余额 30,000.00 元（预算 30,000.00 元，已列支 0.00 元）"]


# Four eyes: above the region's threshold (platform default 10,000.00) a fee waits for a second person.

def test_a_fee_above_the_threshold_waits_and_is_paid_only_when_another_manager_approves(funded, manager,
                                                                                       second_manager):
    req = post_fee(funded, "agency", "12000.00", date(2025, 3, 1), "一季度经办费", manager, reference="JB-9")
    assert isinstance(req, Request) and req.status == RequestStatus.PENDING and req.amount == D("12000.00")
    assert "超过双人复核限额 10,000.00 元（平台默认值（本地区政策文件未作规定））" in req.reason
    assert not Fee.objects.exists() and ledger.account_balance("xuzhou", accounts.AGENCY_FEES) == D("0.00")
    # The same voucher again is the same request; another amount with it is refused.
    assert post_fee(funded, "agency", "12000.00", date(2025, 3, 1), "重试", manager, reference="JB-9").pk == req.pk
    with pytest.raises(ValidationError):
        post_fee(funded, "agency", "12500.00", date(2025, 3, 1), "重试", manager, reference="JB-9")
    # What waits counts against the budget: 18,000.01 more would not fit.
    with pytest.raises(ValidationError) as exc:
        post_fee(funded, "agency", "18000.01", date(2025, 3, 2), "另一笔", manager)
    assert "待复核 12,000.00 元" in exc.value.message_dict["amount"][0]
    with pytest.raises(dual.StepRefused, match="提交人以外"):
        dual.approve(req, manager)
    assert not Fee.objects.exists()
    dual.approve(req, second_manager, "已核对合同")
    fee = Fee.objects.get()
    assert (fee.amount, fee.recorded_by, fee.approved_by, fee.reference) == (D("12000.00"), manager, second_manager, "JB-9")
    assert ledger.account_balance("xuzhou", accounts.AGENCY_FEES) == D("12000.00")
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED and req.result_id == str(fee.pk)
    steps = [e.detail["step"] for e in AuditEvent.objects.filter(object_type="dualcontrol.request").order_by("id")]
    assert steps == ["submit", "approve"]
    assert post_fee(funded, "agency", "12000.00", date(2025, 3, 1), "重试", manager, reference="JB-9").pk == fee.pk


def test_at_the_threshold_one_person_suffices(funded, manager):
    fee = post_fee(funded, "assessment", "10000.00", date(2025, 3, 1), "评估费", manager)
    assert isinstance(fee, Fee) and fee.approved_by is None


def test_approval_checks_the_books_again(funded, manager, second_manager):
    req = post_fee(funded, "agency", "20000.00", date(2025, 3, 1), "经办费", manager)
    for month in (1, 2, 3):  # the month closed while the fee waited
        periods.close("xuzhou", date(2025, month, 1), manager)
    with pytest.raises(ValidationError) as exc:
        dual.approve(req, second_manager)
    assert "已结账" in exc.value.message_dict["on"][0]
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING and not Fee.objects.exists()
    dual.reject(req, second_manager, "所属月份已结账，请按新月份重新提交")
    req.refresh_from_db()
    assert req.status == RequestStatus.REJECTED and req.note.startswith("所属月份已结账")


def test_the_maker_withdraws_and_only_the_maker(funded, manager, second_manager):
    req = post_fee(funded, "agency", "15000.00", date(2025, 3, 1), "经办费", manager)
    with pytest.raises(dual.StepRefused, match="只有提交人"):
        dual.withdraw(req, second_manager)
    dual.withdraw(req, manager)
    req.refresh_from_db()
    assert req.status == RequestStatus.WITHDRAWN and not Fee.objects.exists()
    with pytest.raises(dual.StepRefused):
        dual.approve(req, second_manager)
    with pytest.raises(ValidationError) as exc:
        dual.reject(post_fee(funded, "agency", "15000.00", date(2025, 3, 1), "经办费", manager), second_manager, " ")
    assert "驳回理由" in exc.value.message_dict["reason"][0]
    steps = [e.detail["step"] for e in AuditEvent.objects.filter(object_type="dualcontrol.request").order_by("id")]
    assert steps == ["submit", "withdraw", "submit"]


def test_only_a_fund_manager_of_the_region_approves_a_fee(funded, manager, world_clerk, nanning):
    from django.core.exceptions import PermissionDenied

    from ltci.accounts.roles import Role
    from ltci.accounts.services import create_user

    req = post_fee(funded, "agency", "15000.00", date(2025, 3, 1), "经办费", manager)
    with pytest.raises(PermissionDenied):
        dual.approve(req, world_clerk)  # a clerk holds DUAL_CHECK but not LEDGER_MANAGE
    elsewhere = create_user(username="nn-fund-2", password=None, role=Role.BUREAU_ADMIN, region=nanning, full_name="南宁")
    with pytest.raises(PermissionDenied):
        dual.approve(req, elsewhere)
    assert not Fee.objects.exists()


@pytest.fixture
def world_clerk(xuzhou):
    from ltci.accounts.roles import Role
    from ltci.accounts.services import create_user

    return create_user(username="xz-clerk", password=None, role=Role.CLERK, region=xuzhou, full_name="经办")
