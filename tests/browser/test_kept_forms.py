"""A refused form keeps what was typed, also where the server answers a refusal by drawing the page
anew with the reason (core/keep.js): the auditor's rule setting with a bad figure comes back open,
with the reason typed and the figure to correct; a form accepted leaves nothing kept."""

import pytest
from playwright.sync_api import expect

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def auditor(transactional_db):
    from ltci.regions.models import Region

    region = Region.objects.get(pk="xuzhou")
    return create_user(username="xz-auditor", password=PASSWORD, role=Role.AUDITOR, region=region,
                       full_name="稽核员 周婷")


def test_a_refused_rule_setting_comes_back_with_what_was_typed(browser, live_server, auditor):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名").fill("xz-auditor")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="基金监管").click()
    page.get_by_role("link", name="疑点规则库").click()
    row = page.locator("#rule-visit_short")
    row.get_by_text("调整", exact=True).click()
    row.get_by_label("服务时长下限（占标准时长的比例）").fill("百分之九十")
    row.get_by_label("调整理由").fill("老城区道路拥堵，按九成计")
    row.get_by_role("button", name="保存设置").click()
    expect(page.locator(".messages .error")).to_contain_text("须为数字")
    row = page.locator("#rule-visit_short")
    expect(row.get_by_label("服务时长下限（占标准时长的比例）")).to_have_value("百分之九十")
    expect(row.get_by_label("调整理由")).to_have_value("老城区道路拥堵，按九成计")
    other = page.locator("#rule-checkin_far")
    other.get_by_text("调整", exact=True).click()
    expect(other.get_by_label("调整理由")).to_have_value("")  # another rule's form is its own
    row.get_by_label("服务时长下限（占标准时长的比例）").fill("0.9")
    row.get_by_role("button", name="保存设置").click()
    expect(page.locator(".messages")).to_contain_text("已保存")
    page.reload()
    page.locator("#rule-visit_short").get_by_text("调整", exact=True).click()
    expect(page.locator("#rule-visit_short").get_by_label("调整理由")).to_have_value("")
    context.close()
