"""What a month's care plan may hold, per mode and grade: an amount (the fund's cap, quota or
service package) or, in Changning, a number of visits a week. Read from the mode's parameters by
its rule; a mode paid per day or in cash has no plan limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .errors import PolicyError
from .policies import policy_carried_on
from .regions import PARAMS_DIR

# The parameter that bounds a plan, for each benefit rule that pays for planned services.
LIMITS = {"cost_share": ("cap", "amount"), "monthly_amount": ("amount", "amount"),
          "family_plus_visits": ("visits_monthly", "amount"), "visits_allowance": ("visits_per_week", "visits")}


@dataclass(frozen=True)
class PlanLimit:
    kind: str  # "amount" (value in fen a month) or "visits" (visits a week)
    value: int
    label: str
    clause: str

    @property
    def text(self) -> str:
        if self.kind == "visits":
            return f"每周{self.value}次"
        return f"每月{self.value // 100}.{self.value % 100:02d}元"


def plan_limit(region: str, on: date, mode: str, grade: str, params_dir: Path = PARAMS_DIR) -> PlanLimit | None:
    policy, _ = policy_carried_on(region, on, params_dir)
    modes = policy.params.section("benefit").sections("modes")
    if mode not in modes:
        raise PolicyError(f"{policy.region.name} has no mode {mode!r}", "mode")
    section = modes[mode]
    rule = section.get("rule")
    if rule not in LIMITS:
        return None
    key, kind = LIMITS[rule]
    value, clause = section.integer(key) if kind == "visits" else section.fen(key)
    if isinstance(value, dict):
        if grade not in value:
            raise PolicyError(f"no {key} for grade {grade!r} in {mode}", "grade")
        value = value[grade]
    label = section.get("cap_label") or section.get("visits_label") or section.get("label") or mode
    return PlanLimit(kind, int(value), label, policy.cite(clause))
