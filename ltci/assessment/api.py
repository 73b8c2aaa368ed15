"""The assessment flow over JSON: every step a role takes on a page, under the same rules."""

from __future__ import annotations

import json
from datetime import date

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from ltci.accounts.roles import (
    APPLICATION_HANDLE,
    APPLICATION_SUBMIT,
    APPLICATION_VIEW,
    ASSESSMENT_REPORT,
    CERTIFICATE_VIEW,
    COMMITTEE_DECIDE,
    OBJECTION_FILE,
    REVIEW_DECIDE,
    SITE_ASSESS,
)
from ltci.accounts.scope import get_visible_or_404, require
from ltci.enrolment.models import Person
from ltci.providers.models import Institution

from . import blind, discovery, reports, services, tasks
from .models import Channel, Lead, Review
from .pdf import certificate_pdf

router = Router(tags=["失能评估"])


class ReasonOut(Schema):
    code: str
    message: str
    clause: str
    until: date | None


class TransitionOut(Schema):
    action: str
    source: str
    target: str
    at: str
    note: str


class CertificateOut(Schema):
    id: int
    number: str
    person_id: int
    grade: str
    grade_label: str
    qualifies: bool
    totals: dict
    levels: dict
    valid_from: date
    valid_until: date
    ended_on: date | None


class ApplicationOut(Schema):
    id: int
    number: str
    person_id: int
    person_name: str
    id_number_masked: str
    kind: str
    trigger: str
    channel: str
    state: str
    state_label: str
    self_assessment_letter: str
    submitted_on: date
    intake_due: date
    accepted_on: date | None
    conclusion_due: date | None
    decided_grade: str
    publicity_from: date | None
    publicity_until: date | None
    allowed_actions: list[str]


class ApplicationDetailOut(ApplicationOut):
    transitions: list[TransitionOut]
    materials: list[dict]
    certificate: CertificateOut | None


def _cert(c) -> dict:
    return {"id": c.pk, "number": c.number, "person_id": c.person_id, "grade": c.grade,
            "grade_label": services.grade_label(c.grade), "qualifies": c.qualifies, "totals": c.totals,
            "levels": c.levels, "valid_from": c.valid_from, "valid_until": c.valid_until, "ended_on": c.ended_on}


def _app(app, user) -> dict:
    return {"id": app.pk, "number": app.number, "person_id": app.person_id, "person_name": app.person.name,
            "id_number_masked": app.person.masked_id, "kind": app.kind, "trigger": app.trigger,
            "channel": app.channel, "state": app.state, "state_label": app.state_label,
            "self_assessment_letter": app.self_assessment_letter, "submitted_on": app.submitted_on,
            "intake_due": app.intake_due, "accepted_on": app.accepted_on, "conclusion_due": app.conclusion_due,
            "decided_grade": app.decided_grade, "publicity_from": app.publicity_from,
            "publicity_until": app.publicity_until, "allowed_actions": services.actions_for(app, user)}


def _detail(app, user) -> dict:
    cert = getattr(app, "certificate", None)
    return {**_app(app, user),
            "transitions": [{"action": t.action, "source": t.source, "target": t.target, "at": t.at.isoformat(),
                             "note": t.note} for t in app.transitions.all()],
            "materials": [{"id": m.pk, "kind": m.kind, "name": m.name, "size": m.size} for m in app.materials.all()],
            "certificate": _cert(cert) if cert else None}


def _get_app(request, pk: int):
    require(request.user, APPLICATION_VIEW)
    return get_visible_or_404(tasks.applications_for(request.user), request.user, pk=pk)


@router.get("/applications", response=list[ApplicationOut])
def list_applications(request, state: str = "", limit: int = 20, offset: int = 0):
    require(request.user, APPLICATION_VIEW)
    qs = services.with_action_facts(tasks.applications_for(request.user))
    if state:
        qs = qs.filter(state=state)
    return [_app(a, request.user) for a in qs[max(offset, 0):max(offset, 0) + min(max(limit, 1), 500)]]


