from ninja import Router, Schema

from ltci.accounts.roles import INSTITUTION_VIEW
from ltci.accounts.scope import get_visible_or_404, require, visible

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
