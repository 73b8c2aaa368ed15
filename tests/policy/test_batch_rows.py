"""Batch validation: every bad row is reported once, by row and field, before anything is computed."""

from datetime import date, datetime
from decimal import Decimal

import polars as pl
import pytest

from ltci.policy import batch

MAY = date(2022, 5, 1)


def benefit(region, month, **columns):
    return batch.benefit_frame(pl.LazyFrame(columns), region, month).collect()


def contribution(region, on, **columns):
    return batch.contribution_frame(pl.LazyFrame(columns), region, on).collect()


def row_errors(fn, *args, **columns) -> list[tuple[int, str, str]]:
    with pytest.raises(batch.BatchError) as exc:
        fn(*args, **columns)
    return [(e.row, e.field, e.message) for e in exc.value.errors]


def where(errors) -> list[tuple[int, str]]:
    return [(row, field) for row, field, _ in errors]


def test_remote_cash_needs_the_remote_resident_group():
    errors = row_errors(benefit, "xuzhou", MAY, person_id=[1, 2], grade=["severe_2"] * 2, mode=["remote_cash"] * 2,
                        groups=[["remote_resident"], ["student"]])
    assert errors == [(2, "groups", "mode remote_cash is only for 驻外人员（已办理异地就医备案） (xuzhou 五(三)2(3))")]
    out = benefit("xuzhou", MAY, person_id=[1], grade=["severe_2"], mode=["remote_cash"], groups=["remote_resident"])
    assert out["fund"].to_list() == [Decimal("930.00")]


@pytest.mark.parametrize("costs", [
    [Decimal("99999999.99"), Decimal("100000000.00")],
    [99_999_999, 2**62],
    [99999999.99, 1e20],
    ["99999999.99", "999999999999.99"],
], ids=["decimal", "integer", "float", "text"])
def test_amounts_beyond_the_bound_are_row_errors_not_an_overflow(costs):
    frame = dict(person_id=[1, 2], grade=["severe_2"] * 2, mode=["home_care"] * 2, cost=costs)
    errors = row_errors(benefit, "jiaxing", date(2023, 5, 1), **frame)
    assert errors == [(2, "cost", "expected an amount of yuan with at most two decimals, from 0 to 99,999,999.99")]
    out = benefit("jiaxing", date(2023, 5, 1), **{k: v[:1] for k, v in frame.items()})
    assert out["fund"].to_list() == [Decimal("1500.00")] and out["personal"][0] == Decimal(str(costs[0])) - 1500


def test_whole_number_columns_are_bounded_and_never_truncated():
    errors = row_errors(benefit, "xuzhou", MAY, person_id=[1, 2, 3, 4], grade=["severe_2"] * 4,
                        mode=["institution_care"] * 4, days=[10.7, 10.0, 32.0, float("nan")])
    assert where(errors) == [(1, "days"), (3, "days"), (4, "days")]
    assert errors[0][2] == "expected a whole number from 0 to 31"
    errors = row_errors(benefit, "changning", date(2020, 9, 1), person_id=[1, 2], grade=["level_4"] * 2,
                        mode=["home_visit"] * 2, visits=[1000, 10_000_000_000_000], cost=["1000.00"] * 2)
    assert where(errors) == [(2, "visits")]
    errors = row_errors(contribution, "xuzhou", date(2023, 5, 1), person_id=[1, 2], scheme=["resident"] * 2,
                        age=[69.9, 151])
    assert where(errors) == [(1, "age"), (2, "age")]


def test_person_ids_are_required_and_unique():
    errors = row_errors(benefit, "jiaxing", date(2023, 5, 1), person_id=[None, 1, 1, 2], grade=["severe_2"] * 4,
                        mode=["home_care"] * 4, cost=["1", "2", "3", "4"])
    assert where(errors) == [(1, "person_id"), (3, "person_id")]
    assert "P4" in errors[1][2]
    errors = row_errors(contribution, "jiaxing", date(2023, 1, 1), person_id=["a", "b", "a"], scheme=["resident"] * 3)
    assert where(errors) == [(3, "person_id")]


