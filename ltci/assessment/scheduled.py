"""The assessment's daily run on the schedule (ltci.core.schedule): certificates whose publicity has
ended, and reminders of certificates about to expire, in every region."""

from ltci.regions.models import Region

from .services import tick


def daily_tick() -> str:
    certified = reminded = 0
    for region in Region.objects.order_by("code"):
        counts = tick(region.pk)
        certified += counts["certified"]
        reminded += counts["reminders"]
    return f"出具评估结论 {certified} 份，有效期到期提醒 {reminded} 条"
