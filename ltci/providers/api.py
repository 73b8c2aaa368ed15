from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from ltci.accounts.roles import CARER_MANAGE, CATALOGUE_CHANGE, INSTITUTION_MANAGE, INSTITUTION_VIEW, REGION_VIEW
from ltci.accounts.scope import chosen_region, get_visible_or_404, require, visible
from ltci.core.money import MoneyText
from ltci.core.uploads import save_upload

from . import carers, catalogue, designation, quality
from .models import Agreement, Carer, Designation, Institution
from .rating import star_rating

router = Router(tags=["定点机构"])


class InstitutionOut(Schema):
    id: int
    region: str
    name: str
    credit_code: str
    kind: str
    kind_label: str
    district: str
    address: str
    status: str
    status_label: str
    suspended_until: date | None
    latitude: str | None
    longitude: str | None
    filed_beds: int


def _out(i: Institution) -> dict:
    return {
        "id": i.pk, "region": i.region_id, "name": i.name, "credit_code": i.credit_code, "kind": i.kind,
        "kind_label": i.get_kind_display(), "district": i.district, "address": i.address,
        "status": i.status, "status_label": i.get_status_display(), "suspended_until": i.suspended_until,
        "latitude": str(i.latitude) if i.latitude is not None else None,
        "longitude": str(i.longitude) if i.longitude is not None else None, "filed_beds": i.filed_beds,
    }


@router.get("/institutions", response=list[InstitutionOut], summary="定点机构")
def institutions(request):
    require(request.user, INSTITUTION_VIEW)
    return [_out(i) for i in visible(Institution.objects.all(), request.user)]


@router.get("/institutions/{institution_id}", response=InstitutionOut, summary="一个定点机构")
def institution(request, institution_id: int):
    require(request.user, INSTITUTION_VIEW)
    return _out(get_visible_or_404(Institution.objects.all(), request.user, pk=institution_id))


class CatalogueItemOut(Schema):
    code: str
    name: str
    category: str
    unit_price: str | None
    standard_minutes: int | None
    qualification: str
    national_code: str


@router.get("/catalogue", response=list[CatalogueItemOut],
            summary="本地区服务项目目录（平台管理员用 region 指定统筹地区）")
def catalogue_items(request, region: str = ""):
    require(request.user, REGION_VIEW)
    chosen = chosen_region(request.user, region)
    if chosen is None:
        raise ValidationError({"region": "请指定统筹地区"})
    return [{"code": i.code, "name": i.name, "category": i.category,
             "unit_price": str(i.unit_price) if i.unit_price is not None else None,
             "standard_minutes": i.standard_minutes, "qualification": i.qualification, "national_code": i.national_code}
            for i in catalogue.items_of(chosen.pk, timezone.localdate())]


@router.post("/catalogue/import", summary="导入服务项目价格与时长（Excel）")
def catalogue_import(request, file: File[UploadedFile]):
    """The edited export of the catalogue; all rows or none, each bad row named."""
    require(request.user, CATALOGUE_CHANGE)
    path, _ = save_upload(file, subdir="catalogue")
    return catalogue.import_prices(request.user.region_id, timezone.localdate(), path, request.user)


# Designation, agreements, status -----------------------------------------------------------------

class DesignationIn(Schema):
    name: str
    credit_code: str
    kind: str
    district: str
    address: str
    latitude: str
    longitude: str
    filed_beds: int = 0
    staff: int
    licence_number: str
    licence_expiry: date
    liability_insurer: str
    liability_policy: str
    liability_expiry: date


class DesignationOut(Schema):
    id: int
    name: str
    credit_code: str
    kind: str
    status: str
    decision_note: str
    institution_id: int | None
    warnings: list[str] = []


def _designation(d: Designation, warnings=()) -> dict:
    return {"id": d.pk, "name": d.name, "credit_code": d.credit_code, "kind": d.kind, "status": d.status,
            "decision_note": d.decision_note, "institution_id": d.institution_id, "warnings": list(warnings)}


