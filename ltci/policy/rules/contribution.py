"""Contribution rules: what is collected for a person for a period, split by payer."""

from __future__ import annotations

from ..errors import PolicyError
from ..inputs import group_names
from ..money import RATE_SCALE, div_half_up, fmt_rate, fmt_yuan
from ..params import Section
from ..results import PAYERS
from . import Part, by_value, contribution_rule

PAYER_LABELS = {"individual": "个人缴费", "employer": "单位缴费", "medical_fund": "医保统筹基金划转",
                "fiscal": "财政补助"}
CATEGORY_LABELS = {"in_service": "在职职工", "retired": "退休人员", "flexible": "灵活就业人员",
                   "unemployed": "领取失业保险金人员"}
BASE_LABELS = {"base": "缴费基数", "pension": "上年度月养老金"}


def _all(alg, conds):
    """All conditions, each a function evaluated only as needed: in the scalar path a person of
    another scheme is never asked for the age an age subsidy reads."""
    if not alg.batch:
        return all(cond() for cond in conds)
    out = None
    for cond in conds:
        out = cond() if out is None else out & cond()
    return out


@contribution_rule("flat")
def flat(sec: Section, row, alg) -> tuple[dict, list[Part]]:
    """A fixed yearly amount split by payer; group subsidies move part of it from one payer to another."""
    split = sec.section("split")
    amounts, parts = {}, []
    for payer in PAYERS:
        if payer in split:
            amounts[payer], clause = by_value(alg, row, split, payer)
            if not alg.batch and amounts[payer]:  # a payer's 0元 says nothing
                parts.append(Part(what=lambda p=payer, a=amounts[payer]: f"{PAYER_LABELS[p]} {fmt_yuan(a)}元",
                                  clause=clause, payer=payer, amount=amounts[payer]))
    for sub in sec.list("subsidies"):
        conds = []
        if "groups" in sub:
            conds.append(lambda: alg.has_any(row.groups, sub.get("groups")))
        if "schemes" in sub:
            conds.append(lambda: alg.is_in(row.scheme, sub.get("schemes")))
        if "min_age" in sub:
            conds.append(lambda: row.age >= sub.get("min_age"))
        source, target = sub.get("from", "individual"), sub.get("to", "fiscal")
        if sub.get("amount") == "all":
            clause, wanted = sub.text("clause"), amounts[source]
        else:
            wanted, clause = sub.fen("amount")
        moved = alg.where(_all(alg, conds), alg.minimum(wanted, amounts[source]), 0)
        amounts[source] = amounts[source] - moved
        amounts[target] = amounts.get(target, 0) + moved
        if not alg.batch and moved:
            # Name the person's own groups, not the whole list the subsidy covers.
            who = group_names(g for g in row.groups if g in sub.get("groups")) if "groups" in sub else sub.text("label")
            parts.append(Part(
                what=lambda w=who, m=moved, a=source, b=target:
                    f"{w}：{PAYER_LABELS[a]}中 {fmt_yuan(m)}元改由{PAYER_LABELS[b]}承担",
                clause=clause, payer=target, amount=moved))
    return amounts, parts


@contribution_rule("rate")
def rate(sec: Section, row, alg) -> tuple[dict, list[Part]]:
    """Monthly rates of a base that depends on the category (contribution base or pension)."""
    categories = sec.sections("categories")
    base = alg.pick(row.category, {c: getattr(row, s.text("base")) for c, s in categories.items()})
    amounts, parts = {}, []
    for payer in PAYERS:
        rates = {c: s.rate(payer) for c, s in categories.items() if payer in s}
        if not rates:
            continue
        ppm = alg.lookup(row.category, {c: rates[c][0] if c in rates else 0 for c in categories}, "person.category")
        amounts[payer] = div_half_up(base * ppm, RATE_SCALE)
        if not alg.batch and amounts[payer]:
            base_field = categories[row.category].text("base")
            parts.append(Part(
                what=lambda p=payer, r=ppm, a=amounts[payer], bf=base_field:
                    f"{CATEGORY_LABELS[row.category]}{PAYER_LABELS[p]} {BASE_LABELS[bf]} {fmt_yuan(base)}元 × "
                    f"{fmt_rate(r)} = {fmt_yuan(a)}元",
                clause=rates[row.category][1], payer=payer, amount=amounts[payer]))
    return amounts, parts


def age_needed(sec: Section, scheme) -> bool:
    """Whether an age subsidy can apply to a person of `scheme` (and so their age is needed)."""
    return any("min_age" in sub and scheme in sub.get("schemes", [scheme]) for sub in sec.list("subsidies"))


def rate_needs(sec: Section, category: str) -> str:
    """The base field a category's contribution is computed from (`base` or `pension`)."""
    categories = sec.sections("categories")
    if category not in categories:
        raise PolicyError(f"{category!r} is not one of {', '.join(categories)}", "person.category")
    return categories[category].text("base")


@contribution_rule("none")
def none(sec: Section, row, alg):
    raise PolicyError(sec.text("message"), "kind")