@router.post("/applications", response={201: ApplicationDetailOut})
def submit_application(
    request, disabled_since: Form[date], applicant_name: Form[str], applicant_relation: Form[str],
    applicant_phone: Form[str], self_assessment: Form[str], pledge_signed: Form[bool],
    person_id: Form[int | None] = None, trigger: Form[str] = "", acceptance_point: Form[str] = "",
    serving_institution_id: Form[int | None] = None,
    discharge_summary: File[UploadedFile] = None, outpatient_record: File[UploadedFile] = None,
    disability_certificate: File[UploadedFile] = None, pledge: File[UploadedFile] = None,
    self_assessment_form: File[UploadedFile] = None,
):
    """Multipart: the fields, `self_assessment` as JSON ({activity: independent|dependent}), and a file
    per material kind. The insured applies for themselves; a clerk names `person_id`. A failing
    pre-check answers 422 with `reasons`, each with the date it could pass, and saves nothing."""
    require(request.user, APPLICATION_SUBMIT)
    person = _applicant(request.user, person_id)
    try:
        ratings = json.loads(self_assessment)
    except json.JSONDecodeError:
        raise ValidationError({"self_assessment": "自评表须为 JSON：{活动: independent|dependent}"}) from None
    files = {"discharge_summary": discharge_summary, "outpatient_record": outpatient_record,
             "disability_certificate": disability_certificate, "pledge": pledge,
             "self_assessment": self_assessment_form}
    institution = (get_visible_or_404(Institution.objects.all(), request.user, pk=serving_institution_id)
                   if serving_institution_id else None)
    app = services.submit(
        user=request.user, person=person, channel=Channel.ONLINE if person_id is None else Channel.COUNTER,
        applicant_name=applicant_name, applicant_relation=applicant_relation, applicant_phone=applicant_phone,
        disabled_since=disabled_since, self_assessment=ratings, pledge_signed=pledge_signed,
        materials=[(k, f) for k, f in files.items() if f is not None], trigger=trigger,
        acceptance_point=acceptance_point, serving_institution=institution)
    return Status(201, _detail(app, request.user))


def _applicant(user, person_id: int | None) -> Person:
    """The insured apply for their own person; the agency for anyone of its region."""
    if user.person_id:  # nobody but oneself exists for the insured: another id answers 404
        if person_id not in (None, user.person_id):
            get_visible_or_404(Person.objects.all(), user, pk=person_id)
        return user.person
    if person_id is None:
        raise ValidationError({"person_id": "请指定参保人"})
    require(user, APPLICATION_HANDLE)
    return get_visible_or_404(Person.objects.all(), user, pk=person_id)


@router.get("/applications/{pk}", response=ApplicationDetailOut)
def application_detail(request, pk: int):
    app = _get_app(request, pk)
    services.record_health_view(app)
    return _detail(app, request.user)


class NoteIn(Schema):
    note: str = ""


class ScreenIn(Schema):
    passed: bool
    note: str = ""


class ObjectionIn(Schema):
    reason: str


@router.post("/applications/{pk}/accept", response=ApplicationOut)
def accept(request, pk: int):
    require(request.user, APPLICATION_HANDLE)
    return _app(services.accept(_get_app(request, pk), request.user), request.user)


@router.post("/applications/{pk}/refuse", response=ApplicationOut)
def refuse(request, pk: int, body: NoteIn):
    require(request.user, APPLICATION_HANDLE)
    return _app(services.refuse(_get_app(request, pk), request.user, reason=body.note), request.user)


@router.post("/applications/{pk}/screen", response=ApplicationOut)
def screen(request, pk: int, body: ScreenIn):
    require(request.user, APPLICATION_HANDLE)
    return _app(services.screen(_get_app(request, pk), request.user, passed=body.passed, note=body.note), request.user)


@router.post("/applications/{pk}/assign", response=ApplicationOut)
def assign(request, pk: int):
    require(request.user, APPLICATION_HANDLE)
    task = services.assign(_get_app(request, pk), request.user)
    return _app(task.application, request.user)


@router.post("/applications/{pk}/reassign", response=ApplicationOut)
def reassign(request, pk: int, body: NoteIn):
    """A new pair of evaluators for a visit not made yet; the old task is kept, marked replaced."""
    require(request.user, APPLICATION_HANDLE)
    task = services.reassign(_get_app(request, pk), request.user, reason=body.note)
    return _app(task.application, request.user)