@router.post("/designations", response={201: DesignationOut}, summary="定点申请")
def submit_designation(request, body: DesignationIn):
    require(request.user, INSTITUTION_MANAGE)
    made, warnings = designation.submit(request.user.region_id, request.user, **body.dict())
    return Status(201, _designation(made, warnings))


@router.get("/designations", response=list[DesignationOut], summary="定点申请列表")
def designations(request, status: str = ""):
    require(request.user, INSTITUTION_MANAGE)
    qs = visible(Designation.objects.all(), request.user)
    return [_designation(d) for d in (qs.filter(status=status) if status else qs)[:500]]


class ApprovalIn(Schema):
    agreement_number: str
    start: date
    end: date
    modes: list[str]
    penalties: str = ""


class RejectionIn(Schema):
    note: str


@router.post("/designations/{pk}/approve", response=DesignationOut, summary="批准定点申请并签订协议")
def approve_designation(request, pk: int, body: ApprovalIn):
    require(request.user, INSTITUTION_MANAGE)
    application = get_visible_or_404(Designation.objects.all(), request.user, pk=pk)
    designation.approve(application, request.user, **body.dict())
    application.refresh_from_db()
    return _designation(application)


@router.post("/designations/{pk}/reject", response=DesignationOut, summary="不予批准")
def reject_designation(request, pk: int, body: RejectionIn):
    require(request.user, INSTITUTION_MANAGE)
    application = get_visible_or_404(Designation.objects.all(), request.user, pk=pk)
    return _designation(designation.reject(application, request.user, note=body.note))


class SuspensionIn(Schema):
    until: date
    reason: str


class TerminationIn(Schema):
    on: date
    reason: str


@router.post("/institutions/{institution_id}/suspension", response=InstitutionOut, summary="暂停接收新参保人")
def suspend_institution(request, institution_id: int, body: SuspensionIn):
    require(request.user, INSTITUTION_MANAGE)
    institution = get_visible_or_404(Institution.objects.all(), request.user, pk=institution_id)
    return _out(designation.suspend(institution, request.user, until=body.until, reason=body.reason))


@router.post("/institutions/{institution_id}/termination", response=InstitutionOut, summary="终止服务协议")
def terminate_institution(request, institution_id: int, body: TerminationIn):
    require(request.user, INSTITUTION_MANAGE)
    institution = get_visible_or_404(Institution.objects.all(), request.user, pk=institution_id)
    return _out(designation.terminate(institution, request.user, on=body.on, reason=body.reason))


class WithdrawalIn(Schema):
    reason: str


@router.post("/institutions/{institution_id}/termination/withdrawal", response=InstitutionOut,
             summary="撤回登记有误的终止服务协议（终止记录保留）")
def withdraw_termination(request, institution_id: int, body: WithdrawalIn):
    require(request.user, INSTITUTION_MANAGE)
    institution = get_visible_or_404(Institution.objects.all(), request.user, pk=institution_id)
    designation.withdraw_termination(institution, request.user, reason=body.reason)
    institution.refresh_from_db()
    return _out(institution)


class PricesIn(Schema):
    prices: dict[str, MoneyText]  # catalogue code (or bed_day) → yuan


@router.post("/agreements/{pk}/prices", summary="协议价")
def agreement_prices(request, pk: int, body: PricesIn):
    require(request.user, INSTITUTION_MANAGE)
    agreement = get_visible_or_404(Agreement.objects.select_related("institution"), request.user, pk=pk)
    return {"added": designation.set_prices(agreement, request.user, body.prices)}


class RatingOut(Schema):
    stars: int | None
    score: str | None
    inspections: int
    inspection_average: str | None
    reviews: int
    review_average: str | None


