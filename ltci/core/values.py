"""Reading one cell of an imported row: dates, amounts and choices, with the reason in Chinese."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError

from .money import Kind, parse_money

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


def parse_amount(value, kind: Kind) -> Decimal:
    """An amount of yuan in a cell, by the one parser of hand-typed money (ltci.core.money)."""
    try:
        return parse_money(value, kind)
    except ValidationError as exc:
        raise BadValue(exc.messages[0]) from None


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
