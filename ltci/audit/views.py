import functools
from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render

from ltci.accounts.roles import AUDIT_EXPORT, AUDIT_VIEW
from ltci.accounts.scope import require, visible
from ltci.core.exports import attachment
from ltci.core.paging import filters, page_of, querystring_without_page

from .models import Action, AuditEvent, Outcome
from .services import AuditQuery, export_events


def _query(request) -> tuple[AuditQuery, dict]:
    """The filters of the request; a malformed date is reported by field, not ignored."""
    get = request.GET
    errors = {}

    def day(name):
        value = get.get(name, "").strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            errors[name] = "日期格式应为“年-月-日”，如 2026-01-31"
            return None

    query = AuditQuery(
        actor=get.get("actor", ""), action=get.get("action", ""), object_type=get.get("object_type", ""),
        object_id=get.get("object_id", ""), outcome=get.get("outcome", ""),
        date_from=day("date_from"), date_to=day("date_to"),
    )
    try:
        query.validate()
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    return query, errors


FIELD_LABELS = {"actor": "操作人", "action": "操作", "outcome": "结果", "object_type": "对象类型", "object_id": "对象编号",
                "date_from": "起始日期", "date_to": "截止日期"}


@functools.cache  # the models do not change while the process runs
def object_types() -> list[tuple[str, str]]:
    """(value, Chinese name) of every kind of record the trail names, by name."""
    import re

    from django.apps import apps

    kinds = {f"{m._meta.app_label}.{m._meta.model_name}": str(m._meta.verbose_name) for m in apps.get_models()
             if m.__module__.startswith("ltci.") and re.search(r"[\u4e00-\u9fff]", str(m._meta.verbose_name))}
    return sorted(kinds.items(), key=lambda kv: kv[1])


@login_required
def event_list(request):
    require(request.user, AUDIT_VIEW)
    query, errors = _query(request)
    events = AuditEvent.objects.none() if errors else query.apply(visible(AuditEvent.objects.all(), request.user))
    page = page_of(events, request, capped=True)
    context = {
        "page": page, "errors": [(FIELD_LABELS.get(k, "条件"), v) for k, v in errors.items()], "q": filters(request.GET),
        "actions": Action.choices, "outcomes": Outcome.choices, "object_types": object_types(),
        "can_export": request.user.can(AUDIT_EXPORT), "querystring": querystring_without_page(request.GET),
    }
    template = "audit/_events.html" if request.headers.get("HX-Request") else "audit/event_list.html"
    return render(request, template, context)


@login_required
def export(request):
    require(request.user, AUDIT_EXPORT)
    query, errors = _query(request)
    if errors:
        return HttpResponse("；".join(f"{FIELD_LABELS.get(k, '条件')}：{v}" for k, v in errors.items()), status=400,
                            content_type="text/plain; charset=utf-8")
    data = export_events(query.apply(visible(AuditEvent.objects.all(), request.user)), region=request.user.region_id)
    return attachment(data, "audit.xlsx")
