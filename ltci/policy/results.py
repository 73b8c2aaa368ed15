"""What the engine answers, with its explanation lines; `as_dict` gives the scenario JSON shape.

Amounts are kept as integer fen (`*_fen`), as the rules compute them, and shown as `Decimal` yuan
(`fund`, `personal`, `total`, `amount`, `by_payer`): the edge where issue 3's Decimal amounts appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .money import yuan


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else yuan(fen)


@dataclass(frozen=True)
class Line:
    """One step of a result, in Chinese for clerks and the insured, with the clause it applies."""

    what: str
    clause: str
    payee: str | None = None  # benefit lines: institution | insured
    fund_fen: int | None = None
    personal_fen: int | None = None
    payer: str | None = None  # contribution lines
    amount_fen: int | None = None

    @property
    def fund(self) -> Decimal | None:
        return _yuan(self.fund_fen)

    @property
    def personal(self) -> Decimal | None:
        return _yuan(self.personal_fen)

    @property
    def amount(self) -> Decimal | None:
        return _yuan(self.amount_fen)

    def as_dict(self) -> dict:
        out = {"what": self.what, "clause": self.clause}
        if self.payee is not None:
            out.update(payee=self.payee, fund=str(self.fund), personal=str(self.personal))
        if self.payer is not None:
            out.update(payer=self.payer, amount=str(self.amount))
        return out


PAYERS = ("individual", "employer", "medical_fund", "fiscal")


@dataclass(frozen=True)
class Contribution:
    period: str  # year | month
    by_payer_fen: dict[str, int]
    lines: tuple[Line, ...]

    @property
    def total_fen(self) -> int:
        return sum(self.by_payer_fen.values())

    @property
    def total(self) -> Decimal:
        return yuan(self.total_fen)

    @property
    def by_payer(self) -> dict[str, Decimal]:
        return {p: yuan(fen) for p, fen in self.by_payer_fen.items()}

    def as_dict(self) -> dict:
        out = {"period": self.period, "total": str(self.total)}
        out.update({p: str(yuan(self.by_payer_fen.get(p, 0))) for p in PAYERS})
        out["lines"] = [ln.as_dict() for ln in self.lines]
        return out


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    clause: str
    until: date | None = None

    def as_dict(self) -> dict:
        out = {"code": self.code, "message": self.message, "clause": self.clause}
        if self.until is not None:
            out["until"] = self.until.isoformat()
        return out


@dataclass(frozen=True)
class Eligibility:
    reasons: tuple[Reason, ...]

    @property
    def eligible(self) -> bool:
        return not self.reasons

    def as_dict(self) -> dict:
        return {"eligible": self.eligible, "reasons": [r.as_dict() for r in self.reasons]}


@dataclass(frozen=True)
class Grade:
    scores: dict[str, int]  # adl, cognition, perception
    levels: dict[str, str]
    grade: str
    lines: tuple[Line, ...]

    def as_dict(self) -> dict:
        out = {}
        for ind in ("adl", "cognition", "perception"):
            out[f"{ind}_score"] = self.scores[ind]
            out[f"{ind}_level"] = self.levels[ind]
        out["grade"] = self.grade
        out["lines"] = [ln.as_dict() for ln in self.lines]
        return out


@dataclass(frozen=True)
class Benefit:
    eligible_days: int
    lines: tuple[Line, ...] = field(default=())

    @property
    def fund_fen(self) -> int:
        return sum(ln.fund_fen for ln in self.lines)

    @property
    def personal_fen(self) -> int:
        return sum(ln.personal_fen for ln in self.lines)

    @property
    def total_fen(self) -> int:
        return self.fund_fen + self.personal_fen

    @property
    def fund(self) -> Decimal:
        return yuan(self.fund_fen)

    @property
    def personal(self) -> Decimal:
        return yuan(self.personal_fen)

    @property
    def total(self) -> Decimal:
        return yuan(self.total_fen)

    def as_dict(self) -> dict:
        return {"fund": str(self.fund), "personal": str(self.personal), "total": str(self.total),
                "eligible_days": self.eligible_days, "lines": [ln.as_dict() for ln in self.lines]}
