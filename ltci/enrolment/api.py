from datetime import date

from django.http import HttpResponse
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from ltci.accounts.roles import PERSON_CHANGE, PERSON_EXPORT, PERSON_VIEW, PERSON_VIEW_ID
from ltci.accounts.scope import get_visible_or_404, require, visible

from . import services
from .models import Person

router = Router(tags=["参保人"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PersonOut(Schema):
    id: int
    region: str
    name: str
    id_number_masked: str
    sex: str
    birth_date: date
    district: str

    @staticmethod
    def resolve_region(obj):
        return obj["region"] if isinstance(obj, dict) else obj.region_id

    @staticmethod
    def resolve_id_number_masked(obj):
        return obj["id_number_masked"] if isinstance(obj, dict) else obj.masked_id


class GroupOut(Schema):
    group: str
    label: str
    evidence: str
    valid_from: date
    valid_to: date | None


class EnrolmentOut(Schema):
    scheme: str
    category: str
    start: date
    end: date | None
    status: str


class PersonDetailOut(PersonOut):
    phone: str
    address: str
    enrolments: list[EnrolmentOut]
    groups: list[GroupOut]


class PersonIn(Schema):
    id_number: str
    name: str
    sex: str | None = None
    birth_date: date | None = None
    phone: str = ""
    district: str = ""
    address: str = ""


class PersonCreated(PersonOut):
    warnings: list[str]


class ContactIn(Schema):
    phone: str | None = None
    district: str | None = None
    address: str | None = None


class IdNumberOut(Schema):
    id: int
    id_number: str


def _out(p: Person) -> dict:
    return {"id": p.pk, "region": p.region_id, "name": p.name, "id_number_masked": p.masked_id,
            "sex": p.sex, "birth_date": p.birth_date, "district": p.district}


def _detail(p: Person) -> dict:
    groups = list(p.groups.all())
    services.record_person_view(p, groups)
    return {
        **_out(p), "phone": p.phone, "address": p.address,
        "enrolments": [{"scheme": e.scheme, "category": e.category, "start": e.start, "end": e.end,
                        "status": e.status} for e in p.enrolments.all()],
        "groups": [{"group": g.group, "label": g.get_group_display(), "evidence": g.masked_evidence,
                    "valid_from": g.valid_from, "valid_to": g.valid_to} for g in groups],
    }


@router.get("/persons", response=list[PersonOut], summary="参保人名单（证件号码脱敏）")
@paginate
def persons(request, q: str = "", district: str = ""):
    require(request.user, PERSON_VIEW)
    qs = visible(Person.objects.all(), request.user).order_by("id")
    if q:
        qs = qs.filter(name__contains=q)
    if district:
        qs = qs.filter(district=district)
    return qs


@router.post("/persons", response={201: PersonCreated}, summary="登记参保人")
def create_person(request, payload: PersonIn):
    require(request.user, PERSON_CHANGE)
    person, warnings = services.register_person(region=request.user.region, **payload.dict())
    return Status(201, {**_out(person), "warnings": list(warnings)})


@router.get("/persons/export", summary="导出参保人名单（Excel，证件号码脱敏）")
def export(request, full_ids: bool = False):
    require(request.user, PERSON_EXPORT)
    if full_ids:
        require(request.user, PERSON_VIEW_ID)
    data = services.export_persons(visible(Person.objects.order_by("id"), request.user),
                                   full_ids=full_ids, region=request.user.region_id)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="persons.xlsx"'
    return response


@router.get("/persons/{person_id}", response=PersonDetailOut, summary="参保人详情")
def person(request, person_id: int):
    require(request.user, PERSON_VIEW)
    p = get_visible_or_404(Person.objects.prefetch_related("enrolments", "groups"), request.user, pk=person_id)
    return _detail(p)


@router.patch("/persons/{person_id}", response=PersonOut, summary="修改联系方式")
def update_person(request, person_id: int, payload: ContactIn):
    require(request.user, PERSON_CHANGE)
    p = get_visible_or_404(Person.objects.all(), request.user, pk=person_id)
    return _out(services.update_contact(p, **payload.dict(exclude_unset=True)))


@router.post("/persons/{person_id}/id-number", response=IdNumberOut, summary="查看完整证件号码（记入审计日志）")
def reveal_id_number(request, person_id: int):
    require(request.user, PERSON_VIEW_ID)
    p = get_visible_or_404(Person.objects.all(), request.user, pk=person_id)
    return {"id": p.pk, "id_number": services.reveal_id_number(p)}
