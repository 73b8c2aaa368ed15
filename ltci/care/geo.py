"""Coordinates as phones report them (WGS-84) and the distance between two of them."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

EARTH_RADIUS_M = 6_371_008.8  # the mean radius: within 0.5 % of the ellipsoid at these distances


def coordinate(value, low: int, high: int, field: str) -> Decimal:
    """A latitude or longitude in range, to the micro-degree (about 0.1 m); a clear error otherwise."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "请填写数字坐标（WGS-84）"}) from None
    if not number.is_finite() or not low <= number <= high:
        raise ValidationError({field: f"坐标超出范围（{low}～{high}）"})
    return number.quantize(Decimal("0.000001"))


def point(latitude, longitude, prefix: str = "") -> tuple[Decimal, Decimal]:
    return (coordinate(latitude, -90, 90, f"{prefix}latitude"),
            coordinate(longitude, -180, 180, f"{prefix}longitude"))


def distance_m(lat1, lon1, lat2, lon2) -> int:
    """Great-circle distance in whole metres (haversine)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a))))
