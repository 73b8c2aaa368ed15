"""统一社会信用代码 (GB 32100-2015): the check digit decides; odd-looking prefixes only warn."""

from dataclasses import dataclass

from stdnum.cn import uscc as _uscc
from stdnum.exceptions import ValidationError as _StdnumError

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class InvalidCreditCode(ValueError):
    pass


@dataclass(frozen=True)
class CreditCode:
    number: str
    warnings: tuple[str, ...] = ()


def parse_credit_code(value: str) -> CreditCode:
    number = (value or "").strip().upper().replace(" ", "")
    if len(number) != 18:
        raise InvalidCreditCode("统一社会信用代码应为18位")
    if any(c not in _ALPHABET for c in number):
        raise InvalidCreditCode("统一社会信用代码含有不允许的字符（不用 I、O、Z、S、V）")
    if number[-1] != _uscc.calc_check_digit(number):
        raise InvalidCreditCode("统一社会信用代码校验位不正确")
    warnings = []
    try:
        _uscc.validate(number)
    except _StdnumError:
        # Valid codes of some registration authorities (A, N, Y…) start with letters; stdnum refuses them.
        warnings.append("登记管理部门或机构类别代码不常见，请核对")
    return CreditCode(number, tuple(warnings))
