"""A region's targets against the actual figures. The targets are policy: the `[targets]` section of
the region's parameter file in force on the period's last day (Jiaxing: clause 二), each
`{ value, op, label, clause }`; a region whose file has none shows none."""

from __future__ import annotations

import operator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ltci.policy.errors import PolicyError
from ltci.policy.params import ParamsDataError
from ltci.policy.policies import policy_carried_on

from . import ratio

OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
OP_LABELS = {">": "＞", ">=": "≥", "<": "＜", "<=": "≤"}
# How each measure a target may name is shown: a share as a percent, a ratio as 1:n, else a number.
NEEDS_POPULATION = ("coverage_rate", "carers_per_10k_elderly")
PERCENT, RATIO, NUMBER = "percent", "ratio", "number"
MEASURES = {"coverage_rate": PERCENT, "beneficiaries_cumulative": NUMBER, "service_items": NUMBER,
            "certified_carers": NUMBER, "carers_per_10k_elderly": NUMBER, "supply_ratio": RATIO}


def _number(value, where: str) -> Decimal:
    try:
        if isinstance(value, str) and ":" in value:
            a, b = value.split(":", 1)
            return Decimal(a.strip()) / Decimal(b.strip())
        if isinstance(value, bool):
            raise InvalidOperation
        number = Decimal(str(value))
    except (InvalidOperation, ArithmeticError):
        raise ParamsDataError(f"{where}: expected a number or a ratio a:b, got {value!r}") from None
    if not number.is_finite():
        raise ParamsDataError(f"{where}: expected a finite number")
    return number


def show(kind: str, value: Decimal | None, raw=None) -> str:
    if value is None:
        return "—"
    if kind == PERCENT:
        return f"{ratio(value * 100, 1)}%"
    if kind == RATIO:
        if isinstance(raw, str) and ":" in raw:
            return raw
        return _one_to(value)
    return f"{value.normalize():f}" if value == value.to_integral_value() else str(ratio(value, 1, "0.1"))


def _one_to(value: Decimal) -> str:
    """A ratio carers ÷ people as 1:n."""
    if not value:
        return "—"
    n = 1 / value
    return f"1:{n.quantize(Decimal('0.1') if n >= 1 else Decimal('0.01'), ROUND_HALF_UP)}"


def targets_of(region_id: str, on) -> tuple[list[dict], str | None, object]:
    """([{key, label, op, value, raw, clause}], deadline, policy) of the region's file in force on `on`."""
    try:
        policy, _ = policy_carried_on(region_id, on)
    except PolicyError:
        return [], None, None
    if "targets" not in policy.params:
        return [], None, policy
    section = policy.params.section("targets")
    deadline = section.param("by").value if "by" in section else None
    out = []
    for key in section.keys():
        if key == "by":
            continue
        p = section.param(key)
        raw = section.get(key)
        where = f"{section.source}: targets.{key}"
        if key not in MEASURES:
            raise ParamsDataError(f"{where}: the cockpit has no figure for this target (known: {', '.join(MEASURES)})")
        if raw.get("op") not in OPS:
            raise ParamsDataError(f"{where}: op must be one of {', '.join(OPS)}")
        out.append({"key": key, "label": str(raw.get("label") or key), "op": raw["op"],
                    "value": _number(p.value, where), "raw": p.value, "clause": policy.cite(p.clause)})
    return out, str(deadline) if deadline else None, policy


def compare(region_id: str, name: str, on, actuals: dict) -> dict | None:
    """The region's targets against `actuals` ({measure: Decimal or None}); None without targets."""
    items, deadline, policy = targets_of(region_id, on)
    if not items:
        return None
    rows = []
    for t in items:
        kind = MEASURES[t["key"]]
        actual = actuals.get(t["key"])
        met = None if actual is None else OPS[t["op"]](actual, t["value"])
        rows.append({"key": t["key"], "label": t["label"], "target": f"{OP_LABELS[t['op']]} {show(kind, t['value'], t['raw'])}",
                     "actual": show(kind, actual), "met": met, "clause": t["clause"],
                     "missing": None if actual is not None else (
                         "未登记人口数据" if t["key"] in NEEDS_POPULATION else "暂无待遇享受人员")})
    return {"region": region_id, "name": name, "deadline": deadline, "document": policy.version.document,
            "items": rows}
