"""The auditor searches the trail (a kind of record, then a user) and records a home check on a
phone, where the page takes the phone's location."""

import re

import pytest
from playwright.sync_api import expect

from ltci.supervision.models import Sample, SampleOutcome

from .conftest import nav, screenshot

pytestmark = pytest.mark.browser


def test_the_auditor_searches_the_trail_then_checks_a_visit_at_home(as_role, demo):
    page = as_role("auditor")
    nav(page, "审计日志")
    page.get_by_label("对象类型").select_option(label="参保人")
    page.get_by_role("button", name="查询").click()
    rows = page.locator("main table tbody tr")
    expect(rows.first).to_contain_text("参保人")
    page.get_by_label("对象类型").select_option(label="全部")
    page.get_by_label("操作人").fill(f"{demo}.clerk")
    page.get_by_role("button", name="查询").click()
    expect(rows.first).to_contain_text(f"{demo}.clerk")
    expect(page.locator("main")).not_to_contain_text("enrolment.")

    waiting = Sample.objects.filter(assigned_to__username=f"{demo}.auditor", outcome=SampleOutcome.PENDING).first()
    choice = waiting.visit.person.care_choices.order_by("-effective_from").first()
    here = {"latitude": float(choice.home_latitude or 34.26), "longitude": float(choice.home_longitude or 117.19)}
    phone = as_role("auditor", phone=True, geolocation=here, permissions=["geolocation"])
    nav(phone, "我的抽查任务")
    card = phone.locator(".sample").filter(has_text=waiting.visit.person.name).first
    card.get_by_label("核查方式").select_option("visit")
    card.get_by_label("核查结果").select_option("confirmed")
    card.get_by_label("核查记录").fill("入户见到本人及家属，确认当日服务项目")
    card.get_by_role("button", name="登记结果").click()
    expect(phone.locator(".messages")).to_contain_text(re.compile("已登记：.*服务属实"))
    screenshot(phone, "auditor-home-check")
    waiting.refresh_from_db()
    assert waiting.outcome == SampleOutcome.CONFIRMED and waiting.latitude is not None
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
