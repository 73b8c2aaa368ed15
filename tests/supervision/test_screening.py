"""A month's screening from the database: what it stores, that a re-run stores nothing twice, the
region's settings of the rules, the command and the nightly round."""

from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from ltci.accounts.roles import Role
from ltci.care.models import CareChoice, FamilyCareDay, Stay, Visit
from ltci.core.models import Job, JobKind
from ltci.providers.models import CarerSuspension
from ltci.supervision import nightly, rulebase, screening
from ltci.supervision.models import Case, Hit, HitStatus, RuleSetting
from tests.settlement.conftest import TODAY, event, home, visit, visiting  # noqa: F401  (home is a fixture)

pytestmark = pytest.mark.django_db
MARCH = date(2025, 3, 1)


@pytest.fixture
def visited(home):  # noqa: F811
    """The world's person chooses home care from the other institution; its carer visits twice in March."""
    inst, carer = visiting(home)
    CareChoice.objects.create(region=home.region, person=home.person, mode="home_care", institution=inst,
                              effective_from=date(2025, 3, 1), created_by=home.users[Role.CLERK])
    first = visit(home, inst, carer, date(2025, 3, 5))
    first.checkin_distance_m, first.face_check = 250, "passed"
    first.save()
    second = visit(home, inst, carer, date(2025, 3, 12))
    second.checkin_distance_m, second.face_check = 820, "passed"
    second.save()
    home.inst, home.carer, home.visits = inst, carer, [first, second]
    return home


def screen(w, month=MARCH):
    return screening.screen(w.region.pk, month)


def test_a_screening_stores_each_finding_with_its_records_and_the_parameters_used(visited):
    counts = screen(visited)
    far = Hit.objects.get(rule="checkin_far")
    assert far.records == {"visit": [visited.visits[1].pk]} and far.params == {"distance_m": 300}
    assert far.person == visited.person and far.institution == visited.inst and far.carer == visited.carer
    assert far.day == date(2025, 3, 12) and far.month == MARCH and far.severity == "medium"
    assert far.status == HitStatus.NEW
    assert rulebase.describe(far.rule, far.detail, far.params) == "签到位置距居所820米，超过300米"
    # The person lives in the institution too (the world's stay since February): both visits fall in it.
    assert counts["home_care_during_stay"] == 2 and counts["checkin_far"] == 1 and counts["visits"] == 2
    assert counts["new"] == counts["hits"] == Hit.objects.count()


def test_screening_the_month_again_stores_nothing_twice_and_leaves_cases_alone(visited):
    screen(visited)
    hit = Hit.objects.get(rule="checkin_far")
    case = Case.objects.create(region=visited.region, number="T-1", month=MARCH, title="t",
                               opened_by=visited.users[Role.CLERK])
    Hit.objects.filter(pk=hit.pk).update(case=case, status=HitStatus.IN_CASE)
    before = Hit.objects.count()
    again = screen(visited)
    assert again["new"] == 0 and again["hits"] == before == Hit.objects.count()
    hit.refresh_from_db()
    assert hit.status == HitStatus.IN_CASE and hit.case == case


def test_a_late_record_is_found_by_the_next_run_as_a_new_hit(visited):
    screen(visited)
    CarerSuspension.objects.create(carer=visited.carer, start=date(2025, 3, 10), end=date(2025, 3, 20),
                                   reason="t", created_by=visited.users[Role.CLERK])
    again = screen(visited)
    [hit] = Hit.objects.filter(rule="suspended_carer")
    assert again["new"] == 1 and hit.records["visit"] == [visited.visits[1].pk]


