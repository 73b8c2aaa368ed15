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
    # The date asked is after the version's end on paper and no newer version has started: the
    # version stays in force (延续执行), the platform's one rule, as its decision record explains.
    carried_on: bool = False

    @property
    def ended_on(self) -> date | None:
        """The date the version ended on paper, when it is carried on past it."""
        return self.version.valid_to if self.carried_on else None

    @property
    def standing(self) -> str:
        """How the version applies, in words: empty within its term, else 延续执行 and its paper end."""
        return f"延续执行（文件原定{self.version.valid_to:%Y-%m-%d}到期）" if self.carried_on else ""

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


@lru_cache(maxsize=4096)  # a page of a city's applications asks once a row, each on its day
def policy_on(code: str, on: date, params_dir: Path = PARAMS_DIR, *, carry_over: bool = False) -> Policy:
    """The policy of region `code` in force on `on`.

    Strictly (the scenario contract, scenarios.md) a date no version covers is an error. With
    `carry_over`, the platform's rule: after a version's end on paper, it stays in force until a
    newer one starts (延续执行), and the Policy says so (`carried_on`). A date before the region's
    first version is an error either way."""
    reg = region(code, params_dir)
    version = reg.version_on(on)
    carried = False
    if version is None:
        last = last_version_before(reg, on)
        if last is None or not carry_over:
            raise uncovered(reg, on, last)
        version, carried = last, True
    return Policy(reg, version, _params(Path(params_dir) / reg.code / f"{version.code}.toml"), carried)


def last_version_before(reg: Region, on: date) -> PolicyVersion | None:
    """The latest version that started by `on` (ended by then, when no version covers `on`)."""
    earlier = [v for v in reg.versions if v.valid_from <= on]
    return max(earlier, key=lambda v: v.valid_from) if earlier else None


def uncovered(reg: Region, on: date, last: PolicyVersion | None) -> PolicyError:
    spans = "; ".join(f"{v.code} {v.valid_from}–{v.valid_to or '…'}" for v in reg.versions)
    message = f"no policy version of {reg.code} covers {on.isoformat()} (versions: {spans})"
    if last is not None:  # the platform would carry it on: say how to ask so
        message += f"; the platform carries {last.code} on after {last.valid_to} (延续执行): run with --carry-on"
    return PolicyError(message, "on", reason=uncovered_reason(reg, on))


def uncovered_reason(reg: Region, on: date) -> str:
    """Why no policy answers for `on`, in Chinese: before the region's first version, or in a gap."""
    first = min((v.valid_from for v in reg.versions), default=None)
    if first is None:
        return f"{reg.name}尚无长护险政策"
    if on < first:
        return f"{on:%Y-%m-%d}早于{reg.name}长护险政策的施行日期（{first:%Y-%m-%d}）"
    return f"{on:%Y-%m-%d}不在{reg.name}长护险政策的施行期内"


def policy_carried_on(code: str, on: date, params_dir: Path = PARAMS_DIR) -> tuple[Policy, bool]:
    """`policy_on(carry_over=True)` with its `carried_on` flag beside it, for the callers that read both."""
    policy = policy_on(code, on, params_dir, carry_over=True)
    return policy, policy.carried_on


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


_DERIVED: dict[tuple, object] = {}


def derived(key: tuple, make):
    """A value made from loaded files (a version's process rules), made once and kept as the files are."""
    if key not in _DERIVED:
        _DERIVED[key] = make()
    return _DERIVED[key]


def clear_caches() -> None:
    """Forget loaded files (tests that write a region into a temporary directory)."""
    _regions.cache_clear()
    _params.cache_clear()
    policy_on.cache_clear()
    _DERIVED.clear()
