"""The fund over JSON and on its pages: each user sees their own region's books; only those who
manage the fund close periods, set budgets and pay fees."""

from datetime import date
from decimal import Decimal

import pytest

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.fund import periods
from ltci.fund.models import Budget, Fee, Period

from tests.confirming import confirmed_post

from .conftest import benefit, budgeted, income

D = Decimal


@pytest.fixture
def books(world):
    home, away = world["home"].region, world["away"].region
    income(home, date(2025, 1, 20), "1000.00")
    benefit(home, date(2025, 2, 28), "250.00", institution_id=world["home"].institution.pk)
    income(away, date(2025, 1, 20), "777.77")
    return world


def test_balances_and_trial_balance_of_the_users_region(books, client_for):
    client = client_for(books["home"].users[Role.SUPERVISOR])
    body = client.get("/api/fund/balances?on=2025-12-31").json()
    assert body["region"] == "xuzhou" and body["trial_balance"]["balanced"] and body["fund_balance"] == "750.00"
    rows = {(a["account"], a["party"]): a for a in body["accounts"]}
    assert rows[("1002", "")]["balance"] == "1000.00"
    payable = rows[("2201", f"institution:{books['home'].institution.pk}")]
    assert payable["balance"] == "250.00" and payable["party_name"] == books["home"].institution.name
    assert client.get("/api/fund/balances?on=2025-01-31").json()["fund_balance"] == "1000.00"


def test_journals_are_paged_with_their_postings_and_only_the_users_region(books, client_for):
    client = client_for(books["home"].users[Role.AUDITOR])
    body = client.get("/api/fund/journals?limit=1").json()
    assert body["count"] == 2 and len(body["items"]) == 1
    first = body["items"][0]
    assert first["posted_on"] == "2025-02-28" and {p["name"] for p in first["postings"]} == {
        "待遇支出—机构护理服务", "应付待遇—定点机构"}
    everything = client.get("/api/fund/journals?limit=50").json()["items"]
    assert "777.77" not in str(everything)
    assert client.get("/api/fund/journals?start=2025-02-01").json()["count"] == 1


