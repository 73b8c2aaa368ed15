"""Demo projections: ten years of each region's fund, 200 runs, under the current policy and beside
it a draft of the simplest kind the region's rules allow: every contribution raised by half where
the region collects contributions, else every benefit share cut to four fifths. Re-running adds
nothing."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from ltci.accounts.models import User
from ltci.accounts.roles import Role
from ltci.regions.models import Region

from .drafts import current_text, scaled_draft
from .models import Projection
from .projections import start_projection

DRAFTS = (("contribution", Decimal("1.5"), "缴费标准提高50%"), ("benefit", Decimal("0.8"), "待遇支付比例降为八成"))


def build(options, rng) -> dict[str, int]:
    region = Region.objects.get(pk=options.region)
    admin = User.objects.filter(region=region, is_demo=True, role=Role.BUREAU_ADMIN).order_by("id").first()
    if admin is None or Projection.objects.filter(region=region).exists():
        return {"projections": 0}
    today = timezone.localdate()
    text = current_text(region.pk, today)
    for section, factor, name in DRAFTS:
        draft, changed = scaled_draft(text, section, factor)
        if changed:
            break
    start_projection(region, on=today, years=10, runs=200, draft_text=draft if changed else "",
                     draft_name=name if changed else "", user=admin, background=False)
    return {"projections": 1}
