"""Care over JSON: the carer's device checks in and out (idempotent by the client's request id); the
agency and institutions record modes, admissions and discharges."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from ninja import Router, Schema, Status

from ltci.accounts.roles import CARE_CHANGE, CARE_VIEW, VISIT_ACCEPT, VISIT_RECORD
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.enrolment.models import Person
from ltci.providers.models import Institution

from . import choices, holds, plans, stays, visits
from .clients import client_or_404
from .models import CareChoice, CarePlan, Stay, Visit

router = Router(tags=["护理服务"])


class VisitOut(Schema):
    id: int
    person_id: int
    person_name: str
    carer_id: int
    request_id: str
    checkin_at: datetime
    checkin_distance_m: int | None
    checkout_at: datetime | None
    checkout_distance_m: int | None
    face_check: str
    items: list[str]
    notes: str
    acceptance: str
    acceptance_label: str
    exceptions: list[str]
    exception_texts: list[str]
    notice: str  # for the carer at once: why the visit waits for the agency (empty when it does not)


def _visit(v: Visit) -> dict:
    return {"id": v.pk, "person_id": v.person_id, "person_name": v.person.name, "carer_id": v.carer_id,
            "request_id": v.request_id, "checkin_at": v.checkin_at, "checkin_distance_m": v.checkin_distance_m,
            "checkout_at": v.checkout_at, "checkout_distance_m": v.checkout_distance_m, "face_check": v.face_check,
            "items": v.items, "notes": v.notes, "acceptance": v.acceptance, "acceptance_label": v.get_acceptance_display(),
            "exceptions": v.exceptions, "exception_texts": holds.reason_texts(v) if v.acceptance else [],
            "notice": holds.notice(v)}


class CheckInIn(Schema):
    """Without a location (both coordinates left out) the visit is recorded and waits for the agency."""

    request_id: str
    person_id: int
    latitude: str | None = None
    longitude: str | None = None
    at: datetime | None = None


class CheckOutIn(Schema):
    request_id: str
    latitude: str | None = None
    longitude: str | None = None
    items: list[str]
    face_check: str = "not_done"
    notes: str = ""
    at: datetime | None = None


@router.post("/visits/checkin", response={201: VisitOut, 200: VisitOut})
def check_in(request, body: CheckInIn):
    """A retry with the same `request_id` answers 200 with the visit made the first time."""
    require(request.user, VISIT_RECORD)
    carer = visits.carer_of(request.user)
    person = client_or_404(request.user, body.person_id)
    visit, made = visits.check_in_request(request.user, person=person, request_id=body.request_id,
                                          latitude=body.latitude, longitude=body.longitude, at=body.at, carer=carer)
    visit.person = person
    return Status(201 if made else 200, _visit(visit))


@router.post("/visits/{pk}/checkout", response=VisitOut)
def check_out(request, pk: int, body: CheckOutIn):
    require(request.user, VISIT_RECORD)
    carer = visits.carer_of(request.user)
    visit = Visit.objects.filter(pk=pk, carer=carer).select_related("person").first()
    if visit is None:
        get_visible_or_404(Visit.objects.all(), request.user, pk=pk)  # records the attempt, answers 404
        raise ValidationError({"pk": "不是本人的服务记录"})
    done = visits.check_out(request.user, visit, request_id=body.request_id, latitude=body.latitude,
                            longitude=body.longitude, items=body.items, face_check=body.face_check,
                            notes=body.notes, at=body.at, carer=carer)
    done.person = visit.person
    return _visit(done)


@router.get("/visits/today", response=list[VisitOut])
def my_visits_today(request):
    require(request.user, VISIT_RECORD)
    return [_visit(v) for v in visits.today_for(request.user)]


@router.get("/visits", response=list[VisitOut])
def list_visits(request, person_id: int | None = None, day: date | None = None, limit: int = 200):
    require(request.user, CARE_VIEW)
    qs = visible(Visit.objects.select_related("person"), request.user).filter(superseded_by__isnull=True)
    if person_id:
        qs = qs.filter(person_id=person_id)
    if day:
        qs = qs.filter(checkin_at__date=day)
    return [_visit(v) for v in qs[:min(max(limit, 1), 1000)]]


@router.get("/visits/pending-acceptance", response=list[VisitOut], summary="待受理的上门服务（逾期登记、位置超出范围或未定位）")
def pending_acceptance(request):
    require(request.user, VISIT_ACCEPT)
    return [_visit(v) for v in visits.pending_acceptance(request.user)[:500]]


class AcceptanceIn(Schema):
    accept: bool
    note: str = ""


@router.post("/visits/{pk}/acceptance", response=VisitOut, summary="受理或不予受理待受理的上门服务")
def decide_acceptance(request, pk: int, body: AcceptanceIn):
    """Accepted: settled from the next run on; refused: never settled. Either can be reversed."""
    require(request.user, VISIT_ACCEPT)
    visit = get_visible_or_404(Visit.objects.select_related("person"), request.user, pk=pk)
    return _visit(visits.decide_acceptance(visit, request.user, accept=body.accept, note=body.note))


class ChoiceIn(Schema):
    mode: str
    effective_from: date
    institution_id: int | None = None
    home_latitude: str | None = None
    home_longitude: str | None = None


class ChoiceOut(Schema):
    id: int
    mode: str
    institution_id: int | None
    effective_from: date


@router.post("/persons/{person_id}/care-choices", response={201: ChoiceOut})
def choose(request, person_id: int, body: ChoiceIn):
    require(request.user, CARE_CHANGE)
    person = get_visible_or_404(Person.objects.all(), request.user, pk=person_id)
    institution = (get_visible_or_404(Institution.objects.all(), request.user, pk=body.institution_id)
                   if body.institution_id else None)
    c: CareChoice = choices.choose(person, request.user, mode=body.mode, effective_from=body.effective_from,
                                   institution=institution, home_latitude=body.home_latitude,
                                   home_longitude=body.home_longitude)
    return Status(201, {"id": c.pk, "mode": c.mode, "institution_id": c.institution_id,
                        "effective_from": c.effective_from})


class StayIn(Schema):
    person_id: int
    institution_id: int
    bed: str
    admitted_on: date


class StayOut(Schema):
    id: int
    person_id: int
    institution_id: int
    bed: str
    admitted_on: date
    discharged_on: date | None


class DischargeIn(Schema):
    discharged_on: date


def _stay(s: Stay) -> dict:
    return {"id": s.pk, "person_id": s.person_id, "institution_id": s.institution_id, "bed": s.bed,
            "admitted_on": s.admitted_on, "discharged_on": s.discharged_on}


@router.post("/stays", response={201: StayOut})
def admit(request, body: StayIn):
    require(request.user, CARE_CHANGE)
    institution = get_visible_or_404(Institution.objects.all(), request.user, pk=body.institution_id)
    person = client_or_404(request.user, body.person_id)
    return Status(201, _stay(stays.admit(person, institution, request.user, bed=body.bed, on=body.admitted_on)))


@router.post("/stays/{pk}/discharge", response=StayOut)
def discharge(request, pk: int, body: DischargeIn):
    require(request.user, CARE_CHANGE)
    stay = get_visible_or_404(Stay.objects.all(), request.user, pk=pk)
    return _stay(stays.discharge(stay, request.user, on=body.discharged_on))


class PlanItemIn(Schema):
    code: str
    per_month: int


class PlanIn(Schema):
    valid_from: date
    items: list[PlanItemIn]
    visits_per_week: int | None = None


class PlanItemOut(Schema):
    code: str
    name: str
    per_month: int
    unit_price: str | None
    amount: str


class PlanOut(Schema):
    id: int
    person_id: int
    institution_id: int
    mode: str
    grade: str
    valid_from: date
    status: str
    total: str
    limit_kind: str
    limit_value: int | None
    remaining: str | None
    visits_per_week: int | None
    items: list[PlanItemOut]


def _plan(p: CarePlan) -> dict:
    left = plans.remaining(p)
    return {"id": p.pk, "person_id": p.person_id, "institution_id": p.institution_id, "mode": p.mode,
            "grade": p.grade, "valid_from": p.valid_from, "status": p.status, "total": str(p.total),
            "limit_kind": p.limit_kind, "limit_value": p.limit_value, "remaining": str(left) if left is not None else None,
            "visits_per_week": p.visits_per_week,
            "items": [{"code": i.item.code, "name": i.item.name, "per_month": i.per_month,
                       "unit_price": str(i.unit_price) if i.unit_price is not None else None, "amount": str(i.amount)}
                      for i in p.items.select_related("item")]}


@router.post("/persons/{person_id}/care-plans", response={201: PlanOut})
def draft_plan(request, person_id: int, body: PlanIn):
    """Refused beyond the mode's monthly limit, naming the limit and how much is over."""
    require(request.user, CARE_CHANGE)
    person = plans.person_for_drafting(request.user, person_id)
    plan = plans.draft(person, request.user, valid_from=body.valid_from,
                       items=[(i.code, i.per_month) for i in body.items], visits_per_week=body.visits_per_week)
    return Status(201, _plan(plan))


