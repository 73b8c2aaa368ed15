"""The certificate as the person receives it (评估结论通知书): a PDF, so what is delivered is what
was decided, with the ID number masked as on every other page."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from . import services
from .models import Certificate

INDICATORS = {"adl": "日常生活活动能力", "cognition": "认知能力", "perception": "感知觉与沟通能力"}
LEVELS = {"intact": "能力完好", "mild": "轻度受损", "moderate": "中度受损", "severe": "重度受损"}
MUNICIPAL_BASIS = "等级依据上海市老年照护统一需求评估结果登记"


def _indicators(cert: Certificate) -> list[dict]:
    """One line per indicator, the scale's order first, then any the scale adds."""
    keys = [k for k in INDICATORS if k in cert.totals] + [k for k in cert.totals if k not in INDICATORS]
    return [{"label": INDICATORS.get(k, k), "score": cert.totals[k],
             "level": LEVELS.get(cert.levels.get(k, ""), cert.levels.get(k, ""))} for k in keys]


def certificate_context(cert: Certificate) -> dict:
    app = cert.application
    return {
        "cert": cert,
        "region_name": cert.region.name,
        "person_name": cert.person.name,
        "masked_id": cert.person.masked_id,
        "grade_label": services.grade_label(cert.grade),
        "indicators": _indicators(cert),
        "municipal_basis": MUNICIPAL_BASIS if not cert.totals else "",
        "issued_on": timezone.localtime(cert.issued_at).date() if cert.issued_at else timezone.localdate(),
        "publicity_from": app.publicity_from,
        "publicity_until": app.publicity_until,
    }


def certificate_html(cert: Certificate) -> str:
    return render_to_string("assessment/certificate_pdf.html", certificate_context(cert))


def certificate_pdf(cert: Certificate) -> bytes:
    """The notice as PDF bytes; fonts come from the system (Noto CJK), nothing is fetched."""
    from weasyprint import HTML  # heavy: loaded only when a notice is printed

    return HTML(string=certificate_html(cert)).write_pdf()
