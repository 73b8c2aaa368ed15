"""The month-end run: what it pays, what it leaves out and why, and what a re-run books."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from ltci.accounts.roles import Role
from ltci.care.models import CareChoice, Stay
from ltci.contributions.models import Bill, Payment
from ltci.core.models import Job, JobIssue, JobKind
from ltci.fund.models import Period
from ltci.providers.models import CarerSuspension
from ltci.settlement import run
from ltci.settlement.models import Claim, Line, LineKind

from .conftest import MARCH, TODAY, event, visit, visiting

pytestmark = pytest.mark.django_db


def settle(w, month="2025-03"):
    return run.start_settlement(w.region, month, user=w.users[Role.CLERK], today=TODAY)


def test_a_month_in_an_institution_is_paid_per_bed_day_with_the_group_bonus(home):
    job = settle(home)
    line = Line.objects.get()
    # Xuzhou 五(三)1: living care 60 a bed-day at 70 %, +5 points for the severe-disability group.
    assert (line.fund, line.personal, line.cost) == (Decimal("1395.00"), Decimal("465.00"), Decimal("1860.00"))
    assert line.units["bed_days"] == 31 and line.eligible_days == 31 and line.kind == LineKind.REGULAR
    assert line.claim.institution == home.institution and line.claim.month == MARCH
    assert "60元 × 31天 × 75%" in line.explanation[0]["what"] and "五(三)1" in line.explanation[0]["clause"]
    assert job.counts["lines"] == 1 and job.status == "done"


def test_rerunning_an_unchanged_month_books_nothing(home):
    settle(home)
    again = settle(home)
    assert Line.objects.count() == 1
    assert again.counts["lines"] == 0 and "未新增" in again.message


def test_hospital_days_are_not_paid(home):
    event(home, "hospital_admission", date(2025, 3, 5))
    event(home, "hospital_discharge", date(2025, 3, 9))
    settle(home)
    line = Line.objects.get()
    # P3: suspended from the day after admission to the day of discharge: 6–9 March.
    assert line.eligible_days == 27 and line.units["bed_days"] == 27 and line.units["suspended_days"] == 4
    assert line.fund == Decimal("1215.00")
    assert "住院暂停4天" in line.explanation[0]["what"]


def test_a_late_record_in_an_open_month_books_the_difference_there(home):
    settle(home)
    event(home, "hospital_admission", date(2025, 3, 5))
    event(home, "hospital_discharge", date(2025, 3, 9))
    settle(home)
    first, adjustment = Line.objects.order_by("id")
    assert first.fund == Decimal("1395.00")  # never edited
    assert adjustment.kind == LineKind.ADJUSTMENT and adjustment.claim_id == first.claim_id
    assert (adjustment.fund, adjustment.personal) == (Decimal("-180.00"), Decimal("-60.00"))
    assert adjustment.cost == adjustment.fund + adjustment.personal


def test_after_closing_the_difference_goes_to_the_first_open_month(home):
    settle(home)
    Period.objects.create(region=home.region, month=MARCH, closed_at=timezone.now())
    event(home, "death", date(2025, 3, 20))
    job = settle(home)
    march = Claim.objects.get(month=MARCH)
    assert march.lines.count() == 1
    late = Line.objects.exclude(claim=march).get()
    assert late.claim.month == date(2025, 4, 1) and late.service_month == MARCH
    # Death on the 20th: benefits end the day after; 11 bed-days × 60 × 75 % come back.
    assert late.fund == Decimal("-495.00") and late.kind == LineKind.ADJUSTMENT
    assert "记入2025年04月" in job.message


def test_death_ends_benefits_the_day_after(home):
    event(home, "death", date(2025, 3, 20))
    settle(home)
    line = Line.objects.get()
    assert (line.eligible_days, line.part_to, line.fund) == (20, date(2025, 3, 20), Decimal("900.00"))


def test_a_change_of_mode_settles_each_part_once(home):
    inst, carer = visiting(home)
    Stay.objects.filter(person=home.person).update(discharged_on=date(2025, 3, 16))
    CareChoice.objects.create(region=home.region, person=home.person, mode="home_visit", institution=inst,
                              effective_from=date(2025, 3, 16), created_by=home.users[Role.CLERK])
    for day in (3, 17, 20):  # the 3rd falls in the institutional part: not paid to the visiting institution
        visit(home, inst, carer, date(2025, 3, day))
    settle(home)
    institutional, at_home = Line.objects.order_by("part_from")
    assert (institutional.mode, institutional.part_from, institutional.part_to) == (
        "institution_care", date(2025, 3, 1), date(2025, 3, 15))
    assert institutional.units["bed_days"] == 15 and institutional.fund == Decimal("675.00")
    assert (at_home.mode, at_home.part_from, at_home.part_to, at_home.units["visits"]) == (
        "home_visit", date(2025, 3, 16), date(2025, 3, 31), 2)
    # The package (severe 900 a month) prorated: 900 × 16 / 31.
    assert at_home.fund == Decimal("464.52") and at_home.claim.institution == inst
    assert institutional.eligible_days + at_home.eligible_days == 31


def test_a_month_in_arrears_is_not_paid(home):
    job = Job.objects.create(kind=JobKind.BILLING, region=home.region, title="2025")
    Bill.objects.create(region=home.region, person=home.person, period="2025", due_date=date(2025, 1, 31),
                        individual=20, medical_fund=30, fiscal=20, total=70, job=job)
    settle(home)
    assert not Line.objects.exists()
    Payment.objects.create(region=home.region, person=home.person, period="2025", payer="individual",
                           channel="tax", amount=70, reference="P1", paid_on=date(2025, 4, 2))
    settle(home)
    assert Line.objects.get().fund == Decimal("1395.00")


def test_a_part_without_care_recorded_pays_nothing_and_says_why(home):
    inst, _carer = visiting(home)
    CareChoice.objects.create(region=home.region, person=home.person, mode="home_visit", institution=inst,
                              effective_from=date(2025, 3, 1), created_by=home.users[Role.CLERK])
    job = settle(home)
    assert not Line.objects.exists()
    issue = JobIssue.objects.get(job=job)
    assert issue.person == home.person and "无上门服务记录" in issue.reason


def test_visits_of_a_carer_whose_settlement_is_suspended_are_not_paid(home):
    inst, carer = visiting(home)
    CareChoice.objects.create(region=home.region, person=home.person, mode="home_visit", institution=inst,
                              effective_from=date(2025, 3, 1), created_by=home.users[Role.CLERK])
    visit(home, inst, carer, date(2025, 3, 3))
    visit(home, inst, carer, date(2025, 3, 20))
    CarerSuspension.objects.create(carer=carer, start=date(2025, 3, 15), end=date(2025, 6, 14), reason="诱导重复评估",
                                   created_by=home.users[Role.CLERK])
    settle(home)
    assert Line.objects.get().units["visits"] == 1


def test_a_late_visit_is_paid_only_once_the_agency_accepts_it_and_a_reversal_takes_it_back(home):
    """Xuzhou's home package is paid for a month with a visit: the month's only visit, recorded late."""
    from ltci.care import visits as care_visits
    from ltci.care.models import Acceptance

    inst, carer = visiting(home)
    CareChoice.objects.create(region=home.region, person=home.person, mode="home_visit", institution=inst,
                              effective_from=date(2025, 3, 1), created_by=home.users[Role.CLERK])
    late = visit(home, inst, carer, date(2025, 3, 20))
    late.acceptance = Acceptance.PENDING
    late.save()
    settle(home)
    assert not Line.objects.filter(claim__institution=inst).exists()
    clerk = home.users[Role.CLERK]
    care_visits.decide_acceptance(late, clerk, accept=True, note="回访属实")
    settle(home)
    assert [line.fund for line in Line.objects.filter(claim__institution=inst)] == [Decimal("900.00")]
    care_visits.decide_acceptance(late, clerk, accept=False, note="复核不属实")
    settle(home)
    assert sum(line.fund for line in Line.objects.filter(claim__institution=inst)) == 0  # taken back by adjustment


def test_a_recovery_takes_the_money_back_and_a_rerun_does_not_pay_it_again(home):
    settle(home)
    line = Line.objects.get()
    recovered = run.recover(line, home.users[Role.CLERK], "虚报床日", today=TODAY)
    assert recovered.fund == Decimal("-1395.00") and recovered.kind == LineKind.RECOVERY
    assert recovered.claim.month == date(2025, 12, 1)  # booked in the current month, the old one is settled
    settle(home)
    assert Line.objects.count() == 2
    with pytest.raises(ValidationError):
        run.recover(line, home.users[Role.CLERK], "再次追回", today=TODAY)


@pytest.mark.parametrize("month, message", [("2025-13", "年月"), ("2025-12", "尚未结束"), ("March", "年月")])
def test_a_bad_month_is_refused_before_anything_is_made(home, month, message):
    with pytest.raises(ValidationError) as exc:
        settle(home, month)
    assert message in exc.value.message_dict["month"][0]
    assert not Job.objects.filter(kind=JobKind.SETTLEMENT).exists()


def test_a_month_after_the_last_version_is_settled_under_it_and_says_so(world):
    """Nanzheng's only version ended in 2022: settlement carries it on (docs/decisions/0007)."""
    from ltci.regions.models import Region

    region = Region.objects.get(pk="nanzheng")
    job = run.start_settlement(region, "2025-03", today=TODAY)
    assert job.counts["carried_on"] == "延续执行（文件原定2022-12-31到期）"
    assert "按《汉中市南郑区长期护理保险试点工作实施方案》延续执行（文件原定2022-12-31到期）计算" in job.message
    assert job.counts["policy_version"] == "《汉中市南郑区长期护理保险试点工作实施方案》"


