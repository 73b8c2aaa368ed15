"""Money typed by hand: the one parser for every form field, API field and imported cell that takes
an amount of yuan, and the range each kind of amount may take.

An amount is plain decimal text with at most two decimals (`1234.56`, `1,234.56`): no exponent
(`1e9` is refused, not read as a billion), no NaN or Infinity, not negative, not below the kind's
minimum and not above its maximum. A refusal names the field and says why in Chinese, with the
figures. Services call `parse_money` on whatever reaches them (text from a form or the API, a
number from an Excel cell, a Decimal from code), so no path skips it; what depends on the books
(a fee against its budget and cap, a payment against what is owed) is checked by the service after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated

from django.core.exceptions import ValidationError
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Digits, optionally grouped by thousands with commas, then at most some decimals (checked apart,
# so that `12.345` is told "two decimals at most" rather than "not a number").
_PLAIN = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$")
_SHOWN = 24  # how much of a bad input a refusal repeats


@dataclass(frozen=True)
class Kind:
    """A kind of hand-typed amount and the range that makes sense for it."""

    label: str  # how refusals name it: 经办与评估费用
    maximum: Decimal
    minimum: Decimal = CENT  # the smallest allowed; ZERO where nothing is a valid amount


# The ranges. A maximum is the largest figure a person could mean for one entry of that kind; the
# services check what depends on the books on top (a fee's budget line and cap, a payment's bill,
# a fine's case). docs/decisions/0013 gives the reasons.
FEE = Kind("费用金额", Decimal("100000000.00"))  # one payment of agency or assessment fees
FINE = Kind("罚款金额", Decimal("100000000.00"))  # tightened per case in supervision.sanctions
CONTRIBUTION_PAYMENT = Kind("缴费金额", Decimal("1000000.00"))  # one person's part of one period
BUDGET_LINE = Kind("预算金额", Decimal("99999999999.99"), ZERO)  # a region's year, one account
ITEM_PRICE = Kind("服务项目单价", Decimal("5000.00"), ZERO)  # one catalogue item (empty: unpriced)
AGREED_PRICE = Kind("协议价", Decimal("5000.00"))  # one item of an agreement
BED_DAY_PRICE = Kind("床日费用标准", Decimal("5000.00"))  # one day in an institution
CONTRIBUTION_BASE = Kind("缴费基数", Decimal("200000.00"), ZERO)  # a month's wage base
PENSION = Kind("上年度月养老金", Decimal("200000.00"), ZERO)  # a month's pension


def yuan_text(amount: Decimal) -> str:
    """1234567.8 → '1,234,567.80': how refusals and pages write an amount."""
    return f"{amount:,.2f}"  # no quantize: it fails beyond 28 digits, and a refusal may quote such a figure


def _shown(value) -> str:
    text = str(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _text(value) -> str | None:
    """What was typed, as text: a number from an Excel cell or a JSON body reads as it was written."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as this float: what was typed
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, (int, str)):
        return str(value)
    return None


def parse_money(value, kind: Kind, field: str = "amount", *, label: str | None = None,
                maximum: Decimal | None = None, why_maximum: str = "") -> Decimal:
    """The amount in yuan with two places, or a ValidationError naming `field` with the reason.

    `label` names the amount in the refusal (default the kind's); `maximum` tightens the kind's
    (a fine's ceiling from its case), with `why_maximum` saying where it comes from.
    """
    label = label or kind.label
    text = _text(value)
    if text is None:
        raise ValidationError({field: f"{label}应为金额数字，如 1234.56"})
    text = text.strip()
    if not text:
        raise ValidationError({field: f"请填写{label}"})
    match = _PLAIN.match(text.lstrip("+"))
    if match is None:
        raise ValidationError({field: _why_not_a_number(text, label)})
    if text.startswith("+"):
        text = text[1:]
    if match.group(1) is not None and len(match.group(1)) > 2:
        raise ValidationError({field: f"{label}最多两位小数（精确到分）：{_shown(text)}"})
    amount = Decimal(text.replace(",", ""))  # exact: at most two decimals, any length (quantize comes last)
    if amount < kind.minimum:
        raise ValidationError({field: f"{label}应大于0" if kind.minimum > 0 else f"{label}不能为负数"})
    ceiling = kind.maximum if maximum is None else min(maximum, kind.maximum)
    if amount > ceiling:
        because = why_maximum if maximum is not None and maximum < kind.maximum else ""
        raise ValidationError({field: f"{label} {yuan_text(amount)} 元超过上限 {yuan_text(ceiling)} 元"
                                      + (f"（{because}）" if because else "")})
    return amount.quantize(CENT)


def _why_not_a_number(text: str, label: str) -> str:
    bare = text.lstrip("+-").replace(",", "")
    try:
        number = Decimal(bare)
    except InvalidOperation:
        number = None
    if text.startswith("-") and number is not None and number.is_finite():
        return f"{label}不能为负数：{_shown(text)}"
    if number is not None and not number.is_finite():
        return f"{label}应为金额数字，不能是 {_shown(text)}"
    if number is not None and "e" in bare.lower():
        return f"{label}不能用科学计数法（如 1e9），请写出完整的金额：{_shown(text)}"
    return f"{label}应为金额数字，最多两位小数，如 1234.56：{_shown(text)}"


def optional_money(value, kind: Kind, field: str, **kwargs) -> Decimal | None:
    """`parse_money` for a field that may be left empty (None or blank text)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_money(value, kind, field, **kwargs)


def _as_text(value):
    """An API money field takes text (or a whole JSON number), which reaches the service's parser as
    text. A JSON number with a fraction or an exponent is refused here: it arrives as a binary float,
    in which `1e6` and `1000000` are one value and 0.1 is not exact."""
    if isinstance(value, float):
        raise PydanticCustomError("money_as_text", "金额须写成文本，如 \"1234.56\"（不接受带小数或科学计数法的 JSON 数字）")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


# An amount of yuan in an API body: text, parsed by the service with `parse_money` so that the
# refusal is the same in Chinese, with the field, as on the pages. `x-money` marks it in the
# OpenAPI schema, where tests/core/test_money_fields.py finds every one.
MoneyText = Annotated[str, BeforeValidator(_as_text), WithJsonSchema({
    "type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "examples": ["1234.56"], "x-money": True,
    "description": "金额（元），纯数字，最多两位小数；不接受科学计数法、负数、NaN"})]
