"""Scenario files (shared/spec/scenarios.md): cases of the four questions, run and checked.

Exit status of `run_file`: 0 when every case with an `expect` matched, 1 when one did not, 2 when
the file is malformed or a case cannot be answered (the message names the case id and the field).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from . import scalar
from .errors import PolicyError
from .inputs import as_date, care_from, person_from
from .policies import policy_on
from .regions import PARAMS_DIR

KINDS = ("contribution", "eligibility", "grade", "benefit")
CASE_KEYS = {"id", "region", "kind", "on", "person", "care", "events", "scale", "expect"}
AMOUNT_FIELDS = {"fund", "personal", "total", "individual", "employer", "medical_fund", "fiscal"}


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. (YAML 1.1 reads the key `on` as True.)"""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def _timestamp(loader: _Loader, node):
    """A date as YAML reads it; one that cannot be (2024-02-30) stays text, for the case to refuse
    naming its field, instead of ending the whole file with a traceback."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


class ScenarioError(ValueError):
    """The file or a case is malformed or unanswerable; names the case and the field."""


@dataclass
class Outcome:
    id: str
    kind: str
    result: dict | None = None
    mismatches: list = field(default_factory=list)
    error: str | None = None
    expected: dict | None = None
    # Answered under a version carried on past its end (`--carry-on`): which, and its end on paper.
    carried_on: dict | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.mismatches

    def as_dict(self) -> dict:
        out = {"id": self.id, "ok": self.ok, "result": self.result, "mismatches": self.mismatches}
        if self.error:
            out["error"] = self.error
        if self.carried_on:
            out["carried_on"] = self.carried_on
        return out


def load(path: Path) -> list[dict]:
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a safe loader)
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a value YAML's own constructors refuse
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, list) or not data:
        raise ScenarioError(f"{path}: expected a non-empty list of cases")
    seen = set()
    for i, case in enumerate(data):
        if not isinstance(case, dict):
            raise ScenarioError(f"{path}: case #{i + 1}: expected a mapping")
        cid = case.get("id")
        if not isinstance(cid, str) or not cid:
            raise ScenarioError(f"{path}: case #{i + 1}: id: required")
        if cid in seen:
            raise ScenarioError(f"{path}: case {cid}: id: not unique in the file")
        seen.add(cid)
    return data


def evaluate(case: dict, params_dir: Path = PARAMS_DIR, *, carry_over: bool = False) -> dict:
    """The result of one case as a dict of the scenarios.md shape; PolicyError if unanswerable.

    scenarios.md: a date no version covers is an error. `carry_over` (`--carry-on`) asks the
    platform's rule instead: after the last version ended, it stays in force (docs/decisions/0021)."""
    unknown = set(case) - CASE_KEYS
    if unknown:
        raise PolicyError(f"unknown field; known: {', '.join(sorted(CASE_KEYS))}", sorted(unknown)[0])
    kind = case.get("kind")
    if kind not in KINDS:
        raise PolicyError(f"{kind!r} is not one of {', '.join(KINDS)}", "kind")
    region = case.get("region")
    if not isinstance(region, str):
        raise PolicyError("required", "region")
    if case.get("on") is None:
        raise PolicyError("required", "on")
    on = as_date(case["on"], "on")
    if kind == "grade":
        return scalar.grade(region, on, case.get("scale"), params_dir, carry_over=carry_over).as_dict()
    person = person_from(case.get("person"))
    if kind == "contribution":
        return scalar.contribution(region, on, person, params_dir, carry_over=carry_over).as_dict()
    if kind == "eligibility":
        return scalar.eligibility(region, on, person, params_dir, carry_over=carry_over).as_dict()
    care = care_from(case.get("care"), case.get("events"), on)
    return scalar.benefit(region, on, person, care, params_dir, carry_over=carry_over).as_dict()


def carried_on(case: dict, params_dir: Path = PARAMS_DIR) -> dict | None:
    """The version a case answered with `carry_over` was carried on under, or None if it covers the date."""
    policy = policy_on(case["region"], as_date(case["on"], "on"), params_dir, carry_over=True)
    if not policy.carried_on:
        return None
    return {"version": policy.version.code, "title": policy.version.title,
            "ended_on": policy.version.valid_to.isoformat(), "standing": policy.standing}


def _same(expected, actual, name: str) -> bool:
    if name in AMOUNT_FIELDS:  # an expected amount was checked to be a number (_expect_error)
        return Decimal(str(expected)) == Decimal(str(actual))
    if isinstance(expected, date):
        expected = expected.isoformat()
    return expected == actual


