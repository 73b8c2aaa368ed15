from datetime import date

from django.core.exceptions import ValidationError
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from ltci.accounts.roles import PERSON_CHANGE, PERSON_EXPORT, PERSON_IMPORT, PERSON_VIEW, PERSON_VIEW_ID
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.core.api import JobOut, job_out
from ltci.core.exports import attachment
from ltci.core.money import MoneyText
from ltci.core.uploads import start_import_from_request

from . import counter, roster, services
from .models import Person

router = Router(tags=["参保人"])


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
    id_kind: str | None = None
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


@router.get("/persons", response=list[PersonOut], summary="参保人名单（证件号码脱敏）；按证件号码、姓名或拼音首字母查找")
@paginate
def persons(request, q: str = "", district: str = "", scheme: str = "", status: str = ""):
    require(request.user, PERSON_VIEW)
    return services.search(visible(Person.objects.all(), request.user).order_by("id"), q=q, district=district,
                           scheme=scheme, status=status)


@router.post("/imports/roster", response={202: JobOut}, summary="导入参保名单（Excel或CSV；strict=false 为宽松模式）")
def import_roster(request, file: File[UploadedFile], strict: Form[bool] = True, dry_run: Form[bool] = False):
    require(request.user, PERSON_IMPORT)
    job = start_import_from_request(request, roster.start_import, file=file, strict=strict, dry_run=dry_run)
    return Status(202, job_out(job))


@router.post("/persons", response={201: PersonCreated}, summary="登记参保人")
def create_person(request, payload: PersonIn):
    require(request.user, PERSON_CHANGE)
    person, warnings = services.register_person(region=request.user.region, **payload.dict())
    return Status(201, {**_out(person), "warnings": list(warnings)})


class RegistrationIn(Schema):
    """The roster's columns as text, checked by the roster import's own row check."""

    id_kind: str = ""
    id_number: str = ""
    name: str = ""
    sex: str = ""
    birth_date: str = ""
    phone: str = ""
    district: str = ""
    address: str = ""
    scheme: str = ""
    category: str = ""
    start: str = ""
    contribution_base: MoneyText | None = None
    pension: MoneyText | None = None
    confirmed_warnings: list[str] = []


class RegisteredOut(PersonOut):
    enrolment: EnrolmentOut
    warnings: list[str]


class RegistrationRefused(Schema):
    code: str
    message: str
    field: str | None
    warnings: list[str] = []
    person_id: int | None = None


@router.post("/persons/register", response={201: RegisteredOut, 409: RegistrationRefused},
             summary="柜台参保登记：参保人及其参保登记一并办理，检查与导入参保名单相同",
             description="证件号码已在本地区登记：409，code=duplicate，person_id 为该参保人（无权查看时为空）。"
                         "证件号码有提示（如地址码晚于出生年份启用）：409，code=needs_confirmation，warnings 列出提示，"
                         "核对后将其原样放入 confirmed_warnings 再次提交。")
def register(request, payload: RegistrationIn):
    require(request.user, PERSON_CHANGE)
    values = payload.dict(exclude={"confirmed_warnings"})
    try:
        done = counter.register(request.user, values, confirmed=payload.confirmed_warnings)
    except counter.AlreadyRegistered as exc:
        return Status(409, {"code": "duplicate", "message": exc.messages[0], "field": "id_number",
                            "person_id": exc.person.pk if exc.person else None})
    except counter.NeedsConfirmation as exc:
        return Status(409, {"code": "needs_confirmation", "message": "；".join(exc.messages), "field": "id_number",
                            "warnings": list(exc.warnings)})
    e = done.enrolment
    return Status(201, {**_out(done.person), "warnings": list(done.warnings),
                        "enrolment": {"scheme": e.scheme, "category": e.category, "start": e.start, "end": e.end,
                                      "status": e.status}})


@router.get("/persons/export", summary="导出参保人名单（Excel，证件号码脱敏）")
def export(request, full_ids: bool = False, q: str = "", district: str = "", scheme: str = "", status: str = ""):
    require(request.user, PERSON_EXPORT)
    if full_ids:
        require(request.user, PERSON_VIEW_ID)
    persons = services.search(visible(Person.objects.order_by("id"), request.user), q=q, district=district,
                              scheme=scheme, status=status)
    return attachment(services.export_persons(persons, full_ids=full_ids, region=request.user.region_id),
                      "persons.xlsx")


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


class EnrolIn(Schema):
    scheme: str
    category: str = ""
    start: date
    contribution_base: MoneyText | None = None
    pension: MoneyText | None = None


class EndIn(Schema):
    end: date
    reason: str


class EnrolmentDetailOut(EnrolmentOut):
    id: int
    end_reason: str


def _enrolment_out(e) -> dict:
    return {"id": e.pk, "scheme": e.scheme, "category": e.category, "start": e.start, "end": e.end,
            "status": e.status, "end_reason": e.end_reason}


@router.post("/persons/{person_id}/enrolments", response={201: EnrolmentDetailOut},
             summary="参保登记（每人在本统筹地区只能有一条有效登记）")
def enrol(request, person_id: int, payload: EnrolIn):
    require(request.user, PERSON_CHANGE)
    person = get_visible_or_404(Person.objects.all(), request.user, pk=person_id)
    return Status(201, _enrolment_out(services.enrol(person, **payload.dict())))


@router.post("/persons/{person_id}/enrolments/end", response=EnrolmentDetailOut,
             summary="终止有效的参保登记（死亡、迁出、退出基本医疗保险）")
def end_enrolment(request, person_id: int, payload: EndIn):
    require(request.user, PERSON_CHANGE)
    person = get_visible_or_404(Person.objects.all(), request.user, pk=person_id)
    current = person.enrolments.filter(status="active").first()
    if current is None:
        raise ValidationError({"status": "该参保人没有有效的参保登记"})
    return _enrolment_out(services.end_enrolment(current, **payload.dict()))


class GroupIn(Schema):
    group: str
    evidence: str
    valid_from: date
    valid_to: date | None = None


@router.post("/persons/{person_id}/groups", response={201: GroupOut}, summary="登记特殊人员身份（附证明材料编号与有效期）")
def add_group(request, person_id: int, payload: GroupIn):
    require(request.user, PERSON_CHANGE)
    person = get_visible_or_404(Person.objects.all(), request.user, pk=person_id)
    g = services.add_group(person, **payload.dict())
    return Status(201, {"group": g.group, "label": g.get_group_display(), "evidence": g.masked_evidence,
                        "valid_from": g.valid_from, "valid_to": g.valid_to})