def test_a_death_before_the_care_period_and_more_suspended_days_than_days_are_row_errors():
    errors = row_errors(benefit, "xuzhou", MAY, person_id=[1, 2, 3, 4, 5], grade=["severe_2"] * 5,
                        mode=["institution_care"] * 5,
                        care_from=[date(2022, 5, 20), None, None, date(2022, 5, 10), None],
                        death_day=[date(2022, 5, 10), date(2022, 5, 10), None, None, date(2022, 5, 31)],
                        suspended_days=[0, 10, 31, 23, 31])
    # row 2: May 1..10 is 10 days, all of them may be suspended; row 4: May 10..31 is 22 days, not 23.
    assert where(errors) == [(1, "death_day"), (4, "suspended_days")]
    assert errors[0][2] == "the day of death is before the care period starts"


def test_a_bad_value_is_reported_once():
    errors = row_errors(benefit, "jiaxing", date(2023, 5, 1), person_id=[1, 2, 3], grade=["severe_1"] * 3,
                        mode=["home_care"] * 3, cost=["-5", "100", "100"],
                        care_from=["2023-05-01", "2023-06-01", "2023-05-40"])
    assert where(errors) == [(1, "cost"), (2, "care_from"), (3, "care_from")]  # not also "needs it", "ends before"
    errors = row_errors(contribution, "nanning", date(2024, 3, 1), person_id=[1, 2, 3, 4],
                        scheme=["employee", "Employee", "employee", "employee"],
                        category=["retired", "in_service", None, "flexible"], base=["6000", "6000", "6000", None],
                        pension=[None, None, None, "5000"])
    assert where(errors) == [(1, "pension"), (2, "scheme"), (3, "category"), (4, "base")]


def test_groups_are_checked_whenever_given_and_a_null_group_is_an_error():
    errors = row_errors(benefit, "xuzhou", MAY, person_id=[1, 2, 3], grade=["severe_2"] * 3,
                        mode=["institution_care"] * 3, groups=[["student", None], ["Student"], []])
    assert where(errors) == [(1, "groups"), (2, "groups")]
    # Jiaxing has no group rules, but a groups column that is given is still checked.
    errors = row_errors(contribution, "jiaxing", date(2023, 1, 1), person_id=[1, 2], scheme=["resident"] * 2,
                        groups=["student; medical_aid", "foo"])
    assert where(errors) == [(2, "groups")]


def test_the_age_is_taken_from_the_birth_date_and_else_from_age_and_only_where_a_subsidy_needs_it():
    out = contribution("xuzhou", date(2023, 5, 1), person_id=[1, 2, 3], scheme=["resident"] * 3, age=[75, 75, 30],
                       birth_date=[None, date(1980, 1, 1), None])
    assert [str(v) for v in out["individual"]] == ["0.00", "20.00", "20.00"]
    employees = contribution("xuzhou", date(2023, 5, 1), person_id=[1], scheme=["employee"], category=["in_service"])
    assert employees["total"].to_list() == [Decimal("70.00")]
    errors = row_errors(contribution, "xuzhou", date(2023, 5, 1), person_id=[1, 2, 3], scheme=["employee", "resident",
                        "resident"], birth_date=[None, None, date(2030, 1, 1)])
    assert errors == [(2, "age", "needed for the age subsidy; give age or birth_date"),
                      (3, "birth_date", "gives an age outside 0 to 150 on 2023-05-01")]


def test_a_date_with_a_time_of_day_is_refused():
    frame = dict(person_id=[1, 2], grade=["severe_2"] * 2, mode=["institution_care"] * 2,
                 death_day=[datetime(2022, 5, 10, 23, 0), datetime(2022, 5, 10)])
    errors = row_errors(benefit, "xuzhou", MAY, **frame)
    assert where(errors) == [(1, "death_day")]
    out = benefit("xuzhou", MAY, **{k: v[1:] for k, v in frame.items()})
    assert out["eligible_days"].to_list() == [10]
