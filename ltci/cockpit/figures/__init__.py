"""The cockpit's figures, one concept a module, each a few aggregate queries (COUNT/SUM/GROUP BY in
the database) over the selected regions, so they stay fast at Jiaxing's size."""

from decimal import ROUND_HALF_UP, Decimal


def ratio(numerator, denominator, places: str = "0.01") -> Decimal | None:
    """numerator ÷ denominator rounded half up, or None when there is nothing to divide by."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(places), ROUND_HALF_UP)


def text(value) -> str | None:
    return None if value is None else str(value)


def one_to(carers: int, people: int) -> str | None:
    """carers : people as 1:n, n to one place (two below one: 30 carers for one person is 1:0.03)."""
    if not carers or not people:
        return None
    n = Decimal(people) / Decimal(carers)
    return f"1:{n.quantize(Decimal('0.1') if n >= 1 else Decimal('0.01'), ROUND_HALF_UP)}"
