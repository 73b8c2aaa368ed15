"""The one parser of hand-typed money: plain decimal text, two decimals at most, no exponent, no NaN
or Infinity, within the kind's range; the refusal names the field and says why in Chinese."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ltci.core.money import BUDGET_LINE, FEE, Kind, optional_money, parse_money, yuan_text

D = Decimal
SMALL = Kind("测试金额", D("1000.00"))


@pytest.mark.parametrize("typed, amount", [
    ("12", D("12.00")), ("12.5", D("12.50")), ("12.34", D("12.34")), (" 1,000 ", D("1000.00")),
    ("+7", D("7.00")), ("1000.00", D("1000.00")), (12, D("12.00")), (D("12.30"), D("12.30")), (12.5, D("12.50")),
    (D("1E+2"), D("100.00")),  # a Decimal from code is read by value
])
def test_plain_amounts_are_read_to_the_fen(typed, amount):
    assert parse_money(typed, SMALL) == amount


@pytest.mark.parametrize("typed, message", [
    ("1e9", "测试金额不能用科学计数法（如 1e9），请写出完整的金额：1e9"),
    ("1E+6", "测试金额不能用科学计数法（如 1e9），请写出完整的金额：1E+6"),
    ("-5", "测试金额不能为负数：-5"),
    ("0.001", "测试金额最多两位小数（精确到分）：0.001"),
    ("NaN", "测试金额应为金额数字，不能是 NaN"),
    ("Infinity", "测试金额应为金额数字，不能是 Infinity"),
    ("-inf", "测试金额应为金额数字，不能是 -inf"),
    ("abc", "测试金额应为金额数字，最多两位小数，如 1234.56：abc"),
    ("12,34", "测试金额应为金额数字，最多两位小数，如 1234.56：12,34"),
    ("", "请填写测试金额"),
    ("0", "测试金额应大于0"),
    ("1000.01", "测试金额 1,000.01 元超过上限 1,000.00 元"),
    (float("nan"), "测试金额应为金额数字，不能是 nan"),
    (D("NaN"), "测试金额应为金额数字，不能是 NaN"),
    (True, "测试金额应为金额数字，如 1234.56"),
    (None, "测试金额应为金额数字，如 1234.56"),
    ("1" * 40, "测试金额 " + yuan_text(D("1" * 40)) + " 元超过上限 1,000.00 元"),
])
def test_what_cannot_be_money_is_refused_with_the_field_and_why(typed, message):
    with pytest.raises(ValidationError) as exc:
        parse_money(typed, SMALL, "amount")
    assert exc.value.message_dict == {"amount": [message]}


def test_a_kind_may_allow_zero_and_a_caller_may_tighten_the_maximum():
    assert parse_money("0", BUDGET_LINE, "lines") == D("0.00")
    with pytest.raises(ValidationError) as exc:
        parse_money("600.00", FEE, "amount", label="经办服务费", maximum=D("500.00"), why_maximum="本年度余额")
    assert exc.value.message_dict == {"amount": ["经办服务费 600.00 元超过上限 500.00 元（本年度余额）"]}
    assert optional_money("  ", FEE, "amount") is None and optional_money(None, FEE, "amount") is None


def test_amounts_are_written_with_thousands_and_two_places():
    assert yuan_text(D("1000000000")) == "1,000,000,000.00" and yuan_text(D("0.5")) == "0.50"
