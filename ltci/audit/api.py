from datetime import date

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from ltci.accounts.roles import AUDIT_EXPORT, AUDIT_VIEW
from ltci.accounts.scope import require, visible
from ltci.core.exports import attachment

from .models import AuditEvent
from .services import AuditQuery, export_events

router = Router(tags=["审计日志"])


class AuditFilter(Schema):
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    outcome: str = ""
    date_from: date | None = None
    date_to: date | None = None


class AuditEventOut(Schema):
    id: int
    at: str
    actor: str
    actor_role: str
    region: str | None
    ip: str | None
    channel: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    outcome: str
    detail: dict

    @staticmethod
    def resolve_at(obj):
        return obj.at_iso

    @staticmethod
    def resolve_actor(obj):
        return obj.actor_name

    @staticmethod
    def resolve_region(obj):
        return obj.region_id


def _events(request, filters: AuditFilter):
    return AuditQuery(**filters.dict()).apply(visible(AuditEvent.objects.all(), request.user))


@router.get("/audit/events", response=list[AuditEventOut], summary="查询审计日志")
@paginate
def events(request, filters: Query[AuditFilter]):
    require(request.user, AUDIT_VIEW)
    return _events(request, filters)


@router.get("/audit/events/export", summary="导出审计日志（Excel）")
def export(request, filters: Query[AuditFilter]):
    require(request.user, AUDIT_EXPORT)
    return attachment(export_events(_events(request, filters), region=request.user.region_id), "audit.xlsx")