class RedrawIn(Schema):
    note: str
    review_id: int | None = None


@router.post("/applications/{pk}/redraw", response=ApplicationOut)
def redraw(request, pk: int, body: RedrawIn):
    """Draws the experts the pool could not give before, or replaces one who has not decided."""
    require(request.user, APPLICATION_HANDLE)
    app = _get_app(request, pk)
    review = None
    if body.review_id is not None:
        review = get_visible_or_404(Review.objects.all(), request.user, pk=body.review_id)
        if review.application_id != app.pk:
            raise ValidationError({"review_id": "该申请没有这项评定"})
    services.redraw(app, request.user, reason=body.note, review=review)
    app.refresh_from_db()
    return _app(app, request.user)


@router.post("/applications/{pk}/withdraw", response=ApplicationOut)
def withdraw(request, pk: int, body: NoteIn):
    require(request.user, APPLICATION_SUBMIT)
    return _app(services.withdraw(_get_app(request, pk), request.user, reason=body.note), request.user)


@router.post("/applications/{pk}/objections", response={201: ApplicationOut})
def object_to(request, pk: int, body: ObjectionIn):
    require(request.user, OBJECTION_FILE)
    objection = services.object_to(_get_app(request, pk), request.user, reason=body.reason)
    return Status(201, _app(objection.application, request.user))


@router.post("/applications/{pk}/certify", response=CertificateOut)
def certify(request, pk: int):
    require(request.user, APPLICATION_HANDLE)
    return _cert(services.certify(_get_app(request, pk), request.user))


# Site tasks ------------------------------------------------------------------------------------

class SiteTaskOut(Schema):
    id: int
    application_number: str
    person_name: str
    address: str
    assigned_at: str


@router.get("/assessment/tasks", response=list[SiteTaskOut])
def my_site_tasks(request):
    require(request.user, SITE_ASSESS)
    return [{"id": t.pk, "application_number": t.application.number, "person_name": t.application.person.name,
             "address": t.application.person.address, "assigned_at": t.assigned_at.isoformat()}
            for t in tasks.site_tasks_for(request.user)]


class SiteVisitOut(Schema):
    proposed_grade: str
    grade_label: str
    totals: dict
    levels: dict
    explanation: list[dict]


@router.post("/assessment/tasks/{pk}/visit", response={201: SiteVisitOut})
def record_visit(request, pk: int, guardian: Form[str], latitude: Form[str], longitude: Form[str],
                 photo: File[UploadedFile], scores: Form[str] = "", level: Form[str] = "",
                 external_reference: Form[str] = ""):
    """Multipart: `scores` as JSON {indicator: {item: score}} where the region uses the national scale,
    or `level` and `external_reference` where it records another body's level (Changning)."""
    require(request.user, SITE_ASSESS)
    task = get_visible_or_404(tasks.site_tasks_for(request.user), request.user, pk=pk)
    try:
        parsed = json.loads(scores) if scores else None
    except json.JSONDecodeError:
        raise ValidationError({"scores": "量表得分须为 JSON"}) from None
    done = services.record_visit(task.application, request.user, scores=parsed, level=level,
                                 external_reference=external_reference, guardian=guardian, photo=photo,
                                 latitude=latitude, longitude=longitude)
    return Status(201, {"proposed_grade": done.proposed_grade, "grade_label": services.grade_label(done.proposed_grade),
                        "totals": done.totals, "levels": done.levels, "explanation": done.explanation})


# Reviews ----------------------------------------------------------------------------------------

class ReviewOut(Schema):
    id: int
    round: str
    application_number: str
    case: dict


class DecidedOut(Schema):
    """What an expert gets back: their own decision, nothing of the case's outcome (double-blind)."""

    id: int
    round: str
    grade: str
    decided_at: str


class DecisionIn(Schema):
    grade: str
    reason: str = ""


@router.get("/assessment/reviews", response=list[ReviewOut])
def my_reviews(request):
    require(request.user, REVIEW_DECIDE)
    out = []
    for review in tasks.reviews_for(request.user):
        services.record_health_view(review.application)
        out.append({"id": review.pk, "round": review.round, "application_number": review.application.number,
                    "case": blind.case(review)})
    return out


