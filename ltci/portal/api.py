"""参保人服务: the portal's actions over JSON under /api/my/, for the insured's own account only (an app
on the phone). Each calls the same service as the page; other accounts get 403, another person's
rows 404."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from ltci.accounts.roles import (
    APPLICATION_SUBMIT,
    APPLICATION_VIEW,
    CARE_CHOOSE,
    CARE_RATE,
    CARE_VIEW,
    CLAIM_VIEW,
    OBJECTION_FILE,
)
from ltci.accounts.scope import get_visible_or_404
from ltci.assessment import services as assessment
from ltci.assessment.models import Channel
from ltci.audit.recorder import record_view
from ltci.care import api as care_api
from ltci.care import choices, plans, ratings
from ltci.care.geo import point
from ltci.care.models import CarePlan, Visit

from . import services

router = Router(tags=["参保人服务"])


class MyCertificateOut(Schema):
    id: int
    number: str
    grade: str
    grade_label: str
    qualifies: bool
    valid_from: date
    last_day: date


class MyApplicationOut(Schema):
    id: int
    number: str
    state: str
    state_label: str
    submitted_on: date
    intake_due: date
    decided_grade: str
    grade_label: str
    publicity_from: date | None
    publicity_until: date | None
    may_object: bool


class StepOut(Schema):
    at: datetime
    label: str
    state: str
    state_label: str
    note: str


class MyApplicationDetailOut(MyApplicationOut):
    steps: list[StepOut]
    materials: list[dict]
    certificate: MyCertificateOut | None


class MyPlanOut(Schema):
    id: int
    institution: str
    mode: str
    valid_from: date
    status: str
    status_label: str
    total: Decimal
    visits_per_week: int | None
    items: list[dict]


class MyRatingOut(Schema):
    visit_id: int
    score: int
    comment: str
    rated_at: datetime


class MyVisitOut(Schema):
    id: int
    institution: str
    carer: str
    checkin_at: datetime
    checkout_at: datetime | None
    items: list[str]
    item_names: list[str]
    rating: MyRatingOut | None
    rateable: bool
    not_rateable_reason: str | None


class MyStayOut(Schema):
    id: int
    institution: str
    bed: str
    admitted_on: date
    discharged_on: date | None
    bed_days_this_month: int


class SummaryOut(Schema):
    person_name: str
    id_number_masked: str
    application: MyApplicationOut | None
    certificate: MyCertificateOut | None
    mode: str | None
    institution: str | None
    plans_to_confirm: list[MyPlanOut]
    visits_to_rate: list[MyVisitOut]
    benefit_month: str
    benefit_fund: Decimal
    benefit_personal: Decimal


def _cert(c) -> dict | None:
    if c is None:
        return None
    return {"id": c.pk, "number": c.number, "grade": c.grade, "grade_label": c.get_grade_label(),
            "qualifies": c.qualifies, "valid_from": c.valid_from, "last_day": c.last_day}


def _app(app, user) -> dict:
    return {"id": app.pk, "number": app.number, "state": app.state, "state_label": app.state_label,
            "submitted_on": app.submitted_on, "intake_due": app.intake_due, "decided_grade": app.decided_grade,
            "grade_label": assessment.grade_label(app.decided_grade) if app.decided_grade else "",
            "publicity_from": app.publicity_from, "publicity_until": app.publicity_until,
            "may_object": "object" in assessment.actions_for(app, user)}


def _app_detail(app, user) -> dict:
    steps = [{"at": t["at"], "label": t["label"], "state": t["target"], "state_label": t["state"], "note": t["note"]}
             for t in services.timeline(app)]
    return {**_app(app, user), "steps": steps, "certificate": _cert(app.certificate),
            "materials": [{"kind": m.kind, "name": m.name, "size": m.size} for m in app.materials.all()]}


def _plan(p: CarePlan) -> dict:
    return {"id": p.pk, "institution": p.institution.name, "mode": p.mode, "valid_from": p.valid_from,
            "status": p.status, "status_label": p.get_status_display(), "total": p.total,
            "visits_per_week": p.visits_per_week,
            "items": [{"code": i.item.code, "name": i.item.name, "per_month": i.per_month,
                       "amount": str(i.amount)} for i in p.items.select_related("item")]}


def _rating(r) -> dict | None:
    return {"visit_id": r.visit_id, "score": r.score, "comment": r.comment, "rated_at": r.rated_at} if r else None


def _visit(row: services.VisitRow) -> dict:
    v = row.visit
    return {"id": v.pk, "institution": v.institution.name, "carer": v.carer.name, "checkin_at": v.checkin_at,
            "checkout_at": v.checkout_at, "items": v.items,
            "item_names": row.item_names or v.items, "rating": _rating(row.rating), "rateable": row.rateable,
            "not_rateable_reason": None if row.rating else row.refused}


@router.get("/my", response=SummaryOut)
def summary(request):
    """The home page's summary: the application to follow, the certificate, plans to confirm, visits
    to rate and last month's benefit."""
    s = services.summary(request.user)
    record_view("health", s["person"], what="portal_home")
    mode = s["mode"]
    return {"person_name": s["person"].name, "id_number_masked": s["masked_id"],
            "application": _app(s["application"], request.user) if s["application"] else None,
            "certificate": _cert(s["certificate"]), "mode": mode.mode if mode else None,
            "institution": mode.institution.name if mode and mode.institution else None,
            "plans_to_confirm": [_plan(p) for p in s["plans_to_confirm"]],
            "visits_to_rate": [_visit(r) for r in s["to_rate"]], "benefit_month": f"{s['month']:%Y-%m}",
            "benefit_fund": s["benefit_fund"], "benefit_personal": s["benefit_personal"]}