@router.get("/institutions/{institution_id}/rating", response=RatingOut, summary="星级评价")
def institution_rating(request, institution_id: int):
    require(request.user, INSTITUTION_VIEW)
    institution = get_visible_or_404(Institution.objects.all(), request.user, pk=institution_id)
    r = star_rating(institution, timezone.localdate())
    text = (lambda v: None if v is None else str(v))
    return {"stars": r.stars, "score": text(r.score), "inspections": r.inspections,
            "inspection_average": text(r.inspection_average), "reviews": r.reviews,
            "review_average": text(r.review_average)}


class InspectionIn(Schema):
    on: date
    score: int
    findings: str = ""


@router.post("/institutions/{institution_id}/inspections", response={201: RatingOut}, summary="检查评分")
def inspect_institution(request, institution_id: int, body: InspectionIn):
    require(request.user, INSTITUTION_MANAGE)
    institution = get_visible_or_404(Institution.objects.all(), request.user, pk=institution_id)
    quality.inspect(institution, request.user, on=body.on, score=body.score, findings=body.findings)
    return Status(201, institution_rating(request, institution_id))


class FilingIn(Schema):
    title: str
    channel: str
    content: str


@router.post("/institutions/{institution_id}/publicity-filings", response={201: dict}, summary="宣传材料备案")
def file_publicity(request, institution_id: int, body: FilingIn):
    require(request.user, CARER_MANAGE)
    institution = get_visible_or_404(Institution.objects.all(), request.user, pk=institution_id)
    filing = quality.file_publicity(institution, request.user, **body.dict())
    return Status(201, {"id": filing.pk, "title": filing.title, "filed_at": filing.filed_at.isoformat()})


# Carers -----------------------------------------------------------------------------------------

class CarerIn(Schema):
    name: str
    id_number: str
    phone: str = ""
    certificate_number: str
    level: str = ""
    certificate_expiry: date | None = None


class CarerOut(Schema):
    id: int
    institution_id: int | None
    kind: str
    name: str
    id_number_masked: str
    certificate_number: str
    level: str
    active: bool


def _carer(c: Carer) -> dict:
    return {"id": c.pk, "institution_id": c.institution_id, "kind": c.kind, "name": c.name,
            "id_number_masked": c.masked_id, "certificate_number": c.certificate_number, "level": c.level,
            "active": c.active}


@router.get("/institutions/{institution_id}/carers", response=list[CarerOut], summary="机构护理员")
def institution_carers(request, institution_id: int):
    require(request.user, INSTITUTION_VIEW)
    institution = get_visible_or_404(Institution.objects.all(), request.user, pk=institution_id)
    return [_carer(c) for c in institution.carers.all()]


@router.post("/institutions/{institution_id}/carers", response={201: CarerOut}, summary="登记护理员")
def register_carer(request, institution_id: int, body: CarerIn):
    require(request.user, CARER_MANAGE)
    institution = get_visible_or_404(Institution.objects.all(), request.user, pk=institution_id)
    return Status(201, _carer(carers.register(institution, request.user, **body.dict())))


class CarerSuspensionIn(Schema):
    start: date
    end: date
    reason: str


@router.post("/carers/{pk}/suspensions", response={201: dict}, summary="暂停护理员结算")
def suspend_carer(request, pk: int, body: CarerSuspensionIn):
    require(request.user, INSTITUTION_MANAGE)
    carer = get_visible_or_404(Carer.objects.all(), request.user, pk=pk)
    s = carers.suspend(carer, request.user, **body.dict())
    return Status(201, {"id": s.pk, "start": s.start.isoformat(), "end": s.end.isoformat()})


class TrainingIn(Schema):
    course: str
    on: date
    hours: str
    provider: str


@router.post("/carers/{pk}/trainings", response={201: dict}, summary="护理员培训记录")
def carer_training(request, pk: int, body: TrainingIn):
    require(request.user, CARER_MANAGE)
    carer = get_visible_or_404(Carer.objects.all(), request.user, pk=pk)
    t = carers.record_training(carer, request.user, **body.dict())
    return Status(201, {"id": t.pk, "course": t.course, "on": t.on.isoformat(), "hours": str(t.hours)})
