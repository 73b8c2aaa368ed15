"""居民身份证号码 (GB 11643-1999): check digit, birth date and sex; place code only warns.

python-stdnum refuses some valid numbers on its place-code table (a county code newer than the
birth year, say), so a place code it does not know is a warning for a clerk, not a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from stdnum.cn import ric as _ric
from stdnum.exceptions import ValidationError as _StdnumError


class InvalidIdNumber(ValueError):
    """The number cannot be a resident ID number; the message says why, in Chinese."""


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    sex: str  # "M" | "F"
    place_code: str
    warnings: tuple[str, ...] = ()


def check_digit(number: str) -> str:
    """The check character for the first 17 digits of `number` (17 or 18 characters long)."""
    return _ric.calc_check_digit(number[:17] + "0")  # stdnum expects a check place and ignores it


def parse_id_number(value: str, *, today: date | None = None) -> IdNumber:
    number = (value or "").strip().upper().replace(" ", "")
    if len(number) != 18:
        raise InvalidIdNumber("身份证号码应为18位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdNumber("身份证号码前17位应为数字，末位为数字或X")
    if number[17] != check_digit(number):
        raise InvalidIdNumber("身份证号码校验位不正确")
    try:
        birth = _ric.get_birth_date(number)
    except _StdnumError:
        raise InvalidIdNumber("身份证号码中的出生日期不存在") from None
    if birth > (today or date.today()) or birth.year < 1890:
        raise InvalidIdNumber("身份证号码中的出生日期不合理")
    warnings = []
    try:
        _ric.get_birth_place(number)
    except _StdnumError:
        warnings.append(f"地址码 {number[:6]} 不在行政区划代码表中（或晚于出生年份启用），请核对")
    sex = "M" if int(number[16]) % 2 else "F"
    return IdNumber(number, birth, sex, number[:6], tuple(warnings))


def make_id_number(place_code: str, birth: date, sequence: int, sex: str) -> str:
    """A well-formed number for demo data: sequence 0..499 picks the order code's parity by sex."""
    order = sequence * 2 + (1 if sex == "M" else 0)
    first17 = f"{place_code}{birth:%Y%m%d}{order:03d}"
    return first17 + check_digit(first17)
