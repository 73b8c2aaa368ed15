"""A clerk registers one person at the counter, by clicking from the person list, on a phone-sized screen too."""

from datetime import date

import pytest
from playwright.sync_api import expect

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.enrolment.idcard import make_id_number
from ltci.enrolment.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def clerk(transactional_db):
    from ltci.regions.models import Region

    return create_user(username="xz-clerk", password=PASSWORD, role=Role.CLERK,
                       region=Region.objects.get(pk="xuzhou"), full_name="张伟")


def test_register_a_person_at_the_counter(page, live_server, clerk):
    number = make_id_number("320311", date(1950, 3, 5), 21, "F")  # a place code newer than 1950: a warning
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名").fill("xz-clerk")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.get_by_role("navigation", name="导航").get_by_role("link", name="参保人").click()
    page.get_by_role("link", name="参保登记", exact=True).click()
    expect(page.locator("h1")).to_have_text("参保登记")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("证件号码", exact=True).fill(number)
    page.get_by_label("姓名", exact=True).fill("周秀英")
    page.get_by_label("联系电话", exact=True).fill("138000011")  # two digits short
    page.get_by_label("区县", exact=True).select_option("泉山区")
    page.get_by_label("居住地址", exact=True).fill("解放南路2号")
    page.get_by_label("险种", exact=True).select_option(label="职工医保")
    page.get_by_label("人员类别", exact=True).select_option(label="退休人员")
    page.get_by_label("参保日期", exact=True).fill("2024-01-01")
    page.get_by_role("button", name="登记").click()

    expect(page.locator("#e-phone")).to_have_text("联系电话应为11位手机号或带区号的固定电话")
    expect(page.get_by_label("姓名", exact=True)).to_have_value("周秀英")
    expect(page.get_by_label("证件号码", exact=True)).to_have_value(number)
    expect(page.get_by_label("参保日期", exact=True)).to_have_value("2024-01-01")
    expect(page.get_by_label("人员类别", exact=True)).to_have_value("retired")
    expect(page.get_by_label("区县", exact=True)).to_have_value("泉山区")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("联系电话", exact=True).fill("13800001111")
    page.get_by_role("button", name="登记").click()

    expect(page.locator("#warnings")).to_contain_text("地址码 320311")
    assert not Person.objects.filter(id_number=number).exists()
    page.get_by_role("button", name="已核对，确认登记").click()

    expect(page.locator("h1")).to_have_text("周秀英")
    expect(page.locator(".messages")).to_contain_text("已登记参保人 周秀英，参保登记：职工医保 退休人员 2024-01-01起")
    assert Person.objects.get(id_number=number).district == "泉山区"
