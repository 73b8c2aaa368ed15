"""Statements as PDF, in Chinese: an institution's claim (结算单) and an insured person's monthly
benefit statement (待遇结算告知单). ID numbers masked, as on every page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone

from ltci.assessment.services import grade_label
from ltci.care.models import Mode
from ltci.enrolment.models import Person

from .models import Claim, Line

MODES = dict(Mode.choices)


def _rows(lines) -> list[dict]:
    return [{"line": ln, "mode": MODES.get(ln.mode, ln.mode), "grade": grade_label(ln.grade),
             "person": ln.person.name, "masked_id": ln.person.masked_id} for ln in lines]


def _pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML  # heavy: loaded only when a statement is printed

    return HTML(string=render_to_string(template, context)).write_pdf()


def claim_context(claim: Claim) -> dict:
    lines = claim.lines.select_related("person").order_by("person__name", "service_month", "part_from", "id")
    totals = lines.aggregate(f=Sum("fund"), p=Sum("personal"), c=Sum("cost"))
    return {"claim": claim, "region_name": claim.region.name, "rows": _rows(lines),
            "fund": totals["f"] or Decimal("0.00"), "personal": totals["p"] or Decimal("0.00"),
            "printed_on": timezone.localdate()}


def claim_pdf(claim: Claim) -> bytes:
    return _pdf("settlement/claim_pdf.html", claim_context(claim))


def person_context(person: Person, month: date) -> dict:
    """Every line booked for the person in `month` (the month's own and any adjustments it carries)."""
    lines = (Line.objects.filter(person=person, claim__month=month).select_related("person", "claim__institution")
             .order_by("service_month", "part_from", "id"))
    totals = lines.aggregate(f=Sum("fund"), p=Sum("personal"))
    return {"person": person, "masked_id": person.masked_id, "region_name": person.region.name, "month": month,
            "rows": _rows(lines), "fund": totals["f"] or Decimal("0.00"), "personal": totals["p"] or Decimal("0.00"),
            "printed_on": timezone.localdate()}


def person_pdf(person: Person, month: date) -> bytes:
    return _pdf("settlement/person_pdf.html", person_context(person, month))
