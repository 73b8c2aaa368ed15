from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ltci.enrolment.idcard import InvalidIdNumber, make_id_number, parse_id_number


def _fix_check(value):
    from ltci.enrolment.idcard import check_digit

    return value[:17] + check_digit(value[:17])


def test_a_valid_number_gives_birth_date_and_sex():
    parsed = parse_id_number("11010519491231002X")
    assert parsed.birth_date == date(1949, 12, 31) and parsed.sex == "F" and parsed.warnings == ()


@pytest.mark.parametrize("value, reason", [
    ("110105194912310021", "校验位"),
    ("11010519491231002", "18位"),
    ("1101051949123100AX", "前17位"),
    (_fix_check("11010519490230002"), "出生日期不存在"),  # 30 February
    (_fix_check("11010520300101002"), "出生日期不合理"),  # born in the future
])
def test_invalid_numbers_are_refused_with_the_reason(value, reason):
    with pytest.raises(InvalidIdNumber, match=reason):
        parse_id_number(value, today=date(2026, 1, 1))


def test_an_unknown_place_code_only_warns():
    number = _fix_check("99990119500101123")
    parsed = parse_id_number(number)
    assert parsed.warnings and "地址码" in parsed.warnings[0]


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)), st.integers(0, 499), st.sampled_from("MF"))
def test_made_numbers_parse_back(birth, seq, sex):
    parsed = parse_id_number(make_id_number("320311", birth, seq, sex), today=date(2026, 1, 1))
    assert (parsed.birth_date, parsed.sex) == (birth, sex)
