"""Billing through the batch engine: one bill per person and period, adjustments, never an edit."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ltci.audit.models import Action, AuditEvent
from ltci.contributions.billing import start_billing
from ltci.contributions.models import Bill, BillKind
from ltci.core.models import IssueKind, JobStatus
from ltci.enrolment.models import Enrolment
from ltci.regions.models import Region


def bills(person):
    return [(b.period, b.kind, b.individual, b.medical_fund, b.fiscal, b.total, b.due_date)
            for b in Bill.objects.filter(person=person).order_by("id")]


def test_a_yearly_region_bills_everyone_of_the_year_with_subsidies_and_joiners_in_their_month(enrol):
    xuzhou = Region.objects.get(pk="xuzhou")
    old = enrol("xuzhou", 1, scheme="resident", birth=date(1940, 1, 1))  # resident aged ≥ 70: individual by fiscal
    worker = enrol("xuzhou", 2, category="in_service", birth=date(1980, 1, 1))
    joiner = enrol("xuzhou", 3, category="in_service", birth=date(1985, 1, 1), start=date(2025, 7, 15))
    aid = enrol("xuzhou", 4, scheme="resident", birth=date(1990, 1, 1), groups=["medical_aid"])
    job = start_billing(xuzhou, "2025")
    assert job.status == JobStatus.DONE and job.counts["original"] == 4
    d = Decimal
    assert bills(old) == [("2025", "original", d("0.00"), d("30.00"), d("40.00"), d("70.00"), date(2025, 1, 31))]
    assert bills(worker) == [("2025", "original", d("20.00"), d("30.00"), d("20.00"), d("70.00"), date(2025, 1, 31))]
    assert bills(joiner)[0][-1] == date(2025, 7, 31)  # new members pay in their month of joining
    assert bills(aid)[0][2:5] == (d("0.00"), d("30.00"), d("40.00"))
    assert AuditEvent.objects.filter(action=Action.BATCH, object_id=str(job.pk)).count() == 1


def test_re_running_a_period_is_a_no_op(enrol):
    enrol("jiaxing", 1, scheme="resident")
    jiaxing = Region.objects.get(pk="jiaxing")
    start_billing(jiaxing, "2023")
    again = start_billing(jiaxing, "2023")
    assert again.counts == {"people": 1, "original": 0, "adjustment": 0, "unchanged": 1, "skipped": 0, "excluded": 0}
    assert Bill.objects.count() == 1


def test_a_corrected_base_makes_an_adjustment_bill_never_an_edit(enrol):
    nanning = Region.objects.get(pk="nanning")
    person = enrol("nanning", 1, category="in_service", base="6000.00", start=date(2024, 1, 1))
    start_billing(nanning, "2025-03")
    original = Bill.objects.get()
    assert (original.individual, original.total) == (Decimal("9.00"), Decimal("18.00"))
    Enrolment.objects.filter(person=person).update(contribution_base=Decimal("8000.00"))
    job = start_billing(nanning, "2025-03")
    assert job.counts["adjustment"] == 1
    adjustment = Bill.objects.get(kind=BillKind.ADJUSTMENT)
    assert (adjustment.individual, adjustment.employer, adjustment.total) == (Decimal("3.00"), Decimal("3.00"),
                                                                              Decimal("6.00"))
    original.refresh_from_db()
    assert original.total == Decimal("18.00")  # untouched


def test_people_lacking_the_base_their_category_needs_are_reported_and_skipped(enrol):
    nanning = Region.objects.get(pk="nanning")
    enrol("nanning", 1, category="retired", pension=None, start=date(2024, 1, 1))
    enrol("nanning", 2, category="retired", pension="3000.00", start=date(2024, 1, 1))
    job = start_billing(nanning, "2025-01")
    assert job.counts["skipped"] == 1 and job.counts["original"] == 1
    [issue] = job.issues.filter(kind=IssueKind.REJECTED)
    assert issue.column == "pension" and "缺少上年度月养老金" in issue.reason


def test_a_period_of_the_wrong_kind_or_region_without_contributions_is_refused(db):
    with pytest.raises(ValidationError, match="按月缴费"):
        start_billing(Region.objects.get(pk="nanning"), "2025")
    with pytest.raises(ValidationError, match="按年缴费"):
        start_billing(Region.objects.get(pk="xuzhou"), "2025-03")
    with pytest.raises(ValidationError, match="上海市统一筹资"):
        start_billing(Region.objects.get(pk="changning"), "2020")
    with pytest.raises(ValidationError, match="2021-01-01早于徐州市长护险政策的施行日期（2022-01-01）"):
        start_billing(Region.objects.get(pk="xuzhou"), "2021")  # before the first version: nothing to carry on


def test_after_its_end_on_paper_a_version_bills_on_and_says_so(enrol):
    """docs/decisions/0021: Jiaxing's plan ended 2024-12-31; until a newer one starts it stays in force."""
    jiaxing = Region.objects.get(pk="jiaxing")
    person = enrol("jiaxing", 1, scheme="resident")
    within = start_billing(jiaxing, "2024")
    after = start_billing(jiaxing, "2026")
    assert after.status == JobStatus.DONE and after.counts["original"] == 1
    assert "延续执行（文件原定2024-12-31到期）" in after.message and "延续执行" not in within.message
    b2024, b2026 = Bill.objects.filter(person=person).order_by("period")
    assert (b2026.period, b2026.total, b2026.individual) == ("2026", b2024.total, b2024.individual)
    nanzheng = Region.objects.get(pk="nanzheng")  # ended 2022: billed under it too
    enrol("nanzheng", 2)
    assert start_billing(nanzheng, "2024").counts["original"] == 1


def test_ended_and_suspended_enrolments_are_not_billed(enrol):
    xuzhou = Region.objects.get(pk="xuzhou")
    gone = enrol("xuzhou", 1)
    Enrolment.objects.filter(person=gone).update(status="ended", end=date(2024, 12, 31))
    paused = enrol("xuzhou", 2)
    Enrolment.objects.filter(person=paused).update(status="suspended")
    assert start_billing(xuzhou, "2025").counts["people"] == 0


def test_work_injury_nursing_recipients_do_not_take_part_where_the_region_says_so(enrol):
    nanning = Region.objects.get(pk="nanning")
    enrol("nanning", 1, category="in_service", base="5000.00", start=date(2024, 1, 1), groups=["work_injury_care"])
    enrol("nanning", 2, category="in_service", base="5000.00", start=date(2024, 1, 1))
    job = start_billing(nanning, "2025-01")
    assert (job.counts["excluded"], job.counts["original"]) == (1, 1)
    assert "不参加长护险" in job.issues.get(kind=IssueKind.WARNING).reason
    xuzhou = Region.objects.get(pk="xuzhou")  # Xuzhou names no such exclusion
    enrol("xuzhou", 3, groups=["work_injury_care"])
    assert start_billing(xuzhou, "2025").counts["original"] == 1