@router.get("/care-plans/{pk}", response=PlanOut)
def plan_detail(request, pk: int):
    require(request.user, CARE_VIEW)
    return _plan(get_visible_or_404(CarePlan.objects.all(), request.user, pk=pk))


@router.post("/care-plans/{pk}/confirm", response=PlanOut)
def confirm_plan(request, pk: int):
    require(request.user, CARE_VIEW)
    plan = get_visible_or_404(CarePlan.objects.all(), request.user, pk=pk)
    return _plan(plans.confirm(plan, request.user))


# Events that change benefits, and family care ----------------------------------------------------

from ninja import File  # noqa: E402
from ninja.files import UploadedFile  # noqa: E402

from ltci.core.uploads import save_upload  # noqa: E402
from ltci.providers.models import Carer, CarerKind  # noqa: E402

from . import events as care_events  # noqa: E402
from . import family  # noqa: E402
from .models import CareEvent  # noqa: E402


class EventIn(Schema):
    kind: str
    on: date
    note: str = ""
    reference: str = ""
    corrects_id: int | None = None


class EventOut(Schema):
    id: int
    person_id: int
    kind: str
    kind_label: str
    on: date
    source: str
    reference: str
    note: str
    corrects_id: int | None
    corrected: bool
    entered_by: str
    entered_at: datetime