def test_a_regions_setting_turns_a_rule_off_or_changes_its_parameters_from_its_date(visited):
    clerk = visited.users[Role.CLERK]
    rulebase.change_setting(visited.region.pk, "checkin_far", clerk, enabled=True, params={"distance_m": "200"},
                            valid_from=date(2025, 1, 1), reason="城区定位精度高")
    rulebase.change_setting(visited.region.pk, "home_care_during_stay", clerk, enabled=False,
                            valid_from=date(2025, 1, 1), reason="试点期间不筛查")
    rulebase.change_setting(visited.region.pk, "face_check_failed", clerk, enabled=False,
                            valid_from=date(2025, 4, 1), reason="四月起停用")  # not yet in March
    counts = screen(visited)
    assert "home_care_during_stay" not in counts and counts["checkin_far"] == 2
    assert list(Hit.objects.filter(rule="checkin_far").values_list("params", flat=True)) == [{"distance_m": 200}] * 2
    assert "face_check_failed" in counts


def test_a_correction_that_keeps_the_fault_is_the_same_finding(visited):
    screen(visited)
    far = visited.visits[1]
    corrected = Visit.objects.create(region=far.region, person=far.person, institution=far.institution,
                                     carer=far.carer, request_id="fix-1", checkin_at=far.checkin_at,
                                     checkin_latitude=far.checkin_latitude, checkin_longitude=far.checkin_longitude,
                                     checkin_distance_m=820, checkout_at=far.checkout_at, face_check="passed",
                                     items=far.items, supersedes=far, entered_by=visited.users[Role.CLERK])
    again = screen(visited)
    assert again["new"] == 0
    assert Hit.objects.get(rule="checkin_far").key == f"visit:{far.pk}" and corrected.pk != far.pk


def test_a_summing_hit_nobody_took_up_is_brought_up_to_date_and_one_in_a_case_is_not(visited):
    clerk = visited.users[Role.CLERK]
    visited.institution.filed_beds = 0
    visited.institution.save()
    screen(visited)
    hit = Hit.objects.get(rule="beds_over_filed")
    assert hit.detail["occupied"] == 1
    other = visited.other_person
    CareChoice.objects.create(region=visited.region, person=other, mode="institution_care",
                              institution=visited.institution, effective_from=date(2025, 1, 1), created_by=clerk)
    Stay.objects.create(region=visited.region, person=other, institution=visited.institution, bed="102",
                        admitted_on=date(2025, 3, 1), entered_by=clerk)
    again = screen(visited)
    hit.refresh_from_db()
    assert again["new"] == 0 and again["refreshed"] == 1 and hit.detail["occupied"] == 2
    case = Case.objects.create(region=visited.region, number="T-2", month=MARCH, title="t", opened_by=clerk)
    Hit.objects.filter(pk=hit.pk).update(case=case, status=HitStatus.IN_CASE)
    Stay.objects.filter(person=other).update(admitted_on=date(2025, 3, 20))
    assert "refreshed" not in screen(visited)


def test_the_reassessment_window_is_at_most_twelve_months():
    with pytest.raises(ValidationError) as exc:
        rulebase.checked_params("reassessment_frequent", {"window_months": 24})
    assert "params.window_months" in exc.value.message_dict
    assert rulebase.checked_params("reassessment_frequent", {"window_months": "6"}) == {"window_months": 6}


@pytest.mark.parametrize("params, field", [({"distance_m": "near"}, "params.distance_m"),
                                           ({"radius": 5}, "params"),
                                           ({"distance_m": -1}, "params.distance_m")])
def test_a_bad_setting_is_refused_naming_the_field_and_nothing_is_stored(visited, params, field):
    with pytest.raises(ValidationError) as exc:
        rulebase.change_setting(visited.region.pk, "checkin_far", visited.users[Role.CLERK], enabled=True,
                                params=params, valid_from=date(2025, 1, 1), reason="r")
    assert field in exc.value.message_dict
    assert not RuleSetting.objects.exists()


