"""The bureau administrator projects the fund ten years ahead with a draft policy beside the current
one, by links: the draft edited from the current parameter file, the charts drawn, the workbook
downloaded; the supervisor reads it."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import nav, screenshot

pytestmark = pytest.mark.browser


def test_the_bureau_tries_a_draft_in_a_ten_year_projection(as_role):
    page = as_role("bureau_admin")
    nav(page, "基金收支预测")
    expect(page.get_by_role("heading", level=1)).to_contain_text("基金收支预测")
    page.get_by_role("link", name="以现行政策参数为底稿编辑").click()
    draft = page.get_by_label("或直接编辑参数")
    text = draft.input_value()
    assert 'individual = { value = "20.00"' in text
    draft.fill(text.replace('individual = { value = "20.00"', 'individual = { value = "120.00"'))
    page.get_by_label("草案名称").fill("个人缴费每年提高100元")
    page.get_by_label("预测年数").fill("10")
    page.get_by_label(re.compile("随机模拟次数")).fill("200")
    page.get_by_role("button", name="开始测算").click()

    expect(page.locator("#verdict")).to_contain_text("政策草案“个人缴费每年提高100元”", timeout=60_000)
    for chart in ("chart-balance", "chart-cover", "chart-flows", "chart-people"):
        expect(page.locator(f"#{chart}")).to_have_attribute("data-drawn", "1")
    expect(page.locator("#compare tbody tr")).to_have_count(10)
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    url = page.url

    supervisor = as_role("supervisor", phone=True)
    nav(supervisor, "基金收支预测")
    expect(supervisor.get_by_role("heading", name="新建测算")).to_have_count(0)
    supervisor.locator("main table tbody tr").first.get_by_role("link").first.click()
    assert supervisor.url == url
    expect(supervisor.locator("#verdict")).to_contain_text("现行政策")
    screenshot(supervisor, "projection-supervisor")
