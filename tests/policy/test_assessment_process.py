"""The pieces of the assessment process the engine answers: the self-assessment letter, working
days on the Chinese calendar, and each region's validity, publicity and re-assessment periods."""

from datetime import date
from itertools import combinations

import pytest

from ltci.policy.assessment import process_rules
from ltci.policy.errors import PolicyError
from ltci.policy.self_assessment import rate
from ltci.policy.workdays import add_working_days, is_working_day

A = ("eating", "bowel_bladder", "bathing")
B = ("dressing", "toilet", "transfer")

# assessment.md: A all independent; B a1 or b1–2; C a1+b1, or b3; D a2, or a1+b2; E a3, or a2+b1–2,
# or a1+b3; F a3+b1–2, or a2+b3; G all dependent.
EXPECTED = {
    (0, 0): "A", (1, 0): "B", (0, 1): "B", (0, 2): "B", (1, 1): "C", (0, 3): "C", (2, 0): "D", (1, 2): "D",
    (3, 0): "E", (2, 1): "E", (2, 2): "E", (1, 3): "E", (3, 1): "F", (3, 2): "F", (2, 3): "F", (3, 3): "G",
}


@pytest.mark.parametrize("counts, letter", sorted(EXPECTED.items()))
def test_every_combination_of_dependencies_gives_the_specs_letter(counts, letter):
    for a_set in combinations(A, counts[0]):
        for b_set in combinations(B, counts[1]):
            ratings = {x: "dependent" if x in a_set + b_set else "independent" for x in A + B}
            result = rate(ratings)
            assert (result.letter, result.dependent_a, result.dependent_b) == (letter, *counts)
            assert result.may_apply == (letter in "EFG")


def test_the_form_explains_itself_and_refuses_a_missing_or_unknown_rating():
    result = rate({x: "dependent" if x in ("eating", "toilet") else "independent" for x in A + B})
    assert result.lines[0].what == "需要帮助的活动：进食、用厕（a类 1 项，b类 1 项）→ 自评 C 级"
    assert result.lines[1].what == "自评 C 级不能申请正式评估（须为 E、F、G 级）"
    with pytest.raises(PolicyError) as exc:
        rate({x: "independent" for x in A})
    assert exc.value.field == "self_assessment.dressing"
    with pytest.raises(PolicyError) as exc:
        rate({**{x: "independent" for x in A + B}, "bathing": "sometimes"})
    assert exc.value.field == "self_assessment.bathing"


def test_working_days_skip_the_national_day_holiday_and_count_adjusted_weekends():
    assert add_working_days(date(2026, 9, 25), 5).day == date(2026, 10, 9)
    assert not is_working_day(date(2026, 10, 5))[0]
    assert add_working_days(date(2026, 9, 25), 0).day == date(2026, 9, 25)
    known = add_working_days(date(2026, 12, 24), 3)
    assert known == add_working_days(date(2026, 12, 24), 3) and not known.provisional


def test_a_year_without_a_published_calendar_is_counted_provisionally():
    end = add_working_days(date(2026, 12, 30), 3)  # 31 Dec, (1 Jan is New Year's Day), 4 and 5 Jan 2027
    assert end.day == date(2027, 1, 5) and end.provisional


@pytest.mark.parametrize("region, on, clause", [
    ("xuzhou", date(2025, 3, 1), "xuzhou 六(四)"),
    ("nanning", date(2025, 3, 1), "nanning 平台规则：重度失能最长2年（医保发〔2023〕29号）"),
    ("changning", date(2020, 3, 1), "changning 沪府发〔2017〕97号"),
])
def test_each_region_has_its_process_periods_with_clauses(region, on, clause):
    rules = process_rules(region, on)
    assert (rules.validity_months, rules.publicity_working_days, rules.reassessment_min_months) == (24, 5, 6)
    assert rules.clauses["validity_months"] == clause
    assert rules.valid_until(date(2025, 3, 15)) == date(2027, 3, 14)
    assert rules.reassessment_from(date(2025, 8, 31)) == date(2026, 2, 28)
    assert rules.publicity_ends(date(2026, 9, 25)).day == date(2026, 10, 9)


def test_the_precheck_says_every_reason_and_when_it_could_pass():
    from ltci.policy.inputs import Person
    from ltci.policy.precheck import precheck

    ratings = {x: "dependent" for x in A + B}
    applicant = Person(scheme="resident", enrolled_on=date(2025, 5, 1), paid_through=date(2025, 12, 31),
                       disabled_since=date(2025, 3, 10))
    result = precheck("xuzhou", date(2025, 7, 1), applicant, self_assessment=ratings, open_application=True,
                      last_assessed=date(2025, 2, 1))
    got = {r.code: r.until for r in result.reasons}
    assert got == {"waiting_period": date(2025, 11, 2), "disability_under_6_months": date(2025, 9, 10),
                   "open_application": None, "reassessment_too_soon": date(2025, 8, 1)}
    ready = Person(scheme="resident", enrolled_on=date(2021, 5, 1), paid_through=date(2025, 12, 31),
                   disabled_since=date(2024, 3, 10))
    assert precheck("xuzhou", date(2025, 7, 1), ready, self_assessment=ratings).eligible
    mild = {x: "dependent" if x == "eating" else "independent" for x in A + B}
    [reason] = precheck("xuzhou", date(2025, 7, 1), ready, self_assessment=mild).reasons
    assert reason.code == "self_assessment_too_low" and "自评 B 级不能申请正式评估" in reason.message
