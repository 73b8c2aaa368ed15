"""A policy version's parameter file: every amount, rate and rule of the region, each with its clause.

A parameter is a TOML table `{ value = …, clause = "…" }`; a section groups parameters and names the
rule function that reads it (`rule = "per_diem"`). Amount values are strings of yuan ("60.00"), rate
values strings of fractions ("0.70"); a per-grade value is a table by grade, where `severe` stands
for `severe_1`, `severe_2` and `severe_3` together.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import PolicyError
from .money import to_fen, to_ppm

SEVERE = ("severe_1", "severe_2", "severe_3")


class ParamsDataError(ValueError):
    """A parameter file is malformed: the message names the file and the parameter."""


@dataclass(frozen=True)
class Param:
    value: object
    clause: str
    path: str  # e.g. "benefit.modes.home_visit.amount", for error messages


def _expand_grades(table: dict) -> dict:
    out = {}
    for key, value in table.items():
        for grade in SEVERE if key == "severe" else (key,):
            out.setdefault(grade, value)
    return out


class Section:
    """A table of a parameter file, with typed access that names the parameter on any error."""

    def __init__(self, data: dict, path: str, source: str):
        self._data = data
        self.path = path
        self.source = source

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def _where(self, key: str) -> str:
        return f"{self.source}: {self.path}.{key}" if self.path else f"{self.source}: {key}"

    def section(self, key: str) -> Section:
        node = self._data.get(key)
        if not isinstance(node, dict):
            raise ParamsDataError(f"{self._where(key)}: missing section")
        return Section(node, f"{self.path}.{key}" if self.path else key, self.source)

    def sections(self, key: str) -> dict[str, Section]:
        parent = self.section(key)
        return {name: parent.section(name) for name in parent.keys()}

    def keys(self):
        return [k for k, v in self._data.items() if isinstance(v, dict)]

    def get(self, key: str, default=None):
        return self._data.get(key, default)

    def text(self, key: str) -> str:
        value = self._data.get(key)
        if not isinstance(value, str):
            raise ParamsDataError(f"{self._where(key)}: expected a string")
        return value

    def param(self, key: str) -> Param:
        node = self._data.get(key)
        if not isinstance(node, dict) or "value" not in node or not isinstance(node.get("clause"), str):
            raise ParamsDataError(f"{self._where(key)}: expected {{ value = …, clause = \"…\" }}")
        return Param(node["value"], node["clause"], f"{self.path}.{key}")

    def by(self, key: str) -> str:
        """What a table-valued parameter is keyed by: `grade` unless it says `by = "scheme"`."""
        by = self._data[key].get("by", "grade")
        if by not in ("grade", "scheme", "category"):
            raise ParamsDataError(f"{self._where(key)}: by must be grade, scheme or category")
        return by

    def list(self, key: str) -> list[Section]:
        """An array of tables (`[[…lines]]`)."""
        items = self._data.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ParamsDataError(f"{self._where(key)}: expected an array of tables")
        return [Section(item, f"{self.path}.{key}[{i}]", self.source) for i, item in enumerate(items)]

    def _convert(self, key: str, convert) -> tuple[object, str]:
        p = self.param(key)
        try:
            if isinstance(p.value, dict):
                return {k: convert(v, p.path) for k, v in _expand_grades(p.value).items()}, p.clause
            return convert(p.value, p.path), p.clause
        except PolicyError as exc:
            raise ParamsDataError(f"{self._where(key)}: {exc.message}") from None

    def fen(self, key: str):
        """An amount, or a per-grade table of amounts, in fen; with its clause."""
        return self._convert(key, lambda v, f: to_fen(v, f))

    def rate(self, key: str):
        """A rate, or a per-grade table of rates, in ppm; with its clause."""
        return self._convert(key, lambda v, f: to_ppm(v, f))

    def integer(self, key: str):
        return self._convert(key, _integer)

    def values(self, key: str) -> tuple[list, str]:
        p = self.param(key)
        if not isinstance(p.value, list):
            raise ParamsDataError(f"{self._where(key)}: expected a list value")
        return p.value, p.clause

    def flag(self, key: str) -> tuple[object, str]:
        p = self.param(key)
        return p.value, p.clause

    def items(self):
        return self._data.items()


def _integer(value, field):
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"expected a whole number, got {value!r}", field)
    return value


def load_params(path: Path) -> Section:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ParamsDataError(f"{path}: the parameter file of this policy version is missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParamsDataError(f"{path}: {exc}") from None
    return Section(data, "", str(path))
