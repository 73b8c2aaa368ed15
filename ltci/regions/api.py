from datetime import date, datetime

from django.utils import timezone
from ninja import Router, Schema, Status

from ltci.accounts.roles import POLICY_CONTINUE, REGION_VIEW
from ltci.accounts.scope import get_visible_or_404, require, visible

from . import continuation
from .models import Continuation, Region

router = Router(tags=["统筹地区"])


class VersionOut(Schema):
    code: str
    title: str
    document: str
    valid_from: date
    valid_to: date | None
    in_force: bool  # the version the region applies today, within its term or carried on past it
    standing: str  # 现行, 延续执行（文件原定…到期）, 已到期 or 未施行


class ContinuationOut(Schema):
    id: int
    version: str
    document_number: str
    title: str
    issued_on: date
    recorded_by: str
    recorded_at: datetime


class RegionOut(Schema):
    code: str
    name: str
    province: str
    pooling_level: str
    pooling_level_label: str
    versions: list[VersionOut]
    policy_in_force: str  # how the region's policy applies today, in words (延续执行 with its basis)


def version_standing(v, applied, today: date) -> str:
    if applied is not None and applied.document == v.document and applied.valid_from == v.valid_from:
        return applied.standing
    if v.valid_from > today:
        return "未施行"
    return "已到期" if v.valid_to and v.valid_to < today else "现行"


def _region_out(region: Region) -> dict:
    today = timezone.localdate()
    applied = continuation.in_force(region.code, today)
    return {
        "code": region.code, "name": region.name, "province": region.province,
        "pooling_level": region.pooling_level, "pooling_level_label": region.get_pooling_level_display(),
        "versions": [
            {"code": v.code, "title": v.title, "document": v.document, "valid_from": v.valid_from,
             "valid_to": v.valid_to, "standing": version_standing(v, applied, today),
             "in_force": applied is not None and applied.valid_from == v.valid_from}
            for v in region.versions.all()
        ],
        "policy_in_force": str(applied) if applied else "尚无施行的政策文件",
    }


def continuation_out(c: Continuation) -> dict:
    return {"id": c.pk, "version": c.version.code, "document_number": c.document_number, "title": c.title,
            "issued_on": c.issued_on, "recorded_by": c.recorded_by.get_full_name() or c.recorded_by.username,
            "recorded_at": c.recorded_at}


@router.get("/regions", response=list[RegionOut], summary="统筹地区与政策版本")
def regions(request):
    require(request.user, REGION_VIEW)
    return [_region_out(r) for r in visible(Region.objects.prefetch_related("versions"), request.user)]


@router.get("/regions/{code}", response=RegionOut, summary="一个统筹地区")
def region(request, code: str):
    require(request.user, REGION_VIEW)
    return _region_out(get_visible_or_404(Region.objects.prefetch_related("versions"), request.user, pk=code))


@router.get("/regions/{code}/continuations", response=list[ContinuationOut],
            summary="政策延续执行文件（最新在前）")
def continuations(request, code: str):
    require(request.user, REGION_VIEW)
    region = get_visible_or_404(Region.objects.all(), request.user, pk=code)
    return [continuation_out(c) for c in region.continuations.select_related("version", "recorded_by")]


class ContinuationIn(Schema):
    document_number: str = ""
    title: str = ""
    issued_on: str = ""  # YYYY-MM-DD; read by the service, whose refusal names the field in Chinese


@router.post("/regions/{code}/continuations", response={201: ContinuationOut},
             summary="登记政策延续执行文件（本地区医保局管理员，记入审计日志）")
def record_continuation(request, code: str, payload: ContinuationIn):
    require(request.user, POLICY_CONTINUE)
    region = get_visible_or_404(Region.objects.all(), request.user, pk=code)
    made = continuation.record_continuation(user=request.user, region=region, **payload.dict())
    return Status(201, continuation_out(made))