@router.post("/assessment/reviews/{pk}/decision", response=DecidedOut)
def decide(request, pk: int, body: DecisionIn):
    require(request.user, REVIEW_DECIDE)
    review = get_visible_or_404(tasks.reviews_for(request.user), request.user, pk=pk)
    if review.round in ("committee", "dispute"):
        require(request.user, COMMITTEE_DECIDE)
    done = services.decide(review, request.user, grade=body.grade, reason=body.reason)
    return {"id": done.pk, "round": done.round, "grade": done.grade, "decided_at": done.decided_at.isoformat()}


# Publicity, certificates, reports ---------------------------------------------------------------

class PublicityOut(Schema):
    number: str
    name: str
    id_number_masked: str
    grade_label: str
    publicity_from: date
    publicity_until: date


@router.get("/assessment/publicity", response=list[PublicityOut])
def publicity(request):
    require(request.user, CERTIFICATE_VIEW)
    return services.publicity_list(request.user.region_id)


@router.get("/certificates/{pk}", response=CertificateOut)
def certificate(request, pk: int):
    require(request.user, CERTIFICATE_VIEW)
    cert = get_visible_or_404(tasks.certificates_for(request.user), request.user, pk=pk)
    services.record_health_view(cert)
    return _cert(cert)


@router.get("/certificates/{pk}/pdf")
def certificate_pdf_view(request, pk: int):
    require(request.user, CERTIFICATE_VIEW)
    cert = get_visible_or_404(tasks.certificates_for(request.user), request.user, pk=pk)
    services.record_health_view(cert)
    response = HttpResponse(certificate_pdf(cert), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{cert.number}.pdf"'
    return response


@router.get("/assessment/ranking")
def ranking(request, start: date, end: date, limit: int = 20):
    """Re-assessment requests per person and per institution in a period (Changning 二(二)1)."""
    require(request.user, ASSESSMENT_REPORT)
    if end < start:
        raise ValidationError({"end": "结束日期不能早于开始日期"})
    return reports.reassessment_ranking(request.user.region_id, start, end, limit=min(max(limit, 1), 200))


@router.get("/assessment/ranking/applications", response=list[ApplicationOut])
def ranking_drilldown(request, start: date, end: date, person_id: int | None = None,
                      institution_id: int | None = None):
    """The re-assessment requests behind one line of the ranking."""
    require(request.user, ASSESSMENT_REPORT)
    if end < start:
        raise ValidationError({"end": "结束日期不能早于开始日期"})
    rows = reports.ranking_drilldown(request.user.region_id, start, end, person_id=person_id,
                                     institution_id=institution_id)
    return [_app(a, request.user) for a in rows[:500]]


class LeadOut(Schema):
    id: int
    person_id: int
    name: str
    id_number_masked: str
    source: str
    listed_on: date
    detail: str
    status: str


def _lead(lead: Lead) -> dict:
    return {"id": lead.pk, "person_id": lead.person_id, "name": lead.person.name,
            "id_number_masked": lead.person.masked_id, "source": lead.source, "listed_on": lead.listed_on,
            "detail": lead.detail, "status": lead.status}


@router.get("/assessment/leads", response=list[LeadOut])
def leads(request):
    require(request.user, ASSESSMENT_REPORT)
    rows = [_lead(lead) for lead in discovery.leads_for(request.user.region_id)[:500]]
    services.record_lead_view(request.user.region_id, len(rows))
    return rows


@router.post("/assessment/leads/import")
def import_leads(request, source: Form[str], file: File[UploadedFile]):
    require(request.user, APPLICATION_HANDLE)
    report = discovery.import_leads(request.user.region_id, source, file, request.user)
    return {**report.counts(), "skipped_rows": report.skipped, "rejected_rows": report.rejected}


class LeadMarkIn(Schema):
    status: str
    note: str = ""


@router.post("/assessment/leads/{pk}", response=LeadOut)
def mark_lead(request, pk: int, body: LeadMarkIn):
    require(request.user, APPLICATION_HANDLE)
    lead = get_visible_or_404(Lead.objects.select_related("person"), request.user, pk=pk)
    return _lead(discovery.mark_lead(lead, request.user, body.status, body.note))


