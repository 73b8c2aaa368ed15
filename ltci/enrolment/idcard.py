"""Identity numbers the register accepts, each by its own rules; refusals say why, in Chinese.

resident, 居民身份证 (GB 11643-1999): 6-digit address code, birth date YYYYMMDD, 3-digit order code
(odd = male), MOD 11-2 check character. python-stdnum refuses some valid numbers on its place-code
table (a county code newer than the birth year, say), so a place code it does not know is a warning
for a clerk, not a refusal.

hmt_residence, 港澳台居民居住证 (2018): the same layout and check character, with the address code
810000 (Hong Kong), 820000 (Macao) or 830000 (Taiwan) in place of a county.

foreign_permanent, 外国人永久居留身份证, from 国家移民管理局《新版外国人永久居留身份证适配性改造要点》(2023;
read in the copy at eastcoms.com/service/pro/840.html) and its samples 932682198501010017 and
KAZ110090123105:
- cards issued from 1 December 2023 have 18 characters: "9" (marks a foreigner; resident numbers
  begin 1-8), 2-digit province of application, 3-digit nationality (GB/T 2659 numeric), YYYYMMDD,
  3-digit order code (odd = male), and a MOD 11-2 check character "as for the resident ID".
- cards issued before (the 2004 and the 2017 versions; the notice says the 2017 card still has the
  old number) have 15: 3 letters (nationality, ISO 3166 alpha-3), 4 digits of the place of
  application (the first two the province), YYMMDD and 2 more digits. No published check algorithm
  for these was found, so only the format, the province and the birth date are checked, and the sex
  is left unknown.
The nationality codes are not looked up: the register keeps no country table.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from stdnum.cn import ric as _ric
from stdnum.exceptions import ValidationError as _StdnumError

KINDS = {"resident": "居民身份证", "hmt_residence": "港澳台居民居住证", "foreign_permanent": "外国人永久居留身份证"}
HMT_ADDRESS_CODES = ("810000", "820000", "830000")
# Province-level codes of GB/T 2260 on the mainland, where permanent residence is applied for.
PROVINCES = frozenset("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
                      "61 62 63 64 65".split())
_OLD_FOREIGN = re.compile(r"[A-Z]{3}\d{12}")
_LAST_OLD_FOREIGN_CARD = date(2023, 11, 30)  # 18-character cards from 1 December 2023


class InvalidIdNumber(ValueError):
    """The number cannot be an identity number of the kind given; the message says why, in Chinese."""


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    sex: str | None  # "M" | "F"; None where the number does not say (15-character permanent residence)
    place_code: str  # 6 digits: the address code, or for a foreigner the province of application
    warnings: tuple[str, ...] = ()
    kind: str = "resident"


def check_digit(number: str) -> str:
    """The check character for the first 17 digits of `number` (17 or 18 characters long)."""
    return _ric.calc_check_digit(number[:17] + "0")  # stdnum expects a check place and ignores it


def normalise(value: str) -> str:
    """Roster cells bring full-width characters, inner spaces and a lower-case x."""
    return "".join(unicodedata.normalize("NFKC", value or "").split()).upper()


def detect_kind(value: str) -> str:
    """The kind a number's shape points to, for roster rows that do not say; resident otherwise."""
    number = normalise(value)
    if len(number) == 18 and number[:6] in HMT_ADDRESS_CODES:
        return "hmt_residence"
    if (len(number) == 18 and number[0] == "9") or _OLD_FOREIGN.fullmatch(number):
        return "foreign_permanent"
    return "resident"


def parse_identity(kind: str, value: str, *, today: date | None = None) -> IdNumber:
    parse = {"resident": _resident, "hmt_residence": _hmt_residence, "foreign_permanent": _foreign}.get(kind)
    if parse is None:
        raise ValueError(f"未知的证件类型：{kind}（应为{'、'.join(KINDS)}之一）")
    return parse(normalise(value), today or date.today())


def parse_id_number(value: str, *, today: date | None = None) -> IdNumber:
    return parse_identity("resident", value, today=today)


def _resident(number: str, today: date) -> IdNumber:
    label = "身份证号码"
    _require_gb11643_form(number, label)
    birth, sex = _check_birth_sex(number, label, today)
    warnings = () if _place_known(number[:6], number[6:10]) else (
        f"地址码 {number[:6]} 不在行政区划代码表中（或晚于出生年份启用），请核对",)
    return IdNumber(number, birth, sex, number[:6], warnings, "resident")