@router.get("/my/applications", response=list[MyApplicationOut])
def my_applications(request):
    person = services.insured(request.user, APPLICATION_VIEW)
    rows = list(services.applications(request.user)[:50])
    if rows:  # states, decided grades and publicity: health data
        record_view("health", person, what="applications")
    return [_app(a, request.user) for a in rows]


@router.post("/my/applications", response={201: MyApplicationDetailOut})
def apply(request, disabled_since: Form[date], applicant_name: Form[str], applicant_relation: Form[str],
          applicant_phone: Form[str], self_assessment: Form[str], pledge_signed: Form[bool],
          trigger: Form[str] = "", discharge_summary: File[UploadedFile] = None,
          outpatient_record: File[UploadedFile] = None, disability_certificate: File[UploadedFile] = None,
          pledge: File[UploadedFile] = None, self_assessment_form: File[UploadedFile] = None):
    """Multipart: the fields, `self_assessment` as JSON ({activity: independent|dependent}), a file per
    material kind (PDF, JPG or PNG, checked by content and size). A failing pre-check or a bad file
    answers 422 and saves nothing."""
    person = services.insured(request.user, APPLICATION_SUBMIT)
    try:
        answers = json.loads(self_assessment)
    except json.JSONDecodeError:
        raise ValidationError({"self_assessment": "自评表须为 JSON：{活动: independent|dependent}"}) from None
    if not isinstance(answers, dict):
        raise ValidationError({"self_assessment": "自评表须为 JSON 对象"})
    if not all(isinstance(v, str) for v in answers.values()):  # a list or an object is no answer (nor a 500)
        raise ValidationError({"self_assessment": "自评表的每项须为 independent 或 dependent"})
    files = {"discharge_summary": discharge_summary, "outpatient_record": outpatient_record,
             "disability_certificate": disability_certificate, "pledge": pledge,
             "self_assessment": self_assessment_form}
    app = assessment.submit(
        user=request.user, person=person, channel=Channel.ONLINE, applicant_name=applicant_name,
        applicant_relation=applicant_relation, applicant_phone=applicant_phone, disabled_since=disabled_since,
        self_assessment=answers, pledge_signed=pledge_signed,
        materials=[(k, f) for k, f in files.items() if f is not None], trigger=trigger if trigger == "expiry" else "")
    return Status(201, _app_detail(app, request.user))


@router.get("/my/applications/{pk}", response=MyApplicationDetailOut)
def my_application(request, pk: int):
    services.insured(request.user, APPLICATION_VIEW)
    app = get_visible_or_404(services.applications(request.user, scoped=False), request.user, pk=pk)
    assessment.record_health_view(app)
    return _app_detail(app, request.user)


class ObjectionIn(Schema):
    reason: str


@router.post("/my/applications/{pk}/objection", response={201: MyApplicationOut})
def object_to(request, pk: int, body: ObjectionIn):
    """During publicity (or against a delivered conclusion still in force); refused (409) otherwise."""
    services.insured(request.user, OBJECTION_FILE)
    app = get_visible_or_404(services.applications(request.user, scoped=False), request.user, pk=pk)
    done = assessment.object_to(app, request.user, reason=body.reason)
    return Status(201, _app(done.application, request.user))


@router.get("/my/care-plans", response=list[MyPlanOut])
def my_plans(request):
    services.insured(request.user, CARE_VIEW)
    rows = list(services.plans(request.user)[:24])
    if rows:
        record_view("health", request.user.person, what="care_plans")
    return [_plan(p) for p in rows]


@router.post("/my/care-plans/{pk}/confirm", response=MyPlanOut)
def confirm_plan(request, pk: int):
    """A draft becomes the confirmed plan; a plan not waiting for confirmation is refused (422)."""
    services.insured(request.user, CARE_VIEW)
    plan = get_visible_or_404(CarePlan.objects.select_related("institution"), request.user, pk=pk)
    return _plan(plans.confirm(plan, request.user))


@router.get("/my/visits", response=list[MyVisitOut])
def my_visits(request):
    """The last weeks' visits, the current version of each, with the rating given or why none can be."""
    person = services.insured(request.user, CARE_VIEW)
    record_view("health", person, what="visits")
    return [_visit(r) for r in services.recent_visits(request.user, services.today())]