def test_the_command_settles_and_reports(home, capsys):
    call_command("settle", "--region", "xuzhou", "--month", "2025-03")
    out = capsys.readouterr().out
    assert "新增结算明细 1 条" in out and "1 people" in out
    assert Line.objects.count() == 1


def test_a_discharge_on_the_first_of_the_month_suspends_that_day(home):
    event(home, "hospital_admission", date(2025, 2, 25))
    event(home, "hospital_discharge", date(2025, 3, 1))
    settle(home)
    line = Line.objects.get()
    assert (line.eligible_days, line.units["bed_days"], line.fund) == (30, 30, Decimal("1350.00"))


def test_a_cost_share_stay_waits_for_the_bed_day_price_then_pays_within_the_limit(world):
    """Jiaxing: institution care at 70 % of the eligible cost, at most 3,000 a month (一(二))."""
    from ltci.providers.designation import BED_DAY, set_prices
    from ltci.providers.models import Agreement
    from tests.care.conftest import certified
    from tests.conftest import build_region_world

    w = build_region_world("jiaxing")
    clerk = w.users[Role.CLERK]
    certified(w.person, clerk, grade="severe_2", valid_from=date(2024, 1, 1))
    CareChoice.objects.create(region=w.region, person=w.person, mode="institution_care", institution=w.institution,
                              effective_from=date(2024, 1, 1), created_by=clerk)
    Stay.objects.create(region=w.region, person=w.person, institution=w.institution, bed="8",
                        admitted_on=date(2024, 2, 1), entered_by=clerk)
    agreement = Agreement.objects.create(institution=w.institution, number="JX-1", start=date(2024, 1, 1),
                                         end=date(2024, 12, 31), modes=["institution_care"], signed_on=date(2024, 1, 1))
    job = run.start_settlement(w.region, "2024-03", user=clerk, today=TODAY)
    assert not Line.objects.exists() and "床日费用标准" in JobIssue.objects.get(job=job).reason
    with pytest.raises(ValidationError):
        set_prices(agreement, clerk, {BED_DAY: "0"})
    set_prices(agreement, clerk, {BED_DAY: "120.00"})
    with pytest.raises(ValidationError, match="已约定"):
        set_prices(agreement, clerk, {BED_DAY: "130.00"})
    run.start_settlement(w.region, "2024-03", user=clerk, today=TODAY)
    line = Line.objects.get()
    # 31 bed-days × 120 = 3,720; 70 % is 2,604, within the 3,000 limit; the rest is personal.
    assert (line.cost, line.fund, line.personal) == (Decimal("3720.00"), Decimal("2604.00"), Decimal("1116.00"))
