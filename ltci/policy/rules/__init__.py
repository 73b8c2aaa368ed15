"""Rule functions, registered by the name a parameter file gives in `rule = "…"`.

Each rule reads one section of a policy version and a row (scalar or batch, see `algebra.py`) and
returns parts: amounts in fen with a lazily written Chinese explanation and the clause applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import PolicyError
from ..params import ParamsDataError, Section

BENEFIT_RULES: dict[str, Callable] = {}
CONTRIBUTION_RULES: dict[str, Callable] = {}


@dataclass
class Part:
    """An amount a rule computed: ints in the scalar path, expressions in the batch path."""

    what: Callable[[], str]  # called in the scalar path only
    clause: str
    payee: str | None = None
    fund: object = 0
    personal: object = 0
    payer: str | None = None
    amount: object = 0


def benefit_rule(name: str, needs=()):
    """Register a benefit rule; `needs` are the care fields it cannot do without (or a function of
    the mode's section giving them)."""

    def register(fn):
        fn.needs = needs if callable(needs) else (lambda mode, needs=tuple(needs): needs)
        BENEFIT_RULES[name] = fn
        return fn

    return register


def contribution_rule(name: str):
    def register(fn):
        CONTRIBUTION_RULES[name] = fn
        return fn

    return register


def rule_of(section: Section, registry: dict) -> Callable:
    name = section.get("rule")
    if name not in registry:
        raise ParamsDataError(f"{section.source}: {section.path}.rule: {name!r} is not one of {sorted(registry)}")
    return registry[name]


def by_value(alg, row, section: Section, key: str, kind: str = "fen"):
    """A parameter that may vary by grade or scheme (`by = "scheme"`): its value for this row."""
    value, clause = {"fen": section.fen, "rate": section.rate, "int": section.integer}[kind](key)
    if isinstance(value, dict):
        field = section.by(key)
        value = alg.lookup(getattr(row, field), value, f"person.{field}")
    return value, clause


from . import benefit, contribution  # noqa: E402,F401  (registers the rules)


def mode_of(policy, mode: str):
    """The section and rule of a care mode the region offers; a mode it does not offer is an error."""
    modes = policy.params.section("benefit").sections("modes")
    if mode not in modes:
        raise PolicyError(f"{policy.region.name}不提供此护理方式；可选：{', '.join(modes)}", "care.mode")
    section = modes[mode]
    return section, rule_of(section, BENEFIT_RULES)


def contribution_of(policy):
    section = policy.params.section("contribution")
    return section, rule_of(section, CONTRIBUTION_RULES)
