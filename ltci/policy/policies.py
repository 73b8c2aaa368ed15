"""The policy in force: a region, the version that covers a date, and that version's parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from .errors import PolicyError
from .params import Section, load_params
from .regions import PARAMS_DIR, PolicyVersion, Region, load_regions


@dataclass(frozen=True)
class Policy:
    region: Region
    version: PolicyVersion
    params: Section

    def cite(self, clause: str) -> str:
        """A clause as results show it: `xuzhou 五(三)1`; the platform's own rules P1–P6 (regions.md),
        which no regional document states, as `平台规则 P6`."""
        if PLATFORM_RULE.fullmatch(clause):
            return f"平台规则 {clause}"
        return f"{self.region.code} {clause}"


PLATFORM_RULE = re.compile(r"P[1-6]")


@lru_cache(maxsize=8)
def _regions(params_dir: Path) -> dict[str, Region]:
    return load_regions(params_dir)


@lru_cache(maxsize=64)
def _params(path: Path) -> Section:
    return load_params(path)


def region(code: str, params_dir: Path = PARAMS_DIR) -> Region:
    regions = _regions(Path(params_dir))
    if code not in regions:
        raise PolicyError(f"unknown region {code!r}; known: {', '.join(regions)}", "region")
    return regions[code]


def policy_on(code: str, on: date, params_dir: Path = PARAMS_DIR) -> Policy:
    """The policy of region `code` in force on `on`; a date no version covers is an error."""
    reg = region(code, params_dir)
    version = reg.version_on(on)
    if version is None:
        spans = "; ".join(f"{v.code} {v.valid_from}–{v.valid_to or '…'}" for v in reg.versions)
        raise PolicyError(f"no policy version of {reg.code} covers {on.isoformat()} (versions: {spans})", "on",
                          reason=uncovered_reason(reg, on))
    return Policy(reg, version, _params(Path(params_dir) / reg.code / f"{version.code}.toml"))


def uncovered_reason(reg: Region, on: date) -> str:
    """Why no policy answers for `on`, in Chinese: before the region's first version, or in a gap."""
    first = min((v.valid_from for v in reg.versions), default=None)
    if first is None:
        return f"{reg.name}尚无长护险政策"
    if on < first:
        return f"{on:%Y-%m-%d}早于{reg.name}长护险政策的施行日期（{first:%Y-%m-%d}）"
    return f"{on:%Y-%m-%d}不在{reg.name}长护险政策的施行期内"


def policy_carried_on(code: str, on: date, params_dir: Path = PARAMS_DIR) -> tuple[Policy, bool]:
    """The policy in force on `on`, or, after the region's last version ended, that version with
    True: the process steps of an assessment carry on under it (docs/decisions/0004), and so does
    the monthly settlement, which marks what it computed so (0007). Questions, scenarios and
    contributions use `policy_on`: a date no version covers is an error there."""
    try:
        return policy_on(code, on, params_dir), False
    except PolicyError:
        earlier = [v for v in region(code, params_dir).versions if v.valid_from <= on]
        if not earlier:
            raise
        last = max(earlier, key=lambda v: v.valid_from)
        return policy_on(code, last.valid_from, params_dir), True


PLATFORM_FILE = "platform.toml"


def setting(code: str, on: date, section: str, key: str, params_dir: Path = PARAMS_DIR) -> tuple[object, str]:
    """(value, basis) of a setting: the region's own, from the version in force (or carried on) on
    `on`, else the platform default of `params/platform.toml`; the basis says which, in words."""
    try:
        policy, _ = policy_carried_on(code, on, params_dir)
    except PolicyError:
        policy = None
    if policy is not None and section in policy.params and key in policy.params.section(section):
        p = policy.params.section(section).param(key)
        return p.value, policy.cite(p.clause)
    p = _params(Path(params_dir) / PLATFORM_FILE).section(section).param(key)
    return p.value, f"{p.clause}（本地区政策文件未作规定）"


def clear_caches() -> None:
    """Forget loaded files (tests that write a region into a temporary directory)."""
    _regions.cache_clear()
    _params.cache_clear()
