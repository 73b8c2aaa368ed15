"""月初结算提醒: on the first of the month the schedule reminds each region's settlement clerks of last
month while it has not been settled; settling it resolves the reminder (ltci.settlement.run)."""

from __future__ import annotations

from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from ltci.accounts.roles import SETTLEMENT_RUN
from ltci.core.models import Job, JobKind, JobStatus, Notice
from ltci.regions.models import Region


def key(month: date) -> str:
    return f"settle:{month:%Y-%m}"


def settled(region: str, month: date) -> bool:
    return Job.objects.filter(kind=JobKind.SETTLEMENT, region_id=region, status=JobStatus.DONE,
                              params__month=f"{month:%Y-%m}").exists()


def remind_last_month(today: date | None = None) -> str:
    today = today or timezone.localdate()
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    reminded = []
    for region in Region.objects.order_by("code"):
        if settled(region.pk, month):
            continue
        _, made = Notice.objects.get_or_create(
            region=region, key=key(month),
            defaults={"permission": SETTLEMENT_RUN, "link": reverse("settlement:index"),
                      "text": f"{month:%Y年%m月}的护理服务已结束，待遇尚未结算：请发起月度结算"})
        if made:
            reminded.append(region.name)
    return f"提醒 {len(reminded)} 个统筹地区结算{month:%Y年%m月}待遇" + (f"：{'、'.join(reminded)}" if reminded else "")


def resolve(region: str, month: date) -> None:
    Notice.objects.filter(region_id=region, key=key(month), resolved_at__isnull=True).update(resolved_at=timezone.now())
