from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ltci.enrolment.idcard import (
    PROVINCES,
    InvalidIdNumber,
    detect_kind,
    make_id_number,
    parse_id_number,
    parse_identity,
)


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


# --- the three kinds ------------------------------------------------------------------------------

TODAY = date(2026, 1, 1)
WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]  # GB 11643 / ISO 7064 MOD 11-2, worked out here


def _mod11(first17):
    """The check character, computed independently of the module under test."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def _full(first17):
    return first17 + _mod11(first17)


def _ending_in_x(first14):
    """A number whose check character is X, for the lower-case x tests."""
    return next(n for n in (_full(f"{first14}{order:03d}") for order in range(1000)) if n.endswith("X"))


def _bad_check(number):
    return number[:17] + ("0" if number[17] != "0" else "1")


@pytest.mark.parametrize("kind, value, birth, sex, place", [
    # samples of the 2023 notice: Saudi Arabia (682) applied in Jiangsu, Canada (124) in Beijing
    ("foreign_permanent", "932682198501010017", date(1985, 1, 1), "M", "320000"),
    ("foreign_permanent", "911124198108030024", date(1981, 8, 3), "F", "110000"),
    ("foreign_permanent", "KAZ110090123105", date(1990, 12, 31), None, "110000"),
    ("hmt_residence", _full("81000019940823002"), date(1994, 8, 23), "F", "810000"),
    ("hmt_residence", _full("82000019600101001"), date(1960, 1, 1), "M", "820000"),
    ("hmt_residence", _full("83000019201130013"), date(1920, 11, 30), "M", "830000"),
    ("resident", "11010519491231002X", date(1949, 12, 31), "F", "110105"),
])
def test_valid_numbers_of_each_kind(kind, value, birth, sex, place):
    parsed = parse_identity(kind, value, today=TODAY)
    assert (parsed.kind, parsed.birth_date, parsed.sex, parsed.place_code) == (kind, birth, sex, place)
    assert parsed.number == value and parsed.warnings == ()


@pytest.mark.parametrize("kind, value, reason", [
    ("hmt_residence", _bad_check(_full("81000019940823002")), "港澳台居民居住证号码校验位不正确"),
    ("hmt_residence", _full("11010519940823002"), "港澳台居民居住证号码的地址码应为810000、820000或830000"),
    ("hmt_residence", _full("81000119940823002"), "地址码应为810000"),
    ("hmt_residence", _full("83000019990229002"), "港澳台居民居住证号码中的出生日期不存在"),
    ("hmt_residence", _full("82000019991301002"), "出生日期不存在"),
    ("hmt_residence", _full("82000020260102002"), "港澳台居民居住证号码中的出生日期不合理"),
    ("hmt_residence", "8100001994082300", "港澳台居民居住证号码应为18位"),
    ("hmt_residence", "81000019940823002Y", "前17位应为数字"),
    ("foreign_permanent", _bad_check("932682198501010017"), "外国人永久居留身份证号码校验位不正确"),
    ("foreign_permanent", _full("83268219850101001"), "外国人永久居留身份证号码（18位）应以9开头"),
    ("foreign_permanent", _full("99668219850101001"), "第2-3位应为受理地的省级行政区代码，96不是"),
    ("foreign_permanent", _full("93268219850230001"), "外国人永久居留身份证号码中的出生日期不存在"),
    ("foreign_permanent", _full("93268220270101001"), "外国人永久居留身份证号码中的出生日期不合理"),
    ("foreign_permanent", "93268219850101001", "应为18位（2023年12月起签发）或15位（此前签发）"),
    ("foreign_permanent", "K4Z110090123105", "（15位）应为3个字母加12位数字"),
    ("foreign_permanent", "KAZ990090123105", "第4-5位应为受理地的省级行政区代码，99不是"),
    ("foreign_permanent", "KAZ110001022905", "出生日期不存在"),  # 29 February in neither 1901 nor 2001
    ("foreign_permanent", "KAZ110090133105", "出生日期不存在"),  # month 13
    ("resident", _full("81000019940823002")[:17], "身份证号码应为18位"),
])
def test_each_kind_refuses_with_the_reason(kind, value, reason):
    with pytest.raises(InvalidIdNumber, match=reason):
        parse_identity(kind, value, today=TODAY)


@pytest.mark.parametrize("kind, first14", [
    ("resident", "32031119800101"), ("hmt_residence", "83000019800101"), ("foreign_permanent", "93115819800101"),
])
def test_lower_case_x_spaces_and_full_width_digits_are_cleaned(kind, first14):
    number = _ending_in_x(first14)
    messy = " " + number[:6] + " " + number[6:14] + "\u3000" + number[14:].lower() + "\t"
    assert parse_identity(kind, messy, today=TODAY).number == number
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number.lower())
    assert parse_identity(kind, full_width, today=TODAY).number == number


def test_an_old_permanent_residence_number_is_cleaned_too():
    assert parse_identity("foreign_permanent", " kaz 1100 901231 05 ", today=TODAY).number == "KAZ110090123105"


@pytest.mark.parametrize("value, birth, warned", [
    ("KAZ110045010100", date(1945, 1, 1), False),  # 2045 is to come
    ("KAZ110024010100", date(1924, 1, 1), False),  # 2024 is after the last 15-character card
    ("KAZ110000022900", date(2000, 2, 29), False),  # 1900 was no leap year
    ("KAZ110020123105", date(2020, 12, 31), True),  # 1920 fits too: the clerk is asked to check
])
def test_an_old_permanent_residence_number_reads_its_two_digit_year(value, birth, warned):
    parsed = parse_identity("foreign_permanent", value, today=TODAY)
    assert parsed.birth_date == birth and bool(parsed.warnings) == warned


def test_an_old_permanent_residence_number_is_never_born_after_today():
    with pytest.raises(InvalidIdNumber, match="出生日期不合理"):
        parse_identity("foreign_permanent", "KAZ110060010100", today=date(1950, 1, 1))


@pytest.mark.parametrize("value, kind", [
    (_full("81000019940823002"), "hmt_residence"),
    (_full("82000019940823002"), "hmt_residence"),
    (" 830000 19940823 002" + _mod11("83000019940823002").lower(), "hmt_residence"),
    ("932682198501010017", "foreign_permanent"),
    ("KAZ110090123105", "foreign_permanent"),
    ("kaz 110090123105", "foreign_permanent"),
    ("11010519491231002X", "resident"),
    (_full("81010119940823002"), "resident"),  # 8101..: not a residence permit address code
    ("93268219850101001", "resident"),  # 17 characters: left to the resident rules to refuse
    ("KAZ11009012310", "resident"),
    ("", "resident"),
])
def test_detect_kind_guesses_from_the_shape(value, kind):
    assert detect_kind(value) == kind


def test_parse_id_number_is_the_resident_kind():
    assert parse_id_number("11010519491231002X") == parse_identity("resident", "11010519491231002X")


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="未知的证件类型"):
        parse_identity("passport", "E12345678")


@given(st.sampled_from(["810000", "820000", "830000"]), st.dates(date(1900, 1, 1), date(2025, 12, 31)),
       st.integers(0, 999))
def test_made_residence_permit_numbers_parse_back(code, birth, order):
    number = _full(f"{code}{birth:%Y%m%d}{order:03d}")
    parsed = parse_identity(detect_kind(number), number, today=TODAY)
    assert (parsed.kind, parsed.birth_date, parsed.sex) == ("hmt_residence", birth, "FM"[order % 2])


@given(st.sampled_from(sorted(PROVINCES)), st.integers(1, 999), st.dates(date(1900, 1, 1), date(2025, 12, 31)),
       st.integers(0, 999))
def test_made_permanent_residence_numbers_parse_back(province, nationality, birth, order):
    number = _full(f"9{province}{nationality:03d}{birth:%Y%m%d}{order:03d}")
    parsed = parse_identity(detect_kind(number), number, today=TODAY)
    assert (parsed.kind, parsed.birth_date, parsed.sex) == ("foreign_permanent", birth, "FM"[order % 2])
