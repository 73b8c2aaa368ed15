"""Which regions a cockpit request covers. A region's users see their own region only; the platform
administrator (superuser, no region) sees all regions together or picks one (docs/decisions/0010)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from ltci.accounts.roles import COCKPIT_VIEW
from ltci.accounts.scope import require, visible
from ltci.regions.models import Region

ALL = "all"


@dataclass(frozen=True)
class Selection:
    regions: list[Region]
    together: bool  # all regions together (the platform administrator's view)

    @property
    def ids(self) -> list[str]:
        return [r.pk for r in self.regions]

    @property
    def code(self) -> str:
        return ALL if self.together else self.regions[0].pk

    @property
    def label(self) -> str:
        return "全部统筹地区" if self.together else self.regions[0].name


def select(user, code: str | None) -> Selection:
    """Refuses a user without COCKPIT_VIEW (403); another region than the user's own is not there
    for them (404), and all regions together is the platform administrator's only (403)."""
    require(user, COCKPIT_VIEW)
    code = (code or "").strip()
    regions = visible(Region.objects.order_by("pk"), user)  # the scope gate: a user's own region only
    if not user.is_superuser:
        if code == ALL:
            raise PermissionDenied(COCKPIT_VIEW)
        if code and code != user.region_id:
            raise Http404("region")
        return Selection(list(regions.filter(pk=user.region_id)), False)
    if not code or code == ALL:
        return Selection(list(regions), True)
    region = regions.filter(pk=code).first()
    if region is None:
        raise ValidationError({"region": f"没有统筹地区“{code[:20]}”"})
    return Selection([region], False)
