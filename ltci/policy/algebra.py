"""The few operations a rule needs, for one person (Python ints) or for a frame (Polars expressions).

A rule is written once against an `Algebra` and a row: `row.grade`, `row.eligible_days` are plain
values in the scalar path and column expressions in the batch path. Arithmetic (`+ - * //`) and
comparisons work the same on both; what differs (min, if-then-else, lookups, list membership) goes
through these methods. This is how the two ways in give one answer by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .errors import PolicyError


class ScalarAlgebra:
    batch = False

    @staticmethod
    def minimum(a, b):
        return min(a, b)

    @staticmethod
    def maximum(a, b):
        return max(a, b)

    @staticmethod
    def where(cond, then, otherwise):
        return then if cond else otherwise

    @staticmethod
    def lookup(key, mapping: Mapping, field: str):
        try:
            return mapping[key]
        except KeyError:
            raise PolicyError(f"{key!r} is not one of {sorted(mapping)}", field) from None

    @staticmethod
    def has_any(groups: Iterable[str], names: Iterable[str]):
        return not set(groups).isdisjoint(names)

    @staticmethod
    def is_in(value, names: Iterable[str]):
        return value in set(names)

    @staticmethod
    def pick(key, values: Mapping):
        """The value for `key` among per-key values (expressions in the batch path)."""
        return values[key]


class PolarsAlgebra:
    batch = True

    def __init__(self):
        import polars as pl

        self.pl = pl

    def _expr(self, value):
        if isinstance(value, self.pl.Expr):
            return value
        # Amounts in fen times rates in ppm outgrow 32 bits: every integer literal is Int64.
        if isinstance(value, int) and not isinstance(value, bool):
            return self.pl.lit(value, dtype=self.pl.Int64)
        return self.pl.lit(value)

    def minimum(self, a, b):
        return self.pl.min_horizontal(self._expr(a), self._expr(b))

    def maximum(self, a, b):
        return self.pl.max_horizontal(self._expr(a), self._expr(b))

    def where(self, cond, then, otherwise):
        return self.pl.when(cond).then(self._expr(then)).otherwise(self._expr(otherwise))

    def lookup(self, key, mapping: Mapping, field: str):
        # Unknown keys are refused row by row before the rules run (batch validation). A chain of
        # comparisons measured several times faster than replace_strict for these few keys.
        return self.pick(key, mapping)

    def is_in(self, value, names: Iterable[str]):
        return value.is_in(list(names))

    def pick(self, key, values: Mapping):
        expr = None
        for k, v in values.items():
            expr = (self.pl.when(key == k) if expr is None else expr.when(key == k)).then(self._expr(v))
        return expr.otherwise(None)

    def has_any(self, groups, names: Iterable[str]):
        names = list(names)
        if not names:
            return self.pl.lit(False)
        return groups.list.eval(self.pl.element().is_in(names)).list.any()


class Row:
    """Scalar row: attribute access to a person-month's plain values."""

    def __init__(self, **values):
        self.__dict__.update(values)


class Columns:
    """Batch row: attribute access gives the column expression of that name."""

    def __init__(self):
        import polars as pl

        self._pl = pl

    def __getattr__(self, name):
        return self._pl.col(name)


SCALAR = ScalarAlgebra()
