"""Benefit rules: what the fund pays for a person-month in one care mode, split into lines by payee.

Every rule reads `row.eligible_days`, `row.days_in_month` and the care fields it declares; monthly
amounts are prorated by eligible days / days in the month (P2) and each line is rounded half-up to
the fen once, from its exact value.
"""

from __future__ import annotations

from ..money import RATE_SCALE, div_half_up, fmt_rate, fmt_yuan
from ..params import Section
from . import Part, benefit_rule, by_value


def _bonus(alg, row, mode: Section):
    """Extra share for some groups (Xuzhou +5 points), 0 where the mode has none."""
    if "bonus" not in mode:
        return 0, ""
    bonus, clause = mode.rate("bonus")
    groups, _ = mode.values("bonus_groups")
    return alg.where(alg.has_any(row.groups, groups), bonus, 0), clause


def _prorated(amount, row, unit="元/月") -> str:
    text = f"{fmt_yuan(amount)}{unit}"
    return text if row.eligible_days == row.days_in_month else f"{text} × {row.eligible_days}/{row.days_in_month}天"


def _times(share, base_share=None, bonus=0) -> str:
    """` × 75%（70%+5%）`: the share applied, its parts when a group bonus raised it; nothing for 100 %."""
    if share == RATE_SCALE:
        return ""
    return f" × {fmt_rate(share)}" + (f"（{fmt_rate(base_share)}+{fmt_rate(bonus)}）" if bonus else "")


@benefit_rule("per_diem")
def per_diem(mode: Section, row, alg) -> list[Part]:
    """Bed-days: standard × share × billable days per line (living care, medical care)."""
    payee = mode.get("payee", "institution")
    days = alg.minimum(row.days, row.eligible_days)
    bonus, bonus_clause = _bonus(alg, row, mode)
    parts = []
    for line in mode.list("lines"):
        standard, clause = by_value(alg, row, line, "standard")
        base_share, _ = line.rate("share")
        share = base_share + bonus
        fund = div_half_up(standard * share * days, RATE_SCALE)
        label = line.text("label")
        if not alg.batch and bonus:
            clause = f"{clause}, {bonus_clause}"
        parts.append(Part(
            what=lambda label=label, standard=standard, share=share, base_share=base_share, days=days:
                f"{label} {fmt_yuan(standard)}元 × {days}天{_times(share, base_share, bonus)}",
            clause=clause, payee=payee, fund=fund, personal=standard * days - fund,
        ))
    return parts


@benefit_rule("cost_share", needs=lambda mode: (mode.get("amount_field", "cost"),))
def cost_share(mode: Section, row, alg) -> list[Part]:
    """Eligible cost × share, within a monthly limit prorated by eligible days."""
    field = mode.get("amount_field", "cost")
    cost = getattr(row, field)
    share, clause = mode.rate("share")
    label = mode.text("label")
    if "cap" in mode:
        cap, cap_clause = by_value(alg, row, mode, "cap")
        # The smaller of share × cost and cap × e / dim, on one denominator, rounded once.
        num = alg.minimum(cost * share * row.days_in_month, cap * row.eligible_days * RATE_SCALE)
        fund = div_half_up(num, RATE_SCALE * row.days_in_month)

        def what():
            capped = cost * share * row.days_in_month > cap * row.eligible_days * RATE_SCALE
            # Nanning's 1850 is a monthly quota (每月定额); elsewhere a monthly limit (月支付限额).
            return (f"{label} {fmt_yuan(cost)}元{_times(share)}，{mode.get('cap_label', '月支付限额')} "
                    f"{_prorated(cap, row, '元')}{'，按限额支付' if capped else ''}")
        clause = clause if cap_clause == clause else f"{clause}, {cap_clause}"
    else:
        fund = div_half_up(cost * share, RATE_SCALE)

        def what():
            return f"{label} {fmt_yuan(cost)}元{_times(share)}"
    return [Part(what=what, clause=clause, payee=mode.get("payee", "institution"), fund=fund, personal=cost - fund)]


@benefit_rule("monthly_amount")
def monthly_amount(mode: Section, row, alg) -> list[Part]:
    """A fixed monthly package or allowance, fully funded, prorated by eligible days."""
    amount, clause = by_value(alg, row, mode, "amount")
    fund = div_half_up(amount * row.eligible_days, row.days_in_month)
    label = mode.text("label")
    return [Part(what=lambda: f"{label} {_prorated(amount, row)}", clause=clause,
                 payee=mode.get("payee", "institution"), fund=fund, personal=0)]


@benefit_rule("family_plus_visits", needs=("carer_trained",))
def family_plus_visits(mode: Section, row, alg) -> list[Part]:
    """Xuzhou home_combined: a family-care allowance per day to the insured plus monthly visits."""
    per_day, clause = by_value(alg, row, mode, "family_per_day")
    untrained, untrained_clause = mode.rate("untrained_share")
    visits, visits_clause = mode.fen("visits_monthly")
    days = alg.minimum(row.family_days, row.eligible_days)
    share = alg.where(row.carer_trained, RATE_SCALE, untrained)
    family = div_half_up(per_day * days * share, RATE_SCALE)
    visit_fund = div_half_up(visits * row.eligible_days, row.days_in_month)

    def family_what():
        text = f"{mode.text('family_label')} {fmt_yuan(per_day)}元/天 × {days}天"
        return text if row.carer_trained else f"{text} × {fmt_rate(untrained)}（照护人员未经培训）"
    return [
        Part(what=family_what, clause=clause if alg.batch or row.carer_trained else f"{clause}, {untrained_clause}",
             payee="insured", fund=family, personal=0),
        Part(what=lambda: f"{mode.text('visits_label')} {_prorated(visits, row)}", clause=visits_clause,
             payee="institution", fund=visit_fund, personal=0),
    ]


@benefit_rule("cash_per_day")
def cash_per_day(mode: Section, row, alg) -> list[Part]:
    """Xuzhou remote_cash: a daily cash amount for every eligible day, to the insured."""
    per_day, clause = by_value(alg, row, mode, "per_day")
    label = mode.text("label")
    return [Part(what=lambda: f"{label} {fmt_yuan(per_day)}元/天 × {row.eligible_days}天", clause=clause,
                 payee="insured", fund=per_day * row.eligible_days, personal=0)]


@benefit_rule("visits_allowance", needs=("visits", "cost"))
def visits_allowance(mode: Section, row, alg) -> list[Part]:
    """Changning home visits: a share of the catalogue cost of the visits within the weekly allowance."""
    per_week, allowance_clause = by_value(alg, row, mode, "visits_per_week", kind="int")
    share, clause = mode.rate("share")
    allowance = per_week * row.eligible_days // 7
    within = alg.minimum(row.visits, allowance)
    # cost × within / visits is the cost of the visits within the allowance (0 when none was made).
    fund = div_half_up(row.cost * share * within, RATE_SCALE * alg.maximum(row.visits, 1))
    label = mode.text("label")

    def what():
        return (f"{label} 每周{per_week}次 × {row.eligible_days}/7 = {allowance}次，已服务{row.visits}次，"
                f"按{within}次计：{fmt_yuan(row.cost)}元 × {within}/{max(row.visits, 1)} × {fmt_rate(share)}")
    return [Part(what=what, clause=f"{clause}, {allowance_clause}" if allowance_clause != clause else clause,
                 payee=mode.get("payee", "institution"), fund=fund, personal=row.cost - fund)]
