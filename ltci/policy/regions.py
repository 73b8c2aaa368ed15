"""The regions the platform runs and their policy versions, read from params/<region>/region.toml.

A region is one folder; adding a region is adding a folder. Nothing here knows of Django: the
`regions` app copies these records into the database so that other records can point at them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PARAMS_DIR = Path(__file__).parent / "params"

POOLING_LEVELS = {"city": "市级统筹", "district": "区级统筹", "municipal": "直辖市统筹"}


class RegionDataError(ValueError):
    """A region file is malformed: the message names the file and the field."""


@dataclass(frozen=True)
class District:
    code: str  # the 6-digit administrative division code (GB/T 2260)
    name: str


@dataclass(frozen=True)
class PolicyVersion:
    code: str
    title: str
    document: str
    valid_from: date
    valid_to: date | None  # None: open-ended
    seed: str  # the source file in shared/seeds

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    province: str
    pooling_level: str
    id_prefixes: tuple[str, ...]  # division codes that ID numbers of local people start with
    districts: tuple[District, ...]
    versions: tuple[PolicyVersion, ...]
    division: str = ""  # the pooling area's own division code (GB/T 2260): reference numbers carry it
    centre: tuple[float, float] | None = None  # (latitude, longitude), WGS-84: where the demo places people

    def version_on(self, day: date) -> PolicyVersion | None:
        return next((v for v in self.versions if v.covers(day)), None)


def _required(data: dict, key: str, where: str):
    if key not in data:
        raise RegionDataError(f"{where}: missing field {key!r}")
    return data[key]


def _date(value, where: str) -> date:
    if isinstance(value, date):
        return value
    raise RegionDataError(f"{where}: expected a date (YYYY-MM-DD), got {value!r}")


def load_region(path: Path) -> Region:
    where = str(path)
    with path.open("rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise RegionDataError(f"{where}: {exc}") from exc
    level = _required(data, "pooling_level", where)
    if level not in POOLING_LEVELS:
        raise RegionDataError(f"{where}: pooling_level must be one of {sorted(POOLING_LEVELS)}")
    versions = []
    for i, v in enumerate(_required(data, "versions", where)):
        vw = f"{where} versions[{i}]"
        valid_to = v.get("valid_to")
        version = PolicyVersion(
            code=_required(v, "code", vw),
            title=_required(v, "title", vw),
            document=_required(v, "document", vw),
            valid_from=_date(_required(v, "valid_from", vw), vw),
            valid_to=_date(valid_to, vw) if valid_to is not None else None,
            seed=v.get("seed", ""),
        )
        if version.valid_to is not None and version.valid_to < version.valid_from:
            raise RegionDataError(f"{vw}: valid_to is before valid_from")
        versions.append(version)
    versions.sort(key=lambda v: v.valid_from)
    for a, b in zip(versions, versions[1:]):
        if a.valid_to is None or a.valid_to >= b.valid_from:
            raise RegionDataError(f"{where}: versions {a.code} and {b.code} overlap")
    districts = tuple(
        District(code=str(_required(d, "code", where)), name=_required(d, "name", where))
        for d in _required(data, "districts", where)
    )
    return Region(
        code=_required(data, "code", where),
        name=_required(data, "name", where),
        province=_required(data, "province", where),
        pooling_level=level,
        id_prefixes=tuple(_required(data, "id_prefixes", where)),
        districts=districts,
        versions=tuple(versions),
        division=str(data.get("division") or _division_of(level, districts, where)),
        centre=_centre(data.get("centre"), where),
    )


def _centre(value, where: str) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        lat, lon = float(value["latitude"]), float(value["longitude"])
    except (TypeError, KeyError, ValueError) as exc:
        raise RegionDataError(f"{where}: centre must be {{ latitude = …, longitude = … }} in degrees") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise RegionDataError(f"{where}: centre ({lat}, {lon}) is not a point on Earth")
    return lat, lon


def _division_of(level: str, districts: tuple[District, ...], where: str) -> str:
    """A region file without `division`: its city's code (a city's pool) or its district's."""
    if not districts:
        raise RegionDataError(f"{where}: missing field 'division'")
    code = districts[0].code
    return code[:4] + "00" if level == "city" else code


def load_regions(params_dir: Path = PARAMS_DIR) -> dict[str, Region]:
    """Every region under params_dir, by code, in a stable order."""
    regions = {}
    for path in sorted(params_dir.glob("*/region.toml")):
        region = load_region(path)
        if region.code != path.parent.name:
            raise RegionDataError(f"{path}: code {region.code!r} differs from its folder name")
        regions[region.code] = region
    return regions
