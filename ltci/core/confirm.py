"""Ask before an irreversible step: a page that says what the step will do and acts only when confirmed.

The step runs once as a rehearsal inside a transaction that is rolled back, so what the page shows
(amounts, counts, who) is what the same code would do, and a refusal comes before the question,
not after it. The confirm button posts the same fields again with `confirmed=1` and a digest of the
summary the user saw; the step then runs for real and is kept only if it does what the user was shown
(otherwise it is rolled back and the new summary is asked about again). Without `confirmed=1` the
server changes nothing. The API does not use this: it is for machines, which confirm by calling.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable, Generic, TypeVar

from django.db import transaction
from django.shortcuts import render

T = TypeVar("T")
CONFIRMED = "confirmed"
DIGEST = "confirm_digest"
_SKIPPED = {"csrfmiddlewaretoken", CONFIRMED, DIGEST}


@dataclass
class Summary:
    """What a step will do, in the words of the page that asks."""

    title: str  # 确认生成支付批次
    lines: list[tuple[str, str]]  # (label, value): 收款方 12 户, 合计 3,000.00 元 …
    warning: str = ""  # what cannot be undone, and how it is corrected afterwards
    button: str = "确认"
    items: list[str] = field(default_factory=list)  # who: one line per payee, line, person …
    # Shown for context but not part of what is confirmed (a bank balance that other postings move).
    notes: list[tuple[str, str]] = field(default_factory=list)

    def digest(self) -> str:
        text = "\n".join([self.title, *(f"{k}={v}" for k, v in self.lines), *self.items])
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class Asked(Generic[T]):
    summary: Summary
    changed: bool = False  # the step would now do something else than what was confirmed


class _Rehearsal(Exception):
    def __init__(self, summary: Summary):
        self.summary = summary


def run(request, act: Callable[[], T], describe: Callable[[T], Summary]) -> T | Asked:
    """`act()`'s result when the user confirmed this very summary; else `Asked`, with nothing changed.
    A refusal (ValidationError) of `act` propagates, with nothing changed either."""
    confirmed = request.POST.get(CONFIRMED) == "1"
    seen = request.POST.get(DIGEST, "")
    try:
        with transaction.atomic():
            result = act()
            summary = describe(result)
            if not confirmed or summary.digest() != seen:
                raise _Rehearsal(summary)
    except _Rehearsal as rehearsal:
        return Asked(rehearsal.summary, changed=confirmed)
    return result


def page(request, asked: Asked, *, back: str, action: str | None = None):
    """The question: the summary, the posted fields carried along, 确认 and 返回."""
    fields = [(k, v) for k in request.POST if k not in _SKIPPED for v in request.POST.getlist(k)]
    action = action or request.get_full_path()
    return render(request, "core/confirm.html", {
        "s": asked.summary, "changed": asked.changed, "fields": fields, "action": action, "back": back,
        "digest": asked.summary.digest()})


def step(request, act: Callable[[], T], describe: Callable[[T], Summary], *, back: str,
         done: Callable[[T], str]):
    """A confirmed step from a page, whole: asks (the question page), or refuses (the reason as a
    message, back to `back`), or does it (`done(result)` as a message, back to `back`)."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.shortcuts import redirect

    from .errors import reasons

    try:
        result = run(request, act, describe)
    except ValidationError as exc:
        messages.error(request, reasons(exc))
        return redirect(back)
    if isinstance(result, Asked):
        return page(request, result, back=back)
    messages.success(request, done(result))
    return redirect(back)
