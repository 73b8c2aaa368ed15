"""The assessment process's numbers for a region and date: how long a certificate is valid, how many
working days publicity lasts, when a re-assessment may be asked for, the intake and conclusion
deadlines. Each is a parameter of the policy version with its clause."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .inputs import add_months
from .policies import policy_on
from .regions import PARAMS_DIR
from .workdays import WorkingDay, add_working_days

FIELDS = ("validity_months", "publicity_working_days", "reassessment_min_months", "intake_working_days",
          "conclusion_working_days")


@dataclass(frozen=True)
class ProcessRules:
    validity_months: int
    publicity_working_days: int
    reassessment_min_months: int
    intake_working_days: int
    conclusion_working_days: int
    clauses: dict[str, str]

    def valid_until(self, effective: date) -> date:
        """The last day of a certificate that takes effect on `effective`."""
        return date.fromordinal(add_months(effective, self.validity_months).toordinal() - 1)

    def publicity_ends(self, published: date) -> WorkingDay:
        return add_working_days(published, self.publicity_working_days)

    def reassessment_from(self, last_assessed: date) -> date:
        return add_months(last_assessed, self.reassessment_min_months)


def process_rules(region: str, on: date, params_dir: Path = PARAMS_DIR) -> ProcessRules:
    policy = policy_on(region, on, params_dir)
    section = policy.params.section("assessment")
    values, clauses = {}, {}
    for name in FIELDS:
        values[name], clause = section.integer(name)
        clauses[name] = policy.cite(clause)
    return ProcessRules(**values, clauses=clauses)
