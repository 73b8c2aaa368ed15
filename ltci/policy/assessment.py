"""The assessment process's numbers for a region and date: how long a certificate is valid, how many
working days publicity lasts, when a re-assessment may be asked for, the intake and conclusion
deadlines. Each is a parameter of the policy version with its clause."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .inputs import NATIONAL_GRADES, SHANGHAI_LEVELS, add_months
from .policies import derived, policy_on
from .regions import PARAMS_DIR
from .rules.eligibility import qualifying_grades
from .workdays import WorkingDay, add_working_days

FIELDS = ("validity_months", "publicity_working_days", "reassessment_min_months", "intake_working_days",
          "conclusion_working_days", "expiry_reminder_days")
# Steps only some regions have; absent means the region does not have the step.
FLAGS = ("screening", "active_discovery")


@dataclass(frozen=True)
class ProcessRules:
    validity_months: int
    publicity_working_days: int
    reassessment_min_months: int
    intake_working_days: int
    conclusion_working_days: int
    expiry_reminder_days: int
    clauses: dict[str, str]
    scale: str | None  # the national scale's code, or None where the region records another body's level
    grades: tuple[str, ...]  # what the region's conclusions can be, lowest first
    benefit_grades: tuple[str, ...]  # those that reach a benefit
    screening: bool = False  # pre-assessment screening (预评估) before intake
    active_discovery: bool = False  # finding likely-eligible people from other departments' lists
    expert_min_title: str | None = None  # the lowest title rank an expert of the pool may hold
    version: str = ""
    carried_over: bool = False  # the version ended before the date; its process rules carry on

    def valid_until(self, effective: date) -> date:
        """The last day of a certificate that takes effect on `effective`."""
        return date.fromordinal(add_months(effective, self.validity_months).toordinal() - 1)

    def publicity_ends(self, published: date) -> WorkingDay:
        return add_working_days(published, self.publicity_working_days)

    def reassessment_from(self, last_assessed: date) -> date:
        return add_months(last_assessed, self.reassessment_min_months)

    def intake_due(self, submitted: date) -> WorkingDay:
        return add_working_days(submitted, self.intake_working_days)

    def conclusion_due(self, accepted: date) -> WorkingDay:
        return add_working_days(accepted, self.conclusion_working_days)

    def reminder_from(self, valid_until: date) -> date:
        """The first day an expiry reminder is due."""
        return date.fromordinal(valid_until.toordinal() - self.expiry_reminder_days)


def process_rules(region: str, on: date, params_dir: Path = PARAMS_DIR, *, carry_over: bool = False) -> ProcessRules:
    """The process rules in force on `on`. With `carry_over`, a date after the region's last version
    ended takes that version's process rules (docs/decisions/0004): an application cannot wait for
    a new plan document, and the process steps are the national ones the versions repeat."""
    policy = policy_on(region, on, params_dir, carry_over=carry_over)
    # A list of a city's applications asks once a row: the rules of a version are made once, as its
    # file is read once (policies._params).
    key = ("process_rules", str(params_dir), policy.region.code, policy.version.code, policy.carried_on)
    return derived(key, lambda: _rules_of(policy))


def _rules_of(policy) -> ProcessRules:
    carried = policy.carried_on
    section = policy.params.section("assessment")
    values, clauses = {}, {}
    for name in FIELDS:
        values[name], clause = section.integer(name)
        clauses[name] = policy.cite(clause)
    for name in FLAGS:
        if name in section:
            value, clause = section.flag(name)
            values[name] = value is True
            clauses[name] = policy.cite(clause)
    if "expert_min_title" in section:
        values["expert_min_title"], clause = section.flag("expert_min_title")
        clauses["expert_min_title"] = policy.cite(clause)
    benefit, clause = qualifying_grades(policy.params.section("eligibility"))
    clauses["grades"] = policy.cite(clause)
    if section.get("levels") == "shanghai":
        scale, grades = None, SHANGHAI_LEVELS
    else:
        scale, grades = section.text("scale"), NATIONAL_GRADES
    return ProcessRules(**values, clauses=clauses, scale=scale, grades=tuple(grades),
                        benefit_grades=tuple(g for g in grades if g in benefit), version=policy.version.code,
                        carried_over=carried)
