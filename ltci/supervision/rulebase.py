"""The rule base as data: the rules of rulebase.toml, each region's settings of them, and the
description of a hit in Chinese.

A parameter's type is its default's type (whole number, decimal written as text, list of codes), so
a region's setting is checked against the rule base before it is stored.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from ltci.core.edge import check_text

from .models import RuleSetting, Severity

SOURCE = Path(__file__).with_name("rulebase.toml")
SAMPLING = "sampling"  # the settings code of the sampling share
MAX_TEXT = 200


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: str
    regions: tuple[str, ...] | None  # None: every region
    basis: str
    template: str
    params: dict = field(default_factory=dict)
    screened: bool = True  # False: its hits come from elsewhere (a sampled visit found untrue), not a screening

    def applies_to(self, region: str) -> bool:
        return self.regions is None or region in self.regions


@dataclass(frozen=True)
class Effective:
    """A rule as it applies in a region on a day: the rule base's defaults under the region's setting."""

    rule: Rule
    enabled: bool
    severity: str
    params: dict
    setting_id: int | None


def _load_labels() -> dict[str, str]:
    return dict(tomllib.loads(SOURCE.read_text(encoding="utf-8")).get("labels", {}))


LABELS = _load_labels()


def shown(key: str, value) -> tuple[str, str]:
    """(label, value) of a hit's figure or a rule's parameter as a page shows it: the key's Chinese
    name, a list joined, a care mode by its name."""
    from ltci.care.models import Mode

    modes = dict(Mode.choices)
    values = value if isinstance(value, list) else [value]
    text = "、".join(str(modes.get(v, v)) if isinstance(v, str) else str(v) for v in values)
    return LABELS.get(key, "其他"), text


def _load() -> tuple[dict[str, Rule], dict]:
    data = tomllib.loads(SOURCE.read_text(encoding="utf-8"))
    rules = {}
    for raw in data["rule"]:
        regions = None if raw["regions"] == "*" else tuple(raw["regions"])
        if raw["severity"] not in Severity.values:
            raise ValueError(f"rulebase.toml: {raw['code']}: unknown severity {raw['severity']!r}")
        rules[raw["code"]] = Rule(raw["code"], raw["name"], raw["severity"], regions, raw["basis"], raw["template"],
                                  dict(raw.get("params", {})), raw.get("screened", True))
    return rules, dict(data["sampling"])


RULES, SAMPLING_DEFAULTS = _load()


def rules_for(region: str) -> list[Rule]:
    return [r for r in RULES.values() if r.applies_to(region)]


def _latest(region: str, code: str, on: date) -> RuleSetting | None:
    return (RuleSetting.objects.filter(region_id=region, rule=code, valid_from__lte=on)
            .order_by("-valid_from", "-id").first())


def effective(region: str, on: date) -> dict[str, Effective]:
    """Every rule of the region as it applies on `on`."""
    latest: dict[str, RuleSetting] = {}
    for s in RuleSetting.objects.filter(region_id=region, valid_from__lte=on).order_by("rule", "-valid_from", "-id"):
        latest.setdefault(s.rule, s)
    out = {}
    for rule in rules_for(region):
        s = latest.get(rule.code)
        out[rule.code] = Effective(rule, s.enabled if s else True, s.severity if s else rule.severity,
                                   {**rule.params, **(s.params if s else {})}, s.pk if s else None)
    return out


def sampling_share(region: str, on: date) -> Decimal:
    s = _latest(region, SAMPLING, on)
    return Decimal(str((s.params if s else {}).get("share", SAMPLING_DEFAULTS["share"])))


def _checked_param(code: str, key: str, default, value):
    where = f"params.{key}"
    if isinstance(default, bool) or isinstance(default, int):
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            raise ValidationError({where: "须为整数"}) from None
        if not 0 <= number <= 1_000_000:
            raise ValidationError({where: "须在0到1000000之间"})
        return number
    if isinstance(default, str):  # a decimal written as text (a share or ratio)
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, TypeError):
            raise ValidationError({where: "须为数字"}) from None
        if not number.is_finite() or not Decimal("0") <= number <= Decimal("100"):
            raise ValidationError({where: "须在0到100之间"})
        return str(number)
    if isinstance(default, list):
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) and 0 < len(i.strip()) <= 32 for i in items):
            raise ValidationError({where: "须为以逗号分隔的代码"})
        for item in items:  # stored and shown: no control character (the body is a bare dict)
            check_text(where, item, multiline=False)
        return [i.strip() for i in items]
    raise ValidationError({where: f"规则{code}不接受此参数"})


def checked_params(code: str, params: dict) -> dict:
    """The parameters of a setting, typed like the rule base's defaults; unknown keys refused."""
    if code == SAMPLING:
        defaults = {"share": SAMPLING_DEFAULTS["share"]}
    elif code in RULES:
        defaults = RULES[code].params
    else:
        raise ValidationError({"rule": f"规则库中没有规则{code}"})
    if not isinstance(params, dict):
        raise ValidationError({"params": "参数须为键值对"})
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValidationError({"params": f"规则{code}没有参数：{'、'.join(unknown)}"})
    out = {k: _checked_param(code, k, defaults[k], v) for k, v in params.items()}
    # The screening reads 13 months of re-assessment requests back: a longer window would count short.
    if "window_months" in out and not 1 <= out["window_months"] <= 12:
        raise ValidationError({"params.window_months": "统计窗口须为1到12个月"})
    if code == SAMPLING and not Decimal("0") < Decimal(out.get("share", "0.02")) <= Decimal("1"):
        raise ValidationError({"params.share": "抽查比例须大于0且不超过1"})
    return out


@transaction.atomic
def change_setting(region: str, code: str, user, *, enabled: bool, severity: str | None = None,
                   params: dict | None = None, valid_from: date, reason: str) -> RuleSetting:
    """A region's new setting of a rule (or of the sampling share) from `valid_from` on."""
    if code != SAMPLING and (code not in RULES or not RULES[code].applies_to(region)):
        raise ValidationError({"rule": f"本地区规则库中没有规则{code}"})
    severity = severity or (RULES[code].severity if code in RULES else Severity.LOW)
    if severity not in Severity.values:
        raise ValidationError({"severity": "严重程度须为低、中或高"})
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_TEXT:
        raise ValidationError({"reason": f"请填写调整理由（不超过{MAX_TEXT}字）"})
    if not isinstance(valid_from, date):
        raise ValidationError({"valid_from": "生效日期无效"})
    return RuleSetting.objects.create(region_id=region, rule=code, enabled=bool(enabled), severity=severity,
                                      params=checked_params(code, params or {}), valid_from=valid_from,
                                      reason=reason, changed_by=user)


class _Blank(dict):
    def __missing__(self, key):
        return "—"


def describe(rule: str, detail: dict, params: dict) -> str:
    """The hit in one Chinese sentence, from its rule's template."""
    known = RULES.get(rule)
    if known is None:
        return rule
    values = _Blank({**{f"{k}_limit": v for k, v in params.items()}, **params, **detail})
    for k, v in list(values.items()):
        if isinstance(v, list):
            values[k] = "、".join(str(i) for i in v)
    return known.template.format_map(values)
