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
    form = page.locator("#project")
    draft = form.get_by_label("或直接编辑参数")
    text = draft.input_value()
    assert 'individual = { value = "20.00"' in text
    draft.fill(text.replace('individual = { value = "20.00"', 'individual = { value = "120.00"'))
    form.get_by_label("草案名称").fill("个人缴费每年提高100元")
    form.get_by_label("预测年数").fill("10")
    form.get_by_label(re.compile("随机模拟次数")).fill("200")
    form.get_by_role("button", name="开始测算").click()

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


def test_the_bureau_replays_a_settled_month_under_a_draft(as_role):
    from django.db.models import Max

    from ltci.settlement.models import Line

    month = Line.objects.filter(claim__region_id="xuzhou").aggregate(m=Max("service_month"))["m"]
    page = as_role("bureau_admin")
    nav(page, "基金收支预测")
    page.get_by_role("link", name="以现行政策参数为底稿编辑").click()
    trial = page.locator("#trial")
    draft = trial.get_by_label("或直接编辑参数")
    draft.fill(draft.input_value().replace('share = { value = "0.70"', 'share = { value = "0.60"'))
    trial.get_by_label("按草案重算已结算月份的待遇").check()
    trial.get_by_label("月份或缴费期间").fill(f"{month:%Y-%m}")
    trial.get_by_label("草案名称").fill("居家护理支付比例降为六成")
    trial.get_by_role("button", name="开始试算").click()
    expect(page.locator("#totals")).to_contain_text("基金支付：已结算", timeout=60_000)
    expect(page.locator("#totals")).to_contain_text("差额 -")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载对比（Excel）").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.get_by_role("link", name="返回基金收支预测").click()
    expect(page.locator("main")).to_contain_text("居家护理支付比例降为六成")
