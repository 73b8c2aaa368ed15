"""Eligibility: may this person receive benefits on this date, and if not, every reason why.

Reads the `[eligibility]` section of a policy version; each check is present only where the region
has it (a waiting period in Xuzhou, a minimum of contribution months in Nanning, …).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from ..errors import PolicyError
from ..inputs import NATIONAL_GRADES, SHANGHAI_LEVELS, Person, add_months, group_names
from ..params import SEVERE, Section
from ..policies import Policy
from ..results import Eligibility, Reason

GRADE_LABELS = {"normal": "基本正常", "mild": "轻度失能", "moderate": "中度失能", "severe_1": "重度失能Ⅰ级",
                "severe_2": "重度失能Ⅱ级", "severe_3": "重度失能Ⅲ级",
                **{f"level_{n}": f"照护{n}级" for n in range(1, 7)}}
SCHEME_LABELS = {"employee": "职工医保", "resident": "城乡居民医保"}


def qualifying_grades(sec: Section) -> tuple[list[str], str]:
    grades, clause = sec.values("grades")
    return [g for grade in grades for g in (SEVERE if grade == "severe" else (grade,))], clause


def known_grade(policy: Policy, grade: str) -> str:
    """The grade, if it is of the family the region records (national grades, or Changning's Shanghai
    levels); a grade of the other family is a wrong question, not a grade too low."""
    family = SHANGHAI_LEVELS if policy.params.section("assessment").get("levels") == "shanghai" else NATIONAL_GRADES
    if grade not in family:
        raise PolicyError(f"{grade!r} is not a grade {policy.region.name} records; expected one of {', '.join(family)}",
                          "person.grade")
    return grade


def check(policy: Policy, on: date, person: Person, *, assessed: bool = True) -> Eligibility:
    """Every failing reason. With `assessed=False` the conditions an assessment decides (the grade,
    six months of disability) are left out: for an application's pre-check, and for the verdict on
    enrolment and contributions of a person not assessed yet."""
    sec = policy.params.section("eligibility")
    cite = policy.cite
    reasons: list[Reason] = []
    grade = known_grade(policy, person.need("grade")) if assessed else None

    schemes, clause = sec.values("schemes")
    scheme = person.need("scheme")
    if scheme not in schemes:
        reasons.append(Reason("not_insured", f"{policy.region.name}长护险不覆盖{SCHEME_LABELS[scheme]}参保人",
                              cite(clause)))
    if "scheme_min_age" in sec and scheme in schemes:
        ages, clause = sec.integer("scheme_min_age")
        if scheme in ages and person.age_at(on) < ages[scheme]:
            reasons.append(Reason("not_insured", f"{SCHEME_LABELS[scheme]}参保人年满{ages[scheme]}周岁方纳入长护险",
                                  cite(clause)))
    if "excluded_groups" in sec:
        excluded, clause = sec.values("excluded_groups")
        hit = [g for g in person.groups if g in excluded]
        if hit:
            reasons.append(Reason("excluded_group", f"{group_names(hit)}不参加{policy.region.name}长护险", cite(clause)))
    if "min_age" in sec:
        min_age, clause = sec.integer("min_age")
        if person.age_at(on) < min_age:
            until = add_months(person.birth_date, 12 * min_age) if person.birth_date else None
            reasons.append(Reason("under_age", f"年满{min_age}周岁方可享受待遇", cite(clause), until))

    if assessed:
        grades, clause = qualifying_grades(sec)
        if grade not in grades:
            reasons.append(Reason("grade_too_low", f"{GRADE_LABELS[grade]}不在待遇范围（须为"
                                  f"{'、'.join(GRADE_LABELS[g] for g in grades)}）", cite(clause)))
        reasons += disability_reasons(policy, on, person)

    if "waiting_months" in sec:
        months, clause = sec.integer("waiting_months")
        exempt_before = sec.get("waiting_months").get("exempt_enrolled_before")
        enrolled = person.need("enrolled_on")
        if exempt_before is None or enrolled >= exempt_before:
            ends = add_months(enrolled + timedelta(days=1), months)
            if on < ends:
                reasons.append(Reason("waiting_period", f"新参保等待期{months}个月，{ends:%Y-%m-%d}起可享受待遇",
                                      cite(clause), ends))

    if "arrears" in sec:
        _, clause = sec.flag("arrears")
        month_end = on.replace(day=calendar.monthrange(on.year, on.month)[1])
        paid = person.need("paid_through")
        if paid < month_end:
            reasons.append(Reason("arrears", f"欠费：缴费只到{paid:%Y-%m-%d}，欠费期间不享受待遇", cite(clause)))

    if "min_contribution_months" in sec:
        minimum, clause = sec.integer("min_contribution_months")
        paid_months = person.need("contribution_months")
        # The waiver for those already receiving matters only below the minimum: ask for it only then.
        if paid_months < minimum and not person.need("receiving"):
            reasons.append(Reason("min_contribution_months", f"累计缴费须满{minimum}个月，现为{paid_months}个月",
                                  cite(clause)))
    return Eligibility(tuple(reasons))


def disability_reasons(policy: Policy, on: date, person: Person) -> list[Reason]:
    """P6: the disability has lasted the region's months (six) by `on`, or the date it will have."""
    months, clause = policy.params.section("eligibility").integer("disability_months")
    ready = add_months(person.need("disabled_since"), months)
    if on < ready:
        return [Reason("disability_under_6_months", f"失能状态须持续满{months}个月，{ready:%Y-%m-%d}起满足",
                       policy.cite(clause), ready)]
    return []
