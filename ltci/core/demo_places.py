"""Where the demo puts things: points around a region's centre, read from its `region.toml`, so that a
region added by its data files alone gets homes and institutions on its own map."""

from __future__ import annotations

from decimal import Decimal

from ltci.policy.policies import region as region_of


class NoCentre(ValueError):
    """The region's file gives no centre: the demo cannot place homes for check-in by location."""


def near(rng, region: str, spread: float = 0.03) -> tuple[Decimal, Decimal]:
    """A point within `spread` degrees (about 3 km at 0.03) of the region's centre, to six decimals."""
    centre = region_of(region).centre
    if centre is None:
        raise NoCentre(f"{region}/region.toml has no centre = {{ latitude = …, longitude = … }}: "
                       "the demo places homes and institutions around it")
    lat, lon = centre
    return (Decimal(f"{lat + rng.uniform(-spread, spread):.6f}"), Decimal(f"{lon + rng.uniform(-spread, spread):.6f}"))