def _match_reasons(expected, actual: list) -> bool:
    if not isinstance(expected, list) or len(expected) != len(actual):
        return False
    remaining = list(actual)
    for want in expected:
        want = {"code": want} if isinstance(want, str) else want
        hit = next((r for r in remaining if all(_same(v, r.get(k), k) for k, v in want.items())), None)
        if hit is None:
            return False
        remaining.remove(hit)
    return True


def compare(expect: dict, result: dict) -> list[dict]:
    mismatches = []
    for name, want in expect.items():
        got = result.get(name)
        same = _match_reasons(want, got or []) if name == "reasons" else (name in result and _same(want, got, name))
        if not same:
            mismatches.append({"field": name, "expected": _plain(want), "actual": got})
    return mismatches


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float):
        return f"{Decimal(repr(value)):.2f}"
    return value


def run_cases(cases: list[dict], params_dir: Path = PARAMS_DIR, *, carry_over: bool = False) -> list[Outcome]:
    outcomes = []
    for case in cases:
        out = Outcome(id=case["id"], kind=str(case.get("kind")))
        try:
            out.result = evaluate(case, params_dir, carry_over=carry_over)
            out.carried_on = carried_on(case, params_dir) if carry_over else None
        except PolicyError as exc:
            out.error = f"case {case['id']}: {exc.field or 'case'}: {exc.message}"
        except Exception as exc:  # noqa: BLE001  (a case the engine chokes on must name itself, not end the run)
            out.error = f"case {case['id']}: case: could not be evaluated ({type(exc).__name__}: {exc})"
        else:
            out.error = _expect_error(case, out.result)
            if out.error is None and case.get("expect") is not None:
                out.mismatches = compare(case["expect"], out.result)
        outcomes.append(out)
    return outcomes


def _expect_error(case: dict, result: dict) -> str | None:
    """A malformed `expect` is the file's fault (exit 2), not a mismatch (exit 1)."""
    expect = case.get("expect")
    if expect is None:
        return None
    if not isinstance(expect, dict):
        return f"case {case['id']}: expect: expected a mapping of result fields"
    for name, want in expect.items():
        if name not in result:
            return f"case {case['id']}: expect.{name}: not a field of a {case.get('kind')} result"
        if name in AMOUNT_FIELDS:
            try:
                ok = isinstance(want, (int, float, str)) and not isinstance(want, bool) \
                    and Decimal(str(want)).is_finite()
            except InvalidOperation:
                ok = False
            if not ok:
                return f"case {case['id']}: expect.{name}: expected an amount, got {want!r}"
    return None


def exit_status(outcomes: list[Outcome]) -> int:
    if any(o.error for o in outcomes):
        return 2
    return 1 if any(o.mismatches for o in outcomes) else 0


SUMMARY_FIELDS = {
    "contribution": ("period", "total", "individual", "employer", "medical_fund", "fiscal"),
    "eligibility": ("eligible",),
    "grade": ("adl_score", "cognition_score", "perception_score", "grade"),
    "benefit": ("fund", "personal", "total", "eligible_days"),
}


def render_text(outcomes: list[Outcome]) -> str:
    rows = []
    for o in outcomes:
        if o.error:
            rows.append(f"ERROR     {o.id}  {o.error}")
            continue
        summary = "  ".join(f"{k} {o.result[k]}" for k in SUMMARY_FIELDS[o.kind])
        if o.kind == "eligibility" and o.result["reasons"]:
            summary += "  reasons " + ", ".join(
                r["code"] + (f" until {r['until']}" if "until" in r else "") for r in o.result["reasons"])
        if o.carried_on:
            summary += f"  {o.carried_on['version']} {o.carried_on['standing']}"
        rows.append(f"{'ok' if o.ok else 'MISMATCH':<9} {o.id:<40} {o.kind:<12} {summary}")
        for m in o.mismatches:
            rows.append(f"{'':<10}{m['field']}: expected {json.dumps(m['expected'], ensure_ascii=False)}, "
                        f"got {json.dumps(m['actual'], ensure_ascii=False)}")
    passed = sum(o.ok for o in outcomes)
    rows.append(f"{passed} of {len(outcomes)} cases ok")
    return "\n".join(rows)


def render_json(outcomes: list[Outcome]) -> str:
    return json.dumps([o.as_dict() for o in outcomes], ensure_ascii=False, indent=2)
