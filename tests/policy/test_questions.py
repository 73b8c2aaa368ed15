"""The scalar API's questions: what it refuses (naming the field), what it does not ask for, and the
Decimal amounts it answers with."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from ltci.policy import scalar
from ltci.policy.errors import PolicyError
from ltci.policy.inputs import Care, Event, Person, care_from, person_from
from ltci.policy.money import MAX_FEN, to_fen
from ltci.policy.scale import load_scale

MAY = (date(2022, 5, 1), date(2022, 5, 31))


def refused(field, fn, *args):
    with pytest.raises(PolicyError) as exc:
        fn(*args)
    assert exc.value.field == field, exc.value
    return exc.value.message


def test_results_are_decimal_yuan_with_the_fen_kept_alongside():
    benefit = scalar.benefit("xuzhou", date(2022, 5, 1), Person(grade="severe_2", groups=("student",)),
                             Care("institution_medical", *MAY))
    assert (benefit.fund, benefit.personal, benefit.total) == (Decimal("2712.50"), Decimal("697.50"), Decimal("3410.00"))
    assert (benefit.fund_fen, benefit.personal_fen, benefit.total_fen) == (271250, 69750, 341000)
    assert benefit.lines[0].fund == Decimal("1395.00") and benefit.lines[0].fund_fen == 139500
    dues = scalar.contribution("nanning", date(2024, 3, 1), Person(scheme="employee", category="in_service", base=467000))
    assert dues.by_payer == {"individual": Decimal("7.01"), "employer": Decimal("7.01"), "medical_fund": Decimal("0.00"),
                             "fiscal": Decimal("0.00")}
    assert dues.total == Decimal("14.02") and dues.total_fen == 1402 and dues.lines[0].amount == Decimal("7.01")
    assert dues.as_dict()["total"] == "14.02" and benefit.as_dict()["lines"][0]["fund"] == "1395.00"


def test_remote_cash_requires_the_remote_resident_group():
    care = Care("remote_cash", *MAY)
    message = refused("person.groups", scalar.benefit, "xuzhou", date(2022, 5, 1), Person(grade="severe_2"), care)
    assert "驻外人员" in message and "xuzhou 五(三)2(3)" in message
    paid = scalar.benefit("xuzhou", date(2022, 5, 1), Person(grade="severe_2", groups=("remote_resident",)), care)
    assert paid.fund == Decimal("930.00")


def test_amounts_and_counts_are_bounded():
    assert to_fen("99999999.99", "care.cost") == MAX_FEN
    refused("care.cost", to_fen, "100000000.00", "care.cost")
    refused("care.cost", to_fen, 1e20, "care.cost")
    on = date(2022, 5, 1)
    refused("care.days", care_from, {"mode": "institution_care", "days": 32}, None, on)
    refused("care.family_days", care_from, {"mode": "home_combined", "family_days": 32}, None, on)
    refused("care.visits", care_from, {"mode": "home_visit", "visits": 1001}, None, on)
    assert care_from({"mode": "home_visit", "visits": 1000, "days": 31}, None, on).visits == 1000
    refused("person.age", person_from, {"age": 151})
    refused("person.birth_date", scalar.contribution, "xuzhou", date(2023, 5, 1),
            Person(scheme="resident", birth_date=date(2030, 1, 1)))


def test_a_time_of_day_is_not_a_date():
    message = refused("person.enrolled_on", person_from, {"enrolled_on": datetime(2019, 3, 1)})
    assert "without a time of day" in message
    refused("events[0].from", care_from, {"mode": "family_care"},
            [{"type": "hospital", "from": datetime(2021, 5, 3, 8), "to": date(2021, 5, 5)}], date(2021, 5, 1))


def test_events_are_checked_key_by_key_and_a_death_before_the_care_period_is_refused():
    on = date(2021, 5, 1)
    refused("events[0].cause", care_from, {"mode": "family_care"}, [{"type": "death", "on": on, "cause": "x"}], on)
    refused("events[0].on", care_from, {"mode": "family_care"},
            [{"type": "hospital", "from": on, "to": date(2021, 5, 3), "on": on}], on)
    care = Care("institution_care", date(2022, 5, 10), date(2022, 5, 31),
                events=(Event("hospital", date(2022, 5, 1), date(2022, 5, 2)), Event("death", date(2022, 5, 3))))
    message = refused("events[1].on", scalar.benefit, "xuzhou", date(2022, 5, 1), Person(grade="severe_2"), care)
    assert "before the care period starts" in message


def test_only_the_fields_a_rule_needs_are_asked_for():
    employee = scalar.contribution("xuzhou", date(2022, 3, 1), Person(scheme="employee", category="in_service"))
    assert employee.total == Decimal("70.00")
    refused("person.age", scalar.contribution, "xuzhou", date(2022, 3, 1), Person(scheme="resident"))
    enough = Person(scheme="employee", grade="severe_3", disabled_since=date(2023, 5, 10), contribution_months=30)
    assert scalar.eligibility("nanning", date(2024, 3, 1), enough).eligible
    short = Person(scheme="employee", grade="severe_3", disabled_since=date(2023, 5, 10), contribution_months=11)
    refused("person.receiving", scalar.eligibility, "nanning", date(2024, 3, 1), short)


def test_a_grade_of_the_other_family_is_a_wrong_question():
    person = Person(scheme="employee", age=70, grade="level_3", disabled_since=date(2021, 1, 1),
                    enrolled_on=date(2019, 1, 1), paid_through=date(2022, 12, 31))
    refused("person.grade", scalar.eligibility, "xuzhou", date(2022, 6, 1), person)
    national = Person(scheme="employee", age=70, grade="severe_2", disabled_since=date(2019, 1, 1))
    refused("person.grade", scalar.eligibility, "changning", date(2020, 6, 1), national)
    refused("person.grade", scalar.benefit, "changning", date(2020, 6, 1), national,
            Care("institution_care", date(2020, 6, 1), date(2020, 6, 30), cost=100000))
    # A grade of the region's own family that does not qualify is still a reason, not an error.
    low = scalar.eligibility("xuzhou", date(2022, 6, 1), Person(**{**person.__dict__, "grade": "mild"}))
    assert [r.code for r in low.reasons] == ["grade_too_low"]


def test_scale_scores_are_whole_numbers():
    scale = load_scale("national_2021")
    form = {"adl": {"eating": 10, "dressing": 5, "face_oral": 0, "bowel": 10, "bladder": 5, "toilet": 5, "walking": 5,
                    "transfer": 0, "stairs": 0, "bathing": 0},
            "cognition": {"time": 4, "person": 4, "place": 4, "memory": 4},
            "perception": {"vision": 4, "hearing": 4, "communication": 4}}
    assert scale.grade(form).scores["adl"] == 40
    form["adl"]["eating"] = 10.0
    refused("scale.adl.eating", scale.grade, form)