def _event(e: CareEvent, corrected: bool = False) -> dict:
    return {"id": e.pk, "person_id": e.person_id, "kind": e.kind, "kind_label": e.get_kind_display(), "on": e.on,
            "source": e.source, "reference": e.reference, "note": e.note, "corrects_id": e.corrects_id,
            "corrected": corrected, "entered_by": e.entered_by.get_username(), "entered_at": e.entered_at}


@router.post("/persons/{person_id}/events", response={201: EventOut})
def add_event(request, person_id: int, body: EventIn):
    """Admission, discharge, death or moving away, by hand; `corrects_id` makes it a correction of an
    earlier event of the person, which stays on record."""
    require(request.user, CARE_CHANGE)
    person = get_visible_or_404(Person.objects.all(), request.user, pk=person_id)
    corrects = None
    if body.corrects_id is not None:
        corrects = get_visible_or_404(CareEvent.objects.all(), request.user, pk=body.corrects_id)
        if corrects.person_id != person.pk:
            raise ValidationError({"corrects_id": "要更正的事件不是该参保人的记录"})
    event = care_events.record_event(person, request.user, kind=body.kind, on=body.on, reference=body.reference,
                                     note=body.note, corrects=corrects)
    return Status(201, _event(event))


@router.get("/persons/{person_id}/events", response=list[EventOut])
def list_events(request, person_id: int):
    """Every event of the person as entered, corrections and the events they correct included."""
    require(request.user, CARE_VIEW)
    person = get_visible_or_404(Person.objects.all(), request.user, pk=person_id)
    rows = list(CareEvent.objects.filter(person=person).select_related("entered_by"))
    corrected = {e.corrects_id for e in rows if e.corrects_id}
    return [_event(e, e.pk in corrected) for e in rows]


