"""Money on pages: `{% load money %}{{ amount|yuan }}` → 1,234.50 (two decimals, thousands separated,
rounded half-up once). A sum of decimals read back from SQLite may carry float noise
(1751.62000000000): it is shown as the fen it is."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

from ltci.core.money import yuan_text

register = template.Library()
CENT = Decimal("0.01")


@register.filter
def yuan(value, none: str = "0.00") -> str:
    """`{{ x|yuan }}`; `{{ x|yuan:"—" }}` where no amount is not zero (a budget not set)."""
    if value in (None, ""):
        return none
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    return yuan_text(amount)


@register.filter
def percent(value) -> str:
    """A share as people read it: 0.02 → 2%, 0.025 → 2.5%; nothing known → —."""
    if value in (None, ""):
        return "—"
    try:
        share = Decimal(str(value)) * 100
    except (InvalidOperation, ValueError):
        return str(value)
    text = f"{share.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return f"{text}%"