def test_periods_close_through_the_api_by_those_who_manage_the_fund(books, client_for):
    admin = client_for(books["home"].users[Role.BUREAU_ADMIN])
    clerk = client_for(books["home"].users[Role.CLERK])
    assert clerk.post("/api/fund/periods/close", {"month": "2025-01"}, content_type="application/json").status_code == 403
    response = admin.post("/api/fund/periods/close", {"month": "2025-02"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "month" and "请先结账2025年1月" in response.json()["message"]
    response = admin.post("/api/fund/periods/close", {"month": "2025-01"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["closed"] and response.json()["journals"] == 1
    listed = {p["month"]: p for p in clerk.get("/api/fund/periods").json()}
    assert listed["2025-01"]["closed"] and listed["2025-01"]["closed_by"] == books["home"].users[Role.BUREAU_ADMIN].username
    assert not listed["2025-02"]["closed"]
    assert not Period.objects.filter(region_id="nanning").exists()


def test_budget_set_and_read_back_with_actuals(books, client_for):
    admin = client_for(books["home"].users[Role.BUREAU_ADMIN])
    response = admin.put("/api/fund/budget", {"year": 2025, "lines": {"4101": "4000.00", "5101": "1000"}},
                         content_type="application/json")
    assert response.status_code == 200
    body = client_for(books["home"].users[Role.CLERK]).get("/api/fund/budget?year=2025").json()
    line = next(r for r in body["income"] if r["account"] == "4101")
    assert line["budget"] == "4000.00" and line["actual"] == "1000.00" and line["rate"] == "25.0"
    assert body["agency_fee_cap"] is None
    bad = admin.put("/api/fund/budget", {"year": 2025, "lines": {"1002": "1.00"}}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "lines"
    assert Budget.objects.filter(region_id="xuzhou").count() == 2


def test_fees_through_the_api_with_nanning_cap(world, client_for):
    away = world["away"]
    income(away.region, date(2025, 1, 20), "2000.00", "employer")
    budgeted(away.region, **{"5202": "1000.00"})
    admin = client_for(away.users[Role.BUREAU_ADMIN])
    fee = {"kind": "agency", "amount": "60.00", "on": "2025-03-01", "memo": "经办费", "reference": "JB-1"}
    first = admin.post("/api/fund/fees", fee, content_type="application/json")
    assert first.status_code == 201 and first.json()["amount"] == "60.00"
    assert admin.post("/api/fund/fees", fee, content_type="application/json").status_code == 200
    over = admin.post("/api/fund/fees", fee | {"amount": "40.01", "reference": "JB-2"}, content_type="application/json")
    assert over.status_code == 422 and over.json()["field"] == "amount" and "尚可列支 40.00 元" in over.json()["message"]
    cap = admin.get("/api/fund/budget?year=2025").json()["agency_fee_cap"]
    assert cap["limit"] == "100.00" and cap["left"] == "40.00" and cap["clause"] == "nanning 三(六)"
    assert [f["reference"] for f in admin.get("/api/fund/fees").json()["items"]] == ["JB-1"]
    assert Fee.objects.filter(region_id="xuzhou").count() == 0


def test_cover_ratio_and_disclosure_over_json(books, client_for):
    clerk = client_for(books["home"].users[Role.CLERK])
    c = clerk.get("/api/fund/cover-ratio?on=2025-03-31").json()
    assert c["bank"] == "1000.00" and c["average"] == "250.00" and c["ratio"] == "4.0" and c["warning"]
    insured = client_for(books["home"].users[Role.INSURED])
    d = insured.get("/api/fund/disclosure?start=2025-01&end=2025-02").json()
    assert d["income_total"] == "1000.00" and d["expenditure_total"] == "250.00" and d["closing"] == "750.00"
    assert d["open_months"] == ["2025年1月", "2025年2月"]
    bad = insured.get("/api/fund/disclosure?start=2025-1x&end=2025-02")
    assert bad.status_code == 422 and bad.json()["field"] == "start"
    pdf = insured.get("/api/fund/disclosure/pdf?start=2025-01&end=2025-02")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert insured.get("/api/fund/balances").status_code == 403


def test_the_platform_administrator_reads_no_books(books, client):
    """The fund's books are the regions' (docs/decisions/0015): he sees its totals in the cockpit only."""
    root = create_user(username="root", password=None, role="", full_name="平台管理员", is_superuser=True,
                       is_staff=True)
    client.force_login(root)
    for url in ("/api/fund/balances?region=nanning", "/api/fund/journals?region=nanning", "/fund/?region=nanning",
                "/fund/journals/?region=nanning", "/fund/disclosure/?region=nanning"):
        response = client.get(url)
        assert response.status_code == 403 and b"777.77" not in response.content, url
    fee = {"kind": "assessment", "amount": "10.00", "on": "2025-03-01", "memo": "评估费", "region": "nanning"}
    assert client.post("/api/fund/fees", fee, content_type="application/json").status_code == 403
    assert client.post("/fund/fees", fee).status_code == 403
    assert not Fee.objects.exists()


def test_the_ledger_page_shows_the_books_and_forms_only_to_managers(books, client_for):
    admin = client_for(books["home"].users[Role.BUREAU_ADMIN])
    page = admin.get("/fund/?on=2025-12-31&year=2025").content.decode()
    for words in ("基金账 · 徐州市", "基金保障能力", "可支付 4.0 个月", "预警：基金可支付月数低于 6 个月", "科目余额",
                  "试算平衡表", "借贷平衡", "会计期间", "2025年1月", "预算执行", "经办与评估费用",
                  "本地区政策未规定经办服务费上限", books["home"].institution.name):
        assert words in page, words
    assert 'name="line_4101"' in page and 'action="/fund/fees"' in page
    # Months close in order: the button is on January only, the month to close next.
    assert page.count('action="/fund/periods/close"') == 1 and 'name="month" value="2025-01"' in page
    auditor = client_for(books["home"].users[Role.AUDITOR]).get("/fund/?on=2025-12-31").content.decode()
    assert "科目余额" in auditor and "/fund/periods/close" not in auditor and 'name="line_4101"' not in auditor
    assert "777.77" not in page


def test_managers_close_set_and_pay_from_the_page(books, client_for):
    admin = client_for(books["home"].users[Role.BUREAU_ADMIN])
    asked = admin.post("/fund/periods/close", {"month": "2025-01"}).content.decode()
    assert "确认结账2025年1月" in asked and "1 张" in asked and "1,000.00 元" in asked and "不能反结账" in asked
    assert not periods.is_closed("xuzhou", date(2025, 1, 1))  # asked, nothing closed
    response = confirmed_post(admin, "/fund/periods/close", {"month": "2025-01"}, follow=True)
    assert "2025年1月已结账" in response.content.decode() and periods.is_closed("xuzhou", date(2025, 1, 1))
    response = admin.post("/fund/periods/close", {"month": "2025-01"}, follow=True)
    assert "已结账（已结账至2025年1月）" in response.content.decode()
    response = admin.post("/fund/budget", {"year": "2025", "line_4101": "3000", "line_5101": "", "line_5201": "100"},
                          follow=True)
    assert "2025年预算已保存，2 个科目有变动" in response.content.decode()
    assert Budget.objects.get(region_id="xuzhou", account="4101").amount == D("3000.00")
    response = admin.post("/fund/budget", {"year": "2025", "line_4101": "abc"}, follow=True)
    assert "缴费收入—个人缴费预算金额应为金额数字" in response.content.decode()
    response = confirmed_post(admin, "/fund/fees", {"kind": "assessment", "amount": "12.50", "on": "2025-03-03",
                                                    "memo": "评估费"}, follow=True)
    assert "已记账" in response.content.decode() and Fee.objects.get().amount == D("12.50")
    response = admin.post("/fund/fees", {"kind": "assessment", "amount": "12.50", "on": "2025-01-03", "memo": "评估费"},
                          follow=True)
    assert "已结账" in response.content.decode() and Fee.objects.count() == 1


def test_the_journal_and_disclosure_pages(books, client_for):
    auditor = client_for(books["home"].users[Role.AUDITOR])
    page = auditor.get("/fund/journals/?month=2025-02").content.decode()
    assert "共 1 张凭证" in page and "待遇支出—机构护理服务" in page and "250.00" in page
    insured = client_for(books["home"].users[Role.INSURED])
    page = insured.get("/fund/disclosure/?start=2025-01&end=2025-02").content.decode()
    assert "徐州市长期护理保险基金收支情况公示（2025年1月至2025年2月）" in page and "750.00" in page
    assert "/fund/disclosure.pdf?start=2025-01&end=2025-02" in page
    bad = insured.get("/fund/disclosure/?start=2025-03&end=2025-02")
    assert bad.status_code == 422 and "结束月份不能早于开始月份" in bad.content.decode()
    pdf = insured.get("/fund/disclosure.pdf?start=2025-01&end=2025-02")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("role, ledger, disclosure", [
    (Role.BUREAU_ADMIN, True, True), (Role.CLERK, True, True), (Role.AUDITOR, True, True),
    (Role.SUPERVISOR, True, True), (Role.INSTITUTION_ADMIN, False, True), (Role.INSURED, False, True),
    (Role.CARER, False, False), (Role.ASSESSOR, False, False),
])
def test_the_navigation_shows_the_fund_to_the_roles_that_may_use_it(world, client_for, role, ledger, disclosure):
    home = client_for(world["home"].users[role]).get("/").content.decode()
    assert ('href="/fund/"' in home) is ledger and ("基金收支公示" in home) is disclosure
