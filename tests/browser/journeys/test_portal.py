"""The insured on a phone: from 我的长护险 to the application's progress, an objection to the
published conclusion, the care and the month's benefit; every page fits the screen."""

import pytest
from playwright.sync_api import expect

from ltci.assessment.models import Objection

from .conftest import nav, screenshot

pytestmark = pytest.mark.browser


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def test_the_insured_follows_the_application_objects_and_reads_the_benefit(as_role):
    page = as_role("insured", phone=True)
    nav(page, "我的长护险")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    fits(page)
    page.get_by_role("link", name="查看办理进度").click()
    expect(page.locator("main")).to_contain_text("公示")
    fits(page)
    objection = page.locator("form").filter(has_text="异议")
    if objection.count():  # the conclusion is in its publicity: the insured may object once
        objection.get_by_role("textbox").first.fill("母亲夜间需要两人照护，等级偏低，申请复核")
        objection.get_by_role("button").first.click()
        expect(page.locator(".messages")).to_contain_text("异议")
        assert Objection.objects.filter(reason__contains="等级偏低").exists()
    fits(page)
    nav(page, "我的长护险")
    page.get_by_role("navigation", name="参保人服务").get_by_role("link", name="护理服务与评价").click()
    fits(page)
    nav(page, "我的长护险")
    page.get_by_role("navigation", name="参保人服务").get_by_role("link", name="待遇结算").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("待遇")
    fits(page)
    screenshot(page, "insured-benefits")
