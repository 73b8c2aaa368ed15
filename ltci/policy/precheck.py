"""The pre-check of an application for assessment (受理预审): what can be known before anyone
assesses: enrolment and contributions, the waiting period and minimum months, six months of
disability, the self-assessment letter, no open application, and six months since the last
assessment. Each failing reason says why and, where it ends, from when it could pass."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .assessment import process_rules
from .inputs import Person
from .policies import policy_on
from .regions import PARAMS_DIR
from .results import Eligibility, Reason
from .rules.eligibility import check, disability_reasons
from .self_assessment import rate


def precheck(region: str, on: date, person: Person, *, self_assessment: dict, open_application: bool = False,
             last_assessed: date | None = None, params_dir: Path = PARAMS_DIR,
             carry_over: bool = False) -> Eligibility:
    policy = policy_on(region, on, params_dir, carry_over=carry_over)
    reasons = list(check(policy, on, person, assessed=False).reasons)
    reasons += disability_reasons(policy, on, person)
    form = rate(self_assessment)
    if not form.may_apply:
        reasons.append(Reason("self_assessment_too_low", form.lines[1].what, form.lines[1].clause))
    if open_application:
        reasons.append(Reason("open_application", "已有正在办理的评估申请", "医保办发〔2024〕22号"))
    if last_assessed is not None:
        rules = process_rules(region, on, params_dir, carry_over=carry_over)
        allowed = rules.reassessment_from(last_assessed)
        if on < allowed:
            reasons.append(Reason("reassessment_too_soon",
                                  f"距上次评估不满{rules.reassessment_min_months}个月，{allowed:%Y-%m-%d}起可再次申请",
                                  rules.clauses["reassessment_min_months"], allowed))
    return Eligibility(tuple(reasons))