@router.get("/my/stays", response=list[MyStayOut])
def my_stays(request):
    person = services.insured(request.user, CARE_VIEW)
    record_view("health", person, what="stays")
    return [{"id": s["stay"].pk, "institution": s["stay"].institution.name, "bed": s["stay"].bed,
             "admitted_on": s["stay"].admitted_on, "discharged_on": s["stay"].discharged_on,
             "bed_days_this_month": s["month_days"]} for s in services.stays(request.user, services.today())]


class RatingIn(Schema):
    score: int
    comment: str = ""


@router.post("/my/visits/{pk}/rating", response={201: MyRatingOut})
def rate_visit(request, pk: int, body: RatingIn):
    """Once per visit, after check-out, by the person served: a second rating answers 409 and changes
    nothing; a comment over 200 characters 422."""
    services.insured(request.user, CARE_RATE)
    visit = get_visible_or_404(Visit.objects.all(), request.user, pk=pk)
    return Status(201, _rating(ratings.rate_visit(visit, request.user, score=body.score, comment=body.comment)))


class MyReviewOut(Schema):
    institution_id: int
    score: int
    comment: str
    created_at: datetime


@router.post("/my/institutions/{institution_id}/reviews", response={201: MyReviewOut})
def review_institution(request, institution_id: int, body: RatingIn):
    """An institution that serves or served the person, once a calendar month (409 for a second)."""
    person = services.insured(request.user, CARE_RATE)
    institution = services.reviewable_institution(person, institution_id)
    done = ratings.rate_institution(institution, request.user, score=body.score, comment=body.comment)
    return Status(201, {"institution_id": institution.pk, "score": done.score, "comment": done.comment,
                        "created_at": done.created_at})


class OfferOut(Schema):
    institution_id: int
    name: str
    kind: str
    address: str
    modes: list[dict]
    stars: int | None
    score: Decimal | None
    distance_km: Decimal | None
    free_beds: int | None


@router.get("/my/institutions", response=list[OfferOut])
def offered_institutions(request, lat: str = "", lon: str = ""):
    """Institutions the person may choose: most stars first, then nearest to `lat`/`lon` (the phone)
    or the recorded home."""
    person = services.insured(request.user, CARE_CHOOSE)
    near = point(lat, lon) if lat or lon else None
    return [{"institution_id": o.institution.pk, "name": o.institution.name, "kind": o.institution.kind,
             "address": f"{o.institution.district}{o.institution.address}",
             "modes": [{"mode": m, "label": label} for m, label in o.modes], "stars": o.stars, "score": o.score,
             "distance_km": o.distance_km, "free_beds": o.free_beds}
            for o in choices.offers(person, services.today(), near=near)]


class MyChoiceIn(care_api.ChoiceIn):
    institution_id: int  # the portal chooses from the list of institutions, never "none"


@router.post("/my/care-choices", response={201: care_api.ChoiceOut})
def choose(request, body: MyChoiceIn):
    c = services.choose_institution(request.user, institution_id=body.institution_id, mode=body.mode,
                                    effective_from=body.effective_from, home_latitude=body.home_latitude,
                                    home_longitude=body.home_longitude)
    return Status(201, {"id": c.pk, "mode": c.mode, "institution_id": c.institution_id,
                        "effective_from": c.effective_from})


class MyLineOut(Schema):
    institution: str | None
    service_month: str
    kind: str
    mode: str
    mode_label: str
    grade_label: str
    part_from: date
    part_to: date
    eligible_days: int
    units: dict
    cost: Decimal
    fund: Decimal
    personal: Decimal
    explanation: list[dict]
    note: str


class BenefitOut(Schema):
    month: str
    fund: Decimal
    personal: Decimal
    lines: list[MyLineOut]


@router.get("/my/benefits", response=BenefitOut)
def benefit(request, month: str = ""):
    """The lines booked for the person in `month` (YYYY-MM; default last month), each with its explanation."""
    person = services.insured(request.user, CLAIM_VIEW)
    first = services.last_month(services.today())
    if month:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise ValidationError({"month": "月份格式为 YYYY-MM"})
        first = date(int(month[:4]), int(month[5:]), 1)
    s = services.benefit(person, first)
    record_view("health", person, what="benefit_statement", month=f"{first:%Y-%m}")
    return {"month": f"{first:%Y-%m}", "fund": s["fund"], "personal": s["personal"],
            "lines": [{"institution": r["line"].claim.institution.name if r["line"].claim.institution_id else None,
                       "service_month": f"{r['line'].service_month:%Y-%m}", "kind": r["line"].kind,
                       "mode": r["line"].mode, "mode_label": r["mode"], "grade_label": r["grade"],
                       "part_from": r["line"].part_from, "part_to": r["line"].part_to,
                       "eligible_days": r["line"].eligible_days, "units": r["line"].units, "cost": r["line"].cost,
                       "fund": r["line"].fund, "personal": r["line"].personal,
                       "explanation": r["line"].explanation, "note": r["line"].note} for r in s["rows"]]}
