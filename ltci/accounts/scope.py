"""Data scope: which rows a user may see. Every query of the API and of every page goes through here.

A model says where its scope lives in an inner `class Scope`:
    region = "region"            path to the region (a Region itself: "pk")
    institution = "institution"  path to the institution the row belongs to, if any
    person = "pk"                path to the insured person the row is about, if any
    reference = True             reference data: visible to everyone in the region
A row outside the scope does not exist for the user: lookups answer 404, never the data.

The platform administrator (Reach.PLATFORM) reaches every region, but only its reference data and
the models of the admin site (roles.ADMIN_SITE): no person, claim or journal row, whatever the page.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from ltci.audit.models import Action, Outcome

from .roles import ADMIN_SITE, Reach

NOTHING = Q(pk__in=[])


def scope_q(user, model: type[Model]) -> Q:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    scope = getattr(model, "Scope", None)
    if user.reach == Reach.PLATFORM:
        reaches = getattr(scope, "reference", False) or model._meta.label_lower in ADMIN_SITE
        return Q() if reaches else NOTHING
    if scope is None or not user.region_id or not user.reach:
        return NOTHING
    q = Q(**{_field(scope.region): user.region_id})
    if getattr(scope, "reference", False) or user.reach == Reach.REGION:
        return q
    if user.reach == Reach.INSTITUTION:
        path = getattr(scope, "institution", None)
        return q & Q(**{_field(path): user.institution_id}) if path and user.institution_id else NOTHING
    if user.reach == Reach.SELF:
        path = getattr(scope, "person", None)
        return q & Q(**{_field(path): user.person_id}) if path and user.person_id else NOTHING
    return NOTHING


def _field(path: str) -> str:
    return path if path == "pk" else f"{path}_id"


def visible(queryset: QuerySet, user) -> QuerySet:
    return queryset.filter(scope_q(user, queryset.model))


def get_visible_or_404(queryset: QuerySet, user, **lookup):
    """The object if the user's scope holds it; otherwise 404, and the attempt goes to the trail."""
    obj = visible(queryset, user).filter(**lookup).first()
    if obj is None:
        record_out_of_scope(queryset.filter(**lookup), next(iter(lookup.values()), ""))
        raise Http404("not found")
    return obj


def all_visible_or_404(queryset: QuerySet, user, ids) -> list:
    """The rows a request body names by id, every one within the user's scope; one outside, or
    missing, and the request answers 404 (as for an id in the URL), the attempt on the trail."""
    ids = sorted({int(i) for i in ids or []})
    found = list(visible(queryset, user).filter(pk__in=ids))
    if len(found) != len(ids):
        missing = sorted(set(ids) - {o.pk for o in found})
        record_out_of_scope(queryset.filter(pk__in=missing), ",".join(map(str, missing))[:64])
        raise Http404("not found")
    return found


def record_out_of_scope(matching: QuerySet, object_id) -> None:
    """An attempt at a row that exists but lies outside the user's scope goes to the trail."""
    if matching.exists():
        from ltci.audit.recorder import record

        record(Action.DENIED, object_type_=matching.model._meta.label_lower, object_id=object_id,
               outcome=Outcome.DENIED, detail={"reason": "out_of_scope"})


def chosen_region(user, code: str | None):
    """The region a request works in: the user's own; the platform administrator, who has none, names
    one (`?region=`). None when he has not named one yet (a page offers the choice); an unknown code
    is a ValidationError on `region`."""
    from ltci.regions.models import Region

    if user.region_id:
        return user.region
    code = (code or "").strip()
    if not code:
        return None
    region = visible(Region.objects.all(), user).filter(pk=code[:32]).first()
    if region is None:
        raise ValidationError({"region": f"没有统筹地区“{code[:20]}”"})
    return region


def require(user, permission: str) -> None:
    """Refuses (403) a user whose role lacks the permission; scope is checked separately (404)."""
    if not getattr(user, "is_authenticated", False) or not user.can(permission):
        raise PermissionDenied(permission)
