"""A clerk's day in the browser: import a roster, read the report, bill the year, take a payment."""

from datetime import date

import pytest
from playwright.sync_api import expect

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.contributions.models import Payment
from ltci.enrolment.idcard import make_id_number
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def clerk(transactional_db):
    from ltci.regions.models import Region

    return create_user(username="xz-clerk", password=PASSWORD, role=Role.CLERK,
                       region=Region.objects.get(pk="xuzhou"), full_name="张伟")


def test_import_bill_and_pay_in_the_browser(page, live_server, clerk, tmp_path):
    number = make_id_number("320311", date(1950, 3, 5), 21, "F")
    roster = tmp_path / "roster.csv"
    roster.write_text("证件号码,姓名,区县,险种,人员类别,参保日期\n"
                      f"{number},周秀英,泉山区,职工医保,退休人员,2023-01-01\n"
                      f"{number[:-1]}0,错号码,泉山区,职工医保,退休人员,2023-01-01\n", encoding="utf-8")
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名").fill("xz-clerk")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.get_by_role("navigation", name="导航").get_by_role("link", name="参保人").click()
    page.get_by_role("link", name="导入参保名单").click()
    page.set_input_files("#id_file", str(roster))
    page.get_by_label("宽松模式：导入正确的行，报告错误的行").check()
    page.get_by_role("button", name="开始导入").click()
    expect(page.locator("#job-progress")).to_contain_text("宽松模式：已导入正确的行，跳过 1 行错误")
    expect(page.locator("table")).to_contain_text("校验位")
    assert page.evaluate("document.querySelector('progress').value") == 100

    page.get_by_role("link", name="缴费核定").click()
    page.get_by_label("缴费期间").fill("2025")
    page.get_by_role("button", name="开始核定").click()
    expect(page.locator("#job-progress")).to_contain_text("新核定 1 人")

    page.goto(live_server.url + f"/persons/?q={number}")
    page.get_by_role("link", name="周秀英").click()
    expect(page.locator("body")).to_contain_text("2025年")
    form = page.locator("form[action$='/payments']")
    form.get_by_label("缴费期间").fill("2025")
    form.get_by_label("金额（元）").fill("20.00")
    form.get_by_label("流水号").fill("PA-1")
    form.get_by_label("到账日期").fill("2025-01-20")
    form.get_by_role("button", name="登记缴费").click()
    expect(page.locator(".messages")).to_contain_text("已登记")
    assert Payment.objects.get().amount == 20
    assert page.off_host_requests == []
