from django.utils import timezone
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from ltci.accounts.roles import CATALOGUE_CHANGE, INSTITUTION_VIEW, REGION_VIEW
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.core.uploads import save_upload

from . import catalogue
from .models import Institution

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


def _out(i: Institution) -> dict:
    return {
        "id": i.pk, "region": i.region_id, "name": i.name, "credit_code": i.credit_code, "kind": i.kind,
        "kind_label": i.get_kind_display(), "district": i.district, "address": i.address,
        "status": i.status, "status_label": i.get_status_display(),
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


@router.get("/catalogue", response=list[CatalogueItemOut], summary="本地区服务项目目录")
def catalogue_items(request):
    require(request.user, REGION_VIEW)
    return [{"code": i.code, "name": i.name, "category": i.category,
             "unit_price": str(i.unit_price) if i.unit_price is not None else None,
             "standard_minutes": i.standard_minutes, "qualification": i.qualification, "national_code": i.national_code}
            for i in catalogue.items_of(request.user.region_id, timezone.localdate())]


@router.post("/catalogue/import", summary="导入服务项目价格与时长（Excel）")
def catalogue_import(request, file: File[UploadedFile]):
    """The edited export of the catalogue; all rows or none, each bad row named."""
    require(request.user, CATALOGUE_CHANGE)
    path, _ = save_upload(file, subdir="catalogue")
    return catalogue.import_prices(request.user.region_id, timezone.localdate(), path, request.user)
