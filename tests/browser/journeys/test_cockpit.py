"""The bureau administrator drills down from the cockpit's figures to the lists behind them."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import nav

pytestmark = pytest.mark.browser


def test_the_bureau_drills_from_the_cockpit_to_the_lists_behind_its_figures(as_role):
    page = as_role("bureau_admin")
    nav(page, "驾驶舱")
    expect(page.get_by_role("heading", level=1)).to_contain_text("驾驶舱")
    insured = page.locator("#kpi-insured .big a")
    total = int(insured.inner_text().replace(",", ""))
    assert total >= 60
    insured.click()
    expect(page).to_have_url(re.compile(r"/persons/"))
    expect(page.locator("main table tbody tr").first).to_be_visible()

    page.go_back()
    page.locator("#kpi-supervision .big a").click()
    expect(page).to_have_url(re.compile(r"/supervision/hits/"))
    expect(page.locator("main table tbody tr").first).to_be_visible()
    page.locator("main table tbody tr").first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("疑点")

    nav(page, "驾驶舱")
    page.locator("#kpi-providers .big a").click()
    expect(page).to_have_url(re.compile(r"/institutions/"))
    page.locator("main table tbody tr").first.get_by_role("link").first.click()
    expect(page.locator("main")).to_contain_text("协议")  # the institution's page with its agreement
    nav(page, "驾驶舱")
    page.locator("#kpi-fund .big a").click()
    expect(page.locator("main")).to_contain_text("基金")
