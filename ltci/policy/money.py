"""Amounts and rates as exact integers: amounts in fen, rates in parts per million.

The engine computes in integers so that the scalar and the Polars paths agree to the fen; a line's
amount is rounded half-up once, from its exact rational value (`div_half_up`).
"""

from decimal import Decimal, InvalidOperation

from .errors import PolicyError

FEN = Decimal("0.01")
RATE_SCALE = 1_000_000  # a rate of 1 (100 %) in parts per million
# The largest amount an input may carry: 99,999,999.99 yuan. It keeps every intermediate product
# (amount × rate in ppm × days in a month, doubled for rounding) far inside int64, which the batch
# path computes in, and it fits the results' decimal(12,2).
MAX_FEN = 9_999_999_999


def to_decimal(value, field: str) -> Decimal:
    if isinstance(value, bool):
        raise PolicyError(f"expected a number, got {value!r}", field)
    if isinstance(value, float):
        value = repr(value)  # YAML floats: their shortest repr is what the author wrote
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise PolicyError(f"expected a number, got {value!r}", field) from None


def to_fen(value, field: str, *, allow_negative: bool = False) -> int:
    """An amount in yuan (at most two decimals) as integer fen."""
    amount = to_decimal(value, field)
    if not amount.is_finite():
        raise PolicyError(f"expected an amount, got {value!r}", field)
    if amount != amount.quantize(FEN):
        raise PolicyError(f"an amount has at most two decimals (fen), got {value!r}", field)
    if amount < 0 and not allow_negative:
        raise PolicyError(f"an amount cannot be negative, got {value!r}", field)
    if abs(amount) * 100 > MAX_FEN:
        raise PolicyError(f"an amount is at most {yuan(MAX_FEN):,} yuan, got {value!r}", field)
    return int(amount * 100)


def to_ppm(value, field: str) -> int:
    """A rate or share (0.70, 0.0015) as integer parts per million, exactly."""
    rate = to_decimal(value, field)
    ppm = rate * RATE_SCALE
    if not rate.is_finite() or ppm != ppm.to_integral_value() or rate < 0:
        raise PolicyError(f"a rate is a non-negative number with at most six decimals, got {value!r}", field)
    return int(ppm)


def yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def div_half_up(num, den):
    """num / den rounded half-up, for num >= 0 and den > 0 (ints or Polars expressions alike)."""
    return (2 * num + den) // (2 * den)


def fmt_yuan(fen: int) -> str:
    """An amount for an explanation: 60, 1395.50 (no trailing .00 on whole yuan)."""
    return str(fen // 100) if fen % 100 == 0 else str(yuan(fen))


def fmt_rate(ppm: int) -> str:
    """A share for an explanation: 75%, 0.15%."""
    pct = Decimal(ppm) / (RATE_SCALE // 100)
    return f"{pct.normalize():f}%"
