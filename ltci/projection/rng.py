"""Counter-based random numbers in Polars (as bench/generate.py): a SplitMix64 hash of (seed, stream,
index), so a run depends only on its seed, not on threads or chunking. Normal variates by Box–Muller."""

from __future__ import annotations

import math

import polars as pl

_U64 = pl.UInt64
_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _lit(v: int) -> pl.Expr:
    return pl.lit(v & _MASK, dtype=_U64)


def _shr(e: pl.Expr, k: int) -> pl.Expr:
    return e // _lit(1 << k)


def _mix(z: pl.Expr) -> pl.Expr:
    z = (z ^ _shr(z, 30)) * _lit(0xBF58476D1CE4E5B9)
    z = (z ^ _shr(z, 27)) * _lit(0x94D049BB133111EB)
    return z ^ _shr(z, 31)


def _uniform(seed: int, stream: int) -> pl.Expr:
    key = _mix(_lit(seed * 0x632BE59BD9B4E019 + stream * 0xD1B54A32D192ED03 + 1))
    z = _mix(pl.col("_i") * _lit(_GOLDEN) + key)
    return (_shr(z, 11).cast(pl.Float64) + 0.5) * (1.0 / (1 << 53))  # in (0, 1)


def normals(n: int, seed: int, stream: int) -> pl.Series:
    """n standard normal variates (Box–Muller on two uniform streams)."""
    frame = pl.DataFrame({"_i": pl.int_range(0, n, dtype=_U64, eager=True)})
    u1, u2 = _uniform(seed, 2 * stream), _uniform(seed, 2 * stream + 1)
    z = (-2.0 * u1.log()).sqrt() * (2.0 * math.pi * u2).cos()
    return frame.select(z.alias("z"))["z"]
