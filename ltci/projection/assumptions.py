"""The assumptions of a projection: every value with its source, from `assumptions/default.toml`, the
region's own file where it has one, and a file the user names; values estimated from the region's data
replace them, with a source saying how."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent / "assumptions"


class AssumptionsError(ValueError):
    pass


@dataclass(frozen=True)
class Assumption:
    key: str
    value: object
    source: str
    origin: str  # the file it was read from, or "estimated"


def _leaves(table: dict, prefix: str, origin: str, out: dict) -> None:
    for name, item in table.items():
        key = f"{prefix}{name}"
        if not isinstance(item, dict):
            raise AssumptionsError(f"{origin}: {key}: every assumption is a table with `value` and `source`")
        if "source" in item or "value" in item:
            if not str(item.get("source", "")).strip():
                raise AssumptionsError(f"{origin}: {key}: a value needs its source (`source = \"…\"`)")
            if "value" not in item:
                raise AssumptionsError(f"{origin}: {key}: `value` is missing")
            out[key] = Assumption(key, item["value"], " ".join(str(item["source"]).split()), origin)
        else:
            _leaves(item, f"{key}.", origin, out)


class Assumptions:
    def __init__(self, items: dict[str, Assumption]):
        self.items = dict(items)

    def __contains__(self, key: str) -> bool:
        return key in self.items

    def __getitem__(self, key: str):
        if key not in self.items:
            raise AssumptionsError(f"assumption {key!r} is missing")
        return self.items[key].value

    def number(self, key: str) -> float:
        return float(self[key])

    def estimate(self, key: str, value, source: str) -> None:
        """Replace a value by one estimated from the region's data."""
        self.items[key] = Assumption(key, value, source, "estimated")

    def listing(self) -> list[dict]:
        return [{"key": a.key, "value": a.value, "source": a.source, "origin": a.origin} for a in self.items.values()]


def load(region: str, extra: Path | None = None) -> Assumptions:
    items: dict[str, Assumption] = {}
    files = [HERE / "default.toml", HERE / f"{region}.toml"] + ([Path(extra)] if extra else [])
    for path in files:
        if not path.exists():
            if path == Path(extra or ""):
                raise AssumptionsError(f"{path}: no such file")
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise AssumptionsError(f"{path}: {exc}") from None
        _leaves(data, "", path.name, items)
    return Assumptions(items)
