"""What a reviewing expert sees (double-blind): the case, never the assessors' names nor another
expert's decision. The committee, which settles disagreements and disputes, sees the earlier
decisions without names."""

from __future__ import annotations

from ltci.audit.masking import mask_name

from .models import Review, Round
from .services import grade_label, today

INDICATORS = {"adl": "日常生活活动能力", "cognition": "认知能力", "perception": "感知觉与沟通能力"}
LEVELS = {"intact": "能力完好", "mild": "轻度受损", "moderate": "中度受损", "severe": "重度受损"}


def case(review: Review) -> dict:
    app = review.application
    person = app.person
    task = app.site_assessments.exclude(visited_at__isnull=True).order_by("-id").first()
    out = {
        "round": review.round,
        "round_label": review.get_round_display(),
        "application_number": app.number,
        "person": {"name": mask_name(person.name), "sex": person.get_sex_display(),
                   "age": person.age_on(today())},
        "disabled_since": app.disabled_since.isoformat(),
        "self_assessment_letter": app.self_assessment_letter,
        "materials": [{"id": m.pk, "kind": m.get_kind_display(), "name": m.name} for m in app.materials.all()],
        "site": None,
        "earlier": [],
        "objections": [],
    }
    if task:
        out["site"] = {
            "visited_on": task.visited_at.date().isoformat(),
            "scores": task.scores,
            "indicators": [{"label": INDICATORS[k], "score": task.totals[k], "level": LEVELS[task.levels[k]]}
                           for k in INDICATORS if k in task.totals],
            "proposed_grade": grade_label(task.proposed_grade),
            "external_reference": task.external_reference,
            "explanation": task.explanation,
        }
    if review.round in (Round.COMMITTEE, Round.DISPUTE):
        earlier = app.reviews.exclude(pk=review.pk).exclude(decided_at__isnull=True).order_by("decided_at")
        out["earlier"] = [{"who": f"专家{i}", "round": r.get_round_display(), "grade": grade_label(r.grade),
                           "reason": r.reason} for i, r in enumerate(earlier, 1)]
        out["objections"] = [o.reason for o in app.objections.all()]
    return out
