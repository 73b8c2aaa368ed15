"""What the engine answers, with its explanation lines; `as_dict` gives the scenario JSON shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .money import yuan


@dataclass(frozen=True)
class Line:
    """One step of a result, in Chinese for clerks and the insured, with the clause it applies."""

    what: str
    clause: str
    payee: str | None = None  # benefit lines: institution | insured
    fund: int | None = None  # fen
    personal: int | None = None  # fen
    payer: str | None = None  # contribution lines
    amount: int | None = None  # fen

    def as_dict(self) -> dict:
        out = {"what": self.what, "clause": self.clause}
        if self.payee is not None:
            out.update(payee=self.payee, fund=str(yuan(self.fund)), personal=str(yuan(self.personal)))
        if self.payer is not None:
            out.update(payer=self.payer, amount=str(yuan(self.amount)))
        return out


PAYERS = ("individual", "employer", "medical_fund", "fiscal")


@dataclass(frozen=True)
class Contribution:
    period: str  # year | month
    by_payer: dict[str, int]  # fen
    lines: tuple[Line, ...]

    @property
    def total(self) -> int:
        return sum(self.by_payer.values())

    def as_dict(self) -> dict:
        out = {"period": self.period, "total": str(yuan(self.total))}
        out.update({p: str(yuan(self.by_payer.get(p, 0))) for p in PAYERS})
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
    def fund(self) -> int:
        return sum(ln.fund for ln in self.lines)

    @property
    def personal(self) -> int:
        return sum(ln.personal for ln in self.lines)

    @property
    def total(self) -> int:
        return self.fund + self.personal

    def as_dict(self) -> dict:
        return {"fund": str(yuan(self.fund)), "personal": str(yuan(self.personal)), "total": str(yuan(self.total)),
                "eligible_days": self.eligible_days, "lines": [ln.as_dict() for ln in self.lines]}
