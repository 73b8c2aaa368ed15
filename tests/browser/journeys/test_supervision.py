"""Screening to recovery, by links: the auditor screens a month and opens a case on a finding, finds it
true with evidence; a clerk of the agency takes the fund back (after the question)."""

import re

import pytest
from playwright.sync_api import expect

from ltci.accounts.models import User
from ltci.settlement.models import ApprovalStatus, Line
from ltci.supervision.models import Case, Hit, HitStatus, SanctionKind

from .conftest import nav

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _recoverable_hit(region: str) -> Hit:
    """A new finding whose records the fund paid (a recovery has something to take back)."""
    for hit in Hit.objects.filter(region_id=region, status=HitStatus.NEW, institution__isnull=False).order_by("month"):
        lines = Line.objects.filter(claim__region_id=region, claim__institution_id=hit.institution_id,
                                    service_month=hit.month, fund__gt=0,
                                    approval__status__in=[ApprovalStatus.APPROVED, ApprovalStatus.PAID])
        if hit.person_id:
            lines = lines.filter(person_id=hit.person_id)
        if lines.exists():
            return hit
    pytest.fail("the demo has no new finding on paid records")


def test_a_finding_becomes_a_case_found_true_and_the_fund_is_taken_back(as_role, demo, tmp_path):
    evidence = tmp_path / "回访记录.pdf"
    evidence.write_bytes(PDF)
    auditor = as_role("auditor")
    nav(auditor, "基金监管")
    auditor.get_by_role("button", name="执行筛查").click()
    expect(auditor.locator("main")).to_contain_text("已完成", timeout=30_000)

    hit = _recoverable_hit(demo)
    nav(auditor, "基金监管")
    auditor.get_by_role("link", name="疑点明细").click()
    auditor.get_by_label("月份").fill(f"{hit.month:%Y-%m}")
    auditor.get_by_label("状态").select_option(label="待处理")
    auditor.get_by_label("定点机构").select_option(label=hit.institution.name)  # a page holds 20 of the month
    auditor.get_by_role("button", name="筛选").click()
    auditor.get_by_label(f"选择疑点{hit.pk}").check()
    me = User.objects.get(username=f"{demo}.auditor")
    auditor.get_by_label("承办稽核人员").select_option(label=me.get_full_name())
    auditor.get_by_role("button", name="立案").click()
    case = Case.objects.get(hits=hit)
    expect(auditor.locator("h1")).to_contain_text(case.number)
    assert case.assigned_to == me
    auditor.get_by_label(re.compile("调查结论")).fill("回访本人及家属，当日护理员未按计划完成服务，记录不实")
    auditor.set_input_files("input[name=evidence]", str(evidence))
    auditor.get_by_role("button", name="查实", exact=True).click()
    expect(auditor.locator("main")).to_contain_text("已查实")

    clerk = as_role("clerk")
    nav(clerk, "稽核案件")
    clerk.get_by_role("link", name=case.number).click()
    clerk.get_by_label("处理方式").select_option(label="追回基金")
    clerk.get_by_label("处理依据").fill("服务协议第十二条：虚记服务的费用予以追回")
    clerk.get_by_role("button", name=re.compile("核对后作出处理")).click()
    summary = clerk.locator("#confirm-summary")
    expect(summary).to_contain_text("追回")
    summary.get_by_role("button").first.click()
    expect(clerk.locator(".messages")).to_contain_text("处理决定已执行")
    assert case.sanctions.filter(kind=SanctionKind.RECOVERY).exists()
    assert Line.objects.filter(kind="recovery", fund__lt=0).exists()
