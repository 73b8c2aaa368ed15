"""Demo projections: ten years of each region's fund, 200 runs, under the current policy and beside
it a draft of the simplest kind the region's rules allow: every contribution raised by half where
the region collects contributions, else every benefit share cut to four fifths. And a trial: the
latest settled month replayed with every benefit figure cut by a tenth. Re-running adds nothing."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from ltci.accounts.models import User
from ltci.accounts.roles import Role
from ltci.regions.models import Region
from ltci.settlement.models import Line

from .drafts import current_text, scaled_draft
from .models import Projection, TrialKind
from .projections import start_projection
from .trials import start_trial

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
    made = {"projections": 1, "trials": 0}
    month = Line.objects.filter(claim__region=region).aggregate(m=Max("service_month"))["m"]
    if month is not None:
        cut, changed = scaled_draft(current_text(region.pk, month), "benefit", Decimal("0.9"))
        if changed:
            start_trial(region, kind=TrialKind.REPLAY, target=f"{month:%Y-%m}", draft_text=cut,
                        draft_name="待遇标准下调一成", user=admin, background=False)
            made["trials"] = 1
    return made
