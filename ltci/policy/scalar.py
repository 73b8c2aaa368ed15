"""The scalar API: the four questions for one person, each answer with its explanation lines."""

from __future__ import annotations

import calendar
from datetime import date
from pathlib import Path

from .algebra import SCALAR, Row
from .days import check_events, eligible_days, explain, reduce_events
from .errors import PolicyError
from .inputs import Care, Person, group_names
from .policies import Policy, policy_on
from .regions import PARAMS_DIR
from .results import PAYERS, Benefit, Contribution, Eligibility, Grade, Line
from .rules import contribution_of, mode_of
from .rules.contribution import age_needed, rate_needs
from .rules.eligibility import GRADE_LABELS, check, known_grade, qualifying_grades
from .scale import load_scale


def _lines(policy: Policy, parts) -> tuple[Line, ...]:
    return tuple(Line(what=p.what(), clause=policy.cite(p.clause), payee=p.payee,
                      fund_fen=p.fund if p.payee else None, personal_fen=p.personal if p.payee else None,
                      payer=p.payer, amount_fen=p.amount if p.payer else None) for p in parts)


def contribution(region: str, on: date, person: Person, params_dir: Path = PARAMS_DIR, *,
                 carry_over: bool = False) -> Contribution:
    """`carry_over`: after the region's last version ended, answer under it (延续执行), as the
    platform always does (docs/decisions/0021); the scenario contract does not."""
    policy = policy_on(region, on, params_dir, carry_over=carry_over)
    section, rule = contribution_of(policy)
    if rule.__name__ == "none":
        rule(section, None, SCALAR)
    schemes, _ = section.values("schemes")
    scheme = person.need("scheme")
    if scheme not in schemes:
        raise PolicyError(f"{policy.region.name}长护险不覆盖此险种的参保人（覆盖：{', '.join(schemes)}）", "person.scheme")
    values = {"scheme": scheme, "groups": person.groups, "category": person.category,
              "base": person.base, "pension": person.pension, "age": None}
    if "categories" in section:
        category = person.need("category")
        person.need(rate_needs(section, category))
    if age_needed(section, scheme):
        values["age"] = person.age_at(on)
    amounts, parts = rule(section, Row(**values), SCALAR)
    by_payer = {p: amounts.get(p, 0) for p in PAYERS}
    return Contribution(period=section.text("period"), by_payer_fen=by_payer, lines=_lines(policy, parts))


def eligibility(region: str, on: date, person: Person, params_dir: Path = PARAMS_DIR, *,
                assessed: bool = True, carry_over: bool = False) -> Eligibility:
    """May the person receive benefits on `on`: every failing reason. `assessed=False` leaves out what
    an assessment decides (grade, six months of disability); `carry_over` as in `contribution`."""
    return check(policy_on(region, on, params_dir, carry_over=carry_over), on, person, assessed=assessed)


def grade(region: str, on: date, scale: dict, params_dir: Path = PARAMS_DIR, *, carry_over: bool = False) -> Grade:
    policy = policy_on(region, on, params_dir, carry_over=carry_over)
    assessment = policy.params.section("assessment")
    if "scale" not in assessment:
        raise PolicyError(assessment.text("message"), "kind")
    return load_scale(assessment.text("scale")).grade(scale)


def qualifying_grade(policy: Policy, grade_: str) -> None:
    grades, _ = qualifying_grades(policy.params.section("eligibility"))
    if known_grade(policy, grade_) not in grades:
        raise PolicyError(f"{GRADE_LABELS[grade_]}在{policy.region.name}不享受长护险待遇", "person.grade")


def benefit(region: str, on: date, person: Person, care: Care, params_dir: Path = PARAMS_DIR, *,
            carry_over: bool = False) -> Benefit:
    """`carry_over` as in `contribution` (settlement always carries over, docs/decisions/0007, 0021)."""
    policy = policy_on(region, on, params_dir, carry_over=carry_over)
    section, rule = mode_of(policy, care.mode)
    grade_ = person.need("grade")
    qualifying_grade(policy, grade_)
    for name in rule.needs(section):
        care.need(name)
    if "required_groups" in section:
        required, clause = section.values("required_groups")
        if not SCALAR.has_any(person.groups, required):
            raise PolicyError(f"按{policy.cite(clause)}，{section.get('label', care.mode)}仅限{group_names(required)}",
                              "person.groups")
    check_events(care)
    suspended, death_day = reduce_events(care)
    days = eligible_days(care.start, care.end, suspended, death_day, SCALAR)
    row = Row(
        grade=grade_, groups=person.groups, eligible_days=days,
        days_in_month=calendar.monthrange(on.year, on.month)[1],
        days=care.days if care.days is not None else days,
        family_days=care.family_days if care.family_days is not None else days,
        cost=care.cost, items_cost=care.items_cost, visits=care.visits, carer_trained=care.carer_trained,
    )
    lines = _lines(policy, rule(section, row, SCALAR))
    why = explain(care, suspended, death_day, days)
    if why:  # fewer days than the care period: say why first, citing P3, paying nothing itself
        lines = (Line(what=why, clause=policy.cite("P3"), payee=lines[0].payee, fund_fen=0, personal_fen=0),) + lines
    return Benefit(eligible_days=days, lines=lines)
