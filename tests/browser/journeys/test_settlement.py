"""A month's settlement to the bank and back, each step by its own clerk, by links: the clerk settles
the month and submits a claim's lines, a second clerk approves them, a third makes the payment batch
(after the question), downloads the bank file and records a transfer the bank sent back, which is
then owed again."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ltci.settlement import review
from ltci.settlement.models import Claim, PaymentReturn

from .conftest import nav

pytestmark = pytest.mark.browser


def test_a_month_is_settled_reviewed_paid_and_a_returned_transfer_owed_again(as_role, demo, live_server):
    claim = next(c for c in Claim.objects.filter(region_id=demo, payee_kind="institution").order_by("-month", "id")
                 if review.waiting(c).exists() and not c.approvals.exists())
    month = f"{claim.month:%Y-%m}"

    clerk = as_role("clerk")
    nav(clerk, "待遇结算")
    clerk.get_by_label("结算月份").fill(month)
    clerk.get_by_role("button", name="执行结算").click()
    expect(clerk.locator("main")).to_contain_text("已完成", timeout=30_000)
    nav(clerk, "待遇结算")
    clerk.get_by_role("link", name=claim.number).click()
    clerk.get_by_role("button", name=re.compile("初审：提交")).click()
    expect(clerk.locator("main")).to_contain_text("已初审")

    approver = as_role("clerk.approver")
    nav(approver, "待遇结算")
    approver.get_by_role("link", name=claim.number).click()
    approver.get_by_role("button", name="复核通过").click()
    confirm = approver.locator("#confirm-summary")
    if confirm.count():
        confirm.get_by_role("button").click()
    expect(approver.locator(".messages")).to_contain_text("复核通过")

    # The institution's new account, put up by the payer, is checked by another clerk first.
    nav(clerk, "双人复核")
    waiting = clerk.locator("#pending tbody tr").filter(has_text="收款账户").first
    waiting.get_by_role("button", name=re.compile("查看完整账号")).click()
    expect(waiting).to_contain_text("完整账号：")
    waiting.get_by_label("已核对，确认生效").check()
    waiting.get_by_role("button", name="复核通过").click()
    expect(clerk.locator(".messages")).to_contain_text("已复核通过")

    payer = as_role("clerk.payer")
    nav(payer, "待遇结算")
    payer.get_by_role("link", name="应付待遇与拨付").click()
    expect(payer.locator("main")).to_contain_text(claim.institution.name)
    payer.get_by_role("button", name=re.compile("生成支付批次")).click()
    print(payer.locator("main").inner_text()[:1500])
    summary = payer.locator("#confirm-summary")
    expect(summary).to_contain_text(claim.institution.name)
    summary.get_by_role("button", name=re.compile("确认拨付")).click()
    expect(payer.locator(".messages")).to_contain_text("已生成支付批次")
    payer.locator("main table").last.get_by_role("link").first.click()
    expect(payer.get_by_role("heading", level=1)).to_contain_text("支付批次")
    file = payer.get_by_role("link", name="下载银行文件（CSV）")
    response = payer.request.get(live_server.url + file.get_attribute("href"))
    assert response.status == 200 and "收款账号" in response.body().decode("utf-8-sig")

    row = payer.locator("main table tbody tr").first
    payee = row.locator("td").first.inner_text()
    row.get_by_text("登记银行退回").click()
    row.get_by_label("退回原因").fill("收款账户已销户")
    row.get_by_label("退回日期").fill(f"{timezone.localdate():%Y-%m-%d}")
    row.get_by_role("button", name="登记退回").click()
    payer.locator("#confirm-summary").get_by_role("button", name=re.compile("确认退回")).click()
    expect(payer.locator(".messages")).to_contain_text("已登记银行退回")
    expect(payer.locator("main")).to_contain_text("银行已于")
    payer.get_by_role("link", name="返回应付待遇与拨付").click()
    owed = payer.locator("main table").first
    expect(owed).to_contain_text(payee)
    assert PaymentReturn.objects.count() == 1
