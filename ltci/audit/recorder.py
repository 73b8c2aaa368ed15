"""Writing to the audit trail. Every audited action goes through `record`."""

from __future__ import annotations

from typing import Any

from django.db import models

from ltci.core.context import current_actor

from .masking import mask_id, mask_ids_in
from .models import Action, AuditEvent, Outcome


def object_type(obj_or_model) -> str:
    return obj_or_model._meta.label_lower


def region_of(obj) -> str | None:
    """The region an object belongs to, from its model's `Scope.region` path ('region', 'person__region', 'pk')."""
    scope = getattr(type(obj), "Scope", None)
    path = getattr(scope, "region", None)
    if not path:
        return None
    if path == "pk":
        return obj.pk
    *through, last = path.split("__")
    for part in through:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


def safe_repr(obj) -> str:
    """How the trail names an object: its own name, or, for a model that has none, its kind and
    number in Chinese (never Django's `Visit object (8)`)."""
    if isinstance(obj, models.Model) and type(obj).__str__ is models.Model.__str__:
        return f"{obj._meta.verbose_name} 第{obj.pk}号"
    return mask_ids_in(str(obj))[:200]


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    object_type_: str = "",
    object_id: Any = "",
    object_repr: str = "",
    outcome: str = Outcome.SUCCESS,
    region: str | None = None,
    detail: dict | None = None,
    user=None,
    actor_name: str | None = None,
) -> AuditEvent:
    """Appends one event. The actor, address and channel come from the current context unless given."""
    ctx = current_actor()
    user = user if user is not None else ctx.user
    if obj is not None:
        object_type_ = object_type_ or object_type(obj)
        object_id = object_id or obj.pk
        object_repr = object_repr or safe_repr(obj)
        region = region or region_of(obj)
    if region is None and user is not None:
        region = getattr(user, "region_id", None)
    return AuditEvent.objects.create(
        actor=user,
        actor_name=actor_name or (user.get_username() if user is not None else ctx.name),
        actor_role=getattr(user, "role", "") or "",
        region_id=region,
        ip=ctx.ip,
        channel=ctx.channel,
        path=ctx.path,
        action=action,
        object_type=object_type_,
        object_id=str(object_id or "")[:64],
        object_repr=mask_ids_in(object_repr)[:200],
        outcome=outcome,
        detail=detail or {},
    )


def record_view(kind: str, obj: models.Model, **detail) -> AuditEvent:
    """A view of a person's ID number (kind='id') or health data (kind='health')."""
    action = {"id": Action.VIEW_ID, "health": Action.VIEW_HEALTH}[kind]
    return record(action, obj, detail=detail)


def record_export(what: str, rows: int, *, region: str | None = None, full_ids: bool = False, **detail) -> AuditEvent:
    return record(
        Action.EXPORT, object_type_=what, object_repr=f"导出 {rows} 行", region=region,
        detail={"rows": rows, "full_id_numbers": full_ids, **detail},
    )


def masked_value(model, field_name: str, value):
    """How a field's value appears in the trail: ID-number fields masked, the rest as text."""
    if value is None:
        return None
    if field_name in getattr(model, "audit_masked_fields", ()):
        return mask_id(str(value))
    if isinstance(value, (int, bool, str)):
        return mask_ids_in(value) if isinstance(value, str) else value
    return str(value)
