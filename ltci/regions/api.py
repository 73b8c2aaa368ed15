from datetime import date

from django.utils import timezone
from ninja import Router, Schema

from ltci.accounts.roles import REGION_VIEW
from ltci.accounts.scope import get_visible_or_404, require, visible

from .models import Region

router = Router(tags=["统筹地区"])


class VersionOut(Schema):
    code: str
    title: str
    document: str
    valid_from: date
    valid_to: date | None
    in_force: bool


class RegionOut(Schema):
    code: str
    name: str
    province: str
    pooling_level: str
    pooling_level_label: str
    versions: list[VersionOut]


def _region_out(region: Region) -> dict:
    today = timezone.localdate()
    return {
        "code": region.code, "name": region.name, "province": region.province,
        "pooling_level": region.pooling_level, "pooling_level_label": region.get_pooling_level_display(),
        "versions": [
            {"code": v.code, "title": v.title, "document": v.document, "valid_from": v.valid_from,
             "valid_to": v.valid_to, "in_force": v.valid_from <= today and (v.valid_to is None or today <= v.valid_to)}
            for v in region.versions.all()
        ],
    }


@router.get("/regions", response=list[RegionOut], summary="统筹地区与政策版本")
def regions(request):
    require(request.user, REGION_VIEW)
    return [_region_out(r) for r in visible(Region.objects.prefetch_related("versions"), request.user)]


@router.get("/regions/{code}", response=RegionOut, summary="一个统筹地区")
def region(request, code: str):
    require(request.user, REGION_VIEW)
    return _region_out(get_visible_or_404(Region.objects.prefetch_related("versions"), request.user, pk=code))
