"""Reading one cell of an imported row: dates, amounts and choices, with the reason in Chinese."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

_DATE = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?$")


class BadValue(ValueError):
    """A cell that cannot be read: the message says why."""


def parse_date(value) -> date:
    if isinstance(value, date):
        return value
    m = _DATE.match(str(value).strip())
    if not m:
        raise BadValue(f"日期格式应为 YYYY-MM-DD：{value}")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise BadValue(f"日期不存在：{value}") from None


def parse_amount(value) -> Decimal:
    text = str(value).strip().replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise BadValue(f"金额应为数字：{value}") from None
    if not amount.is_finite():
        raise BadValue(f"金额应为数字：{value}")
    if amount.adjusted() >= 10:  # before quantize, which fails on numbers this large
        raise BadValue(f"金额过大：{value}")
    if amount != amount.quantize(Decimal("0.01")):
        raise BadValue(f"金额最多两位小数：{value}")
    if amount < 0:
        raise BadValue(f"金额不能为负数：{value}")
    return amount.quantize(Decimal("0.01"))


def choice_map(choices, **aliases: str) -> dict[str, str]:
    """What a cell may say for a TextChoices: its codes, its Chinese labels, and other usual words."""
    return {label: code for code, label in choices.choices} | {code: code for code in choices.values} | {
        alias: code for alias, code in aliases.items()}


def db_money(value) -> Decimal:
    """A sum of a decimal column as the database returns it (SQLite: a float or an integer) in yuan."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def parse_choice(value, choices: dict[str, str], what: str) -> str:
    """A code from its code or any of its Chinese labels (`choices`: label or code → code)."""
    text = str(value).strip()
    if text in choices:
        return choices[text]
    raise BadValue(f"{what}应为{'、'.join(sorted({k for k in choices if not k.isascii()}))}之一：{text}")