@router.post("/events/import/inpatient", summary="导入医保住院数据（入院、出院）")
def import_inpatient_events(request, file: File[UploadedFile]):
    """Columns 证件号码, 姓名, 入院日期, 出院日期 (optional), 住院流水号; a report row by row."""
    require(request.user, CARE_CHANGE)
    path, _ = save_upload(file, subdir="care-events")
    return care_events.import_inpatient(request.user.region_id, path, request.user)


@router.post("/events/import/deaths", summary="导入民政死亡数据")
def import_death_events(request, file: File[UploadedFile]):
    """Columns 证件号码, 姓名, 死亡日期, 记录号; a report row by row."""
    require(request.user, CARE_CHANGE)
    path, _ = save_upload(file, subdir="care-events")
    return care_events.import_deaths(request.user.region_id, path, request.user)


class FamilyCarerIn(Schema):
    name: str
    id_number: str
    phone: str = ""
    trained: bool = False


class FamilyCarerOut(Schema):
    id: int
    person_id: int
    name: str
    id_number_masked: str
    phone: str
    trained: bool
    active: bool


@router.post("/persons/{person_id}/family-carers", response={201: FamilyCarerOut})
def register_family_carer(request, person_id: int, body: FamilyCarerIn):
    require(request.user, CARE_CHANGE)
    person = get_visible_or_404(Person.objects.all(), request.user, pk=person_id)
    c = family.register_family_carer(person, request.user, name=body.name, id_number=body.id_number,
                                     phone=body.phone, trained=body.trained)
    return Status(201, {"id": c.pk, "person_id": person.pk, "name": c.name, "id_number_masked": c.masked_id,
                        "phone": c.phone, "trained": c.trained, "active": c.active})


class CareDaysIn(Schema):
    carer_id: int
    days: list[date]


class CareDaysOut(Schema):
    recorded: int


@router.post("/persons/{person_id}/family-care-days", response={201: CareDaysOut})
def record_family_care_days(request, person_id: int, body: CareDaysIn):
    """All the days or none: a refusal lists each bad day with its reason."""
    require(request.user, CARE_CHANGE)
    person = get_visible_or_404(Person.objects.all(), request.user, pk=person_id)
    carer = get_visible_or_404(Carer.objects.all(), request.user, pk=body.carer_id)
    if carer.kind != CarerKind.FAMILY or carer.beneficiary_id != person.pk:
        raise ValidationError({"carer_id": f"该人员不是{person.name}的亲情照护人员"})
    return Status(201, {"recorded": family.record_days(person, request.user, carer=carer, days=body.days)})


class CorrectionIn(Schema):
    reason: str
    checkin_at: datetime | None = None
    checkout_at: datetime | None = None
    items: list[str] | None = None
    notes: str | None = None


@router.post("/visits/{pk}/corrections", response={201: VisitOut})
def correct_visit(request, pk: int, body: CorrectionIn):
    """A new version of the visit; the recorded one stays, superseded."""
    require(request.user, CARE_CHANGE)
    visit = get_visible_or_404(Visit.objects.select_related("carer"), request.user, pk=pk)
    return Status(201, _visit(visits.correct(visit, request.user, **body.dict())))