@lru_cache(maxsize=65536)
def _place_known(place: str, year: str) -> bool:
    """stdnum's place table lookup, by place code and birth year: slow, and the same for millions of rows."""
    sample = f"{place}{year}0101001"
    try:
        _ric.get_birth_place(sample + _ric.calc_check_digit(sample + "0"))
    except _StdnumError:
        return False
    return True


def _hmt_residence(number: str, today: date) -> IdNumber:
    label = "港澳台居民居住证号码"
    _require_gb11643_form(number, label)
    if number[:6] not in HMT_ADDRESS_CODES:
        raise InvalidIdNumber(f"{label}的地址码应为810000、820000或830000")
    birth, sex = _check_birth_sex(number, label, today)
    return IdNumber(number, birth, sex, number[:6], (), "hmt_residence")


def _foreign(number: str, today: date) -> IdNumber:
    label = "外国人永久居留身份证号码"
    if len(number) == 15:
        return _old_foreign(number, label, today)
    if len(number) != 18:
        raise InvalidIdNumber(f"{label}应为18位（2023年12月起签发）或15位（此前签发）")
    _require_gb11643_form(number, label)
    if number[0] != "9":
        raise InvalidIdNumber(f"{label}（18位）应以9开头")
    _require_province(number[1:3], label, "第2-3位")
    birth, sex = _check_birth_sex(number, label, today)
    return IdNumber(number, birth, sex, number[1:3] + "0000", (), "foreign_permanent")


def _old_foreign(number: str, label: str, today: date) -> IdNumber:
    if not _OLD_FOREIGN.fullmatch(number):
        raise InvalidIdNumber(f"{label}（15位）应为3个字母加12位数字")
    _require_province(number[3:5], label, "第4-5位")
    # YYMMDD has no century, and these numbers were issued until November 2023. A year that fits
    # both centuries (00-23) is read as 20YY, since 19YY would make the holder over 100, with a warning.
    yy, mm, dd = (int(number[i:i + 2]) for i in (7, 9, 11))
    readings = []
    for century in (2000, 1900):
        try:
            readings.append(date(century + yy, mm, dd))
        except ValueError:
            pass
    if not readings:
        raise InvalidIdNumber(f"{label}中的出生日期不存在")
    readings = [d for d in readings if d <= min(today, _LAST_OLD_FOREIGN_CARD)]
    if not readings:
        raise InvalidIdNumber(f"{label}中的出生日期不合理")
    warnings = ()
    if len(readings) == 2:
        warnings = (f"号码中的出生年份只有两位，已按{readings[0].year}年登记，请与证件核对（也可能是{readings[1].year}年）",)
    return IdNumber(number, readings[0], None, number[3:5] + "0000", warnings, "foreign_permanent")


def _require_gb11643_form(number: str, label: str) -> None:
    if len(number) != 18:
        raise InvalidIdNumber(f"{label}应为18位")
    if not number[:17].isdigit() or number[17] not in "0123456789X":
        raise InvalidIdNumber(f"{label}前17位应为数字，末位为数字或X")


def _require_province(code: str, label: str, where: str) -> None:
    if code not in PROVINCES:
        raise InvalidIdNumber(f"{label}{where}应为受理地的省级行政区代码，{code}不是")


def _check_birth_sex(number: str, label: str, today: date) -> tuple[date, str]:
    """Check character, birth date and sex, at the same places in every 18-character kind."""
    if number[17] != check_digit(number):
        raise InvalidIdNumber(f"{label}校验位不正确")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber(f"{label}中的出生日期不存在") from None
    if birth > today or birth.year < 1890:
        raise InvalidIdNumber(f"{label}中的出生日期不合理")
    return birth, "M" if int(number[16]) % 2 else "F"


def make_id_number(place_code: str, birth: date, sequence: int, sex: str) -> str:
    """A well-formed number for demo data: sequence 0..499 picks the order code's parity by sex."""
    order = sequence * 2 + (1 if sex == "M" else 0)
    first17 = f"{place_code}{birth:%Y%m%d}{order:03d}"
    return first17 + check_digit(first17)
