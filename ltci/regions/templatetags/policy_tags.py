"""`{% policy_in_force region_code %}`: the line every page shows while a region's policy version is
carried on past its end (延续执行, with its end on paper and the document continuing it)."""

from django import template

from ltci.regions.continuation import in_force

register = template.Library()


@register.inclusion_tag("regions/_in_force.html")
def policy_in_force(region_code, on=None):
    applied = in_force(region_code, on) if region_code else None
    return {"applied": applied if applied and applied.carried_on else None}