def test_a_rule_of_another_region_cannot_be_set(visited):
    with pytest.raises(ValidationError) as exc:  # Changning's re-assessment rule; the world is Xuzhou
        rulebase.change_setting(visited.region.pk, "reassessment_frequent", visited.users[Role.CLERK],
                                enabled=True, valid_from=date(2025, 1, 1), reason="r")
    assert "rule" in exc.value.message_dict


def test_the_sampling_share_is_the_platform_default_until_the_region_sets_its_own(visited):
    assert str(rulebase.sampling_share(visited.region.pk, MARCH)) == "0.02"
    rulebase.change_setting(visited.region.pk, rulebase.SAMPLING, visited.users[Role.CLERK], enabled=True,
                            params={"share": "0.05"}, valid_from=date(2025, 1, 1), reason="r")
    assert str(rulebase.sampling_share(visited.region.pk, MARCH)) == "0.05"
    with pytest.raises(ValidationError):
        rulebase.change_setting(visited.region.pk, rulebase.SAMPLING, visited.users[Role.CLERK], enabled=True,
                                params={"share": "1.5"}, valid_from=date(2025, 1, 1), reason="r")


def test_screening_leaves_other_regions_alone(visited, world):
    away = world["away"]
    screening.screen(away.region.pk, MARCH)
    assert not Hit.objects.exists()


def test_the_screening_job_and_its_month(visited):
    job = screening.start_screening(visited.region, "2025-03", user=visited.users[Role.CLERK], today=TODAY)
    assert job.kind == JobKind.SCREENING and job.status == "done" and job.counts["hits"] == Hit.objects.count()
    assert "发现疑点" in job.message
    for text in ("2025-13", "March", ""):
        with pytest.raises(ValidationError):
            screening.start_screening(visited.region, text, today=TODAY)
    with pytest.raises(ValidationError) as exc:
        screening.start_screening(visited.region, "2026-01", today=TODAY)
    assert "尚未开始" in exc.value.message_dict["month"][0]
    assert Job.objects.filter(kind=JobKind.SCREENING).count() == 1


def test_the_command(visited):
    out = StringIO()
    call_command("supervise", "--region", visited.region.pk, "--month", "2025-03", stdout=out)
    assert "2 visits screened" in out.getvalue() and "checkin_far 1" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("supervise", "--region", "nowhere", "--month", "2025-03")
    with pytest.raises(CommandError):
        call_command("supervise", "--region", visited.region.pk)


def test_the_nightly_round_screens_every_regions_current_and_previous_month(visited, world):
    assert nightly.months(date(2025, 3, 1)) == [date(2025, 2, 1), date(2025, 3, 1)]
    jobs = nightly.run_round(date(2025, 3, 20))
    regions = {world["home"].region.pk, world["away"].region.pk}
    assert {(j.region_id, j.params["month"]) for j in jobs} >= {(r, m) for r in regions for m in ("2025-02", "2025-03")}
    assert Hit.objects.filter(rule="checkin_far").count() == 1


def test_family_care_on_a_hospital_day_is_found(visited):
    admission = event(visited, "hospital_admission", date(2025, 3, 14))
    event(visited, "hospital_discharge", date(2025, 3, 20))
    day = FamilyCareDay.objects.create(region=visited.region, person=visited.person, carer=visited.carer,
                                       day=date(2025, 3, 16), entered_by=visited.users[Role.CLERK])
    screen(visited)
    [hit] = Hit.objects.filter(rule="care_in_hospital")
    assert hit.records == {"family_day": [day.pk], "care_event": [admission.pk]} and hit.day == date(2025, 3, 16)


def test_the_job_page_names_each_rule_and_the_counts(visited, client_for):
    job = screening.start_screening(visited.region, "2025-03", user=visited.users[Role.CLERK], today=TODAY)
    page = client_for(visited.users[Role.CLERK]).get(f"/jobs/{job.pk}/").content.decode()
    assert "签到或签退位置距居所过远" in page and "机构入住期间有居家服务" in page and "筛查上门服务" in page
    assert "checkin_far" not in page
