"""Searching and exporting the trail (auditor role)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from ltci.core.exports import workbook

from .models import Action, Outcome
from .recorder import record_export


@dataclass
class AuditQuery:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    outcome: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def validate(self) -> None:
        if self.action and self.action not in Action.values:
            raise ValidationError({"action": f"未知的操作类型：{self.action}"})
        if self.outcome and self.outcome not in Outcome.values:
            raise ValidationError({"outcome": f"未知的结果：{self.outcome}"})
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValidationError({"date_to": "结束日期早于开始日期"})

    def apply(self, qs: QuerySet) -> QuerySet:
        self.validate()
        if self.actor:
            # An account's name finds its events by an index (region, actor_name, at): a city's trail
            # has tens of millions. A part of a name ("wang" of wang.li) is looked for in every name
            # only when no account is so named (docs/decisions/0027).
            actor = self.actor.strip()
            named = qs.filter(actor_name=actor)
            account = get_user_model().objects.filter(username=actor)
            qs = named if account.exists() or named.exists() else qs.filter(actor_name__icontains=actor)
        if self.action:
            qs = qs.filter(action=self.action)
        if self.object_type:
            qs = qs.filter(object_type=self.object_type.strip())
        if self.object_id:
            qs = qs.filter(object_id=self.object_id.strip())
        if self.outcome:
            qs = qs.filter(outcome=self.outcome)
        zone = timezone.get_current_timezone()
        if self.date_from:
            qs = qs.filter(at__gte=datetime.combine(self.date_from, time.min, tzinfo=zone))
        if self.date_to:
            qs = qs.filter(at__lt=datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=zone))
        return qs


EXPORT_COLUMNS = ("时间（北京时间）", "操作人", "角色", "统筹地区", "来源地址", "渠道", "操作", "对象类型", "对象编号", "对象",
                  "结果")


def export_events(queryset: QuerySet, *, region: str | None = None) -> bytes:
    """The selected events as an Excel workbook, as the page shows them: the time a date cell in
    Beijing time, the region by its name. The detail each event keeps is the system's record (keys
    and values in code), read through the API, not written for people (docs/decisions/0014-exports.md).
    The export itself is recorded in the trail."""
    from ltci.regions.models import Region

    names = dict(Region.objects.values_list("pk", "name"))

    def object_id(e) -> str:
        return names.get(e.object_id, e.object_id) if e.object_type == "regions.region" else e.object_id

    lines = ((e.at, e.actor_name, e.actor_role_label, names.get(e.region_id, e.region_id or ""), e.ip or "",
              e.channel_label, e.action_label, e.object_type_label, object_id(e), e.object_repr,
              e.outcome_label) for e in queryset.iterator(chunk_size=2000))
    data, rows = workbook("审计日志", EXPORT_COLUMNS, lines)
    record_export("audit.auditevent", rows, region=region)
    return data
