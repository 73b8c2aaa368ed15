"""Each figure's list: the page that lists what the figure counts, with its filters. Names are
reversed when the page is drawn; a list whose app is not installed, or that the user may not open
(the platform administrator reads the figures of all regions but no list of people or money),
leaves its figure unlinked."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from ltci.accounts import roles

from .selection import Selection

# The list behind each target's actual figure (ltci/cockpit/figures/targets.py MEASURES).
TARGET_LISTS = {
    "coverage_rate": ("enrolment:person_list", {"status": "active"}),
    "beneficiaries_cumulative": ("assessment:workbench", {"state": "certified"}),
    "service_items": ("providers:catalogue", {}),
    "certified_carers": ("providers:institution_list", {}),
    "carers_per_10k_elderly": ("providers:institution_list", {}),
    "supply_ratio": ("providers:institution_list", {}),
}

# The permission each list asks for (its view's `require`).
LIST_PERMISSIONS = {
    "enrolment:person_list": roles.PERSON_VIEW,
    "assessment:workbench": roles.APPLICATION_VIEW,
    "care:plan_list": roles.CARE_VIEW,
    "fund:ledger": roles.LEDGER_VIEW,
    "fund:journals": roles.LEDGER_VIEW,
    "providers:institution_list": roles.INSTITUTION_VIEW,
    "providers:catalogue": roles.REGION_VIEW,
    "supervision:hits": roles.SUPERVISION_VIEW,
    "supervision:cases": roles.SUPERVISION_VIEW,
    "settlement:index": roles.CLAIM_VIEW,
    "cockpit:population": roles.COCKPIT_VIEW,
}


def url(name: str, user=None, **query) -> str | None:
    if user is not None and not user.can(LIST_PERMISSIONS[name]):
        return None
    try:
        base = reverse(name)
    except NoReverseMatch:
        return None
    params = {k: v for k, v in query.items() if v not in (None, "")}
    return base + (f"?{urlencode(params)}" if params else "")


def attach(figures: dict, selection: Selection, single_month: str | None, *, user) -> dict:
    """The figures with `url` on every card and chart element the user may follow, and the links of
    the page's cards."""
    # Pages with a region of their own take ?region= from a user without one (the platform administrator).
    region = selection.regions[0].pk if not user.region_id and not selection.together else None
    for row in figures["beneficiaries"]["by_grade"]:
        row["url"] = url("assessment:workbench", user, state="certified")
    for row in figures["beneficiaries"]["by_mode"]:
        row["url"] = url("care:plan_list", user)
    for row in figures["applications"]["in_flow"]:
        row["url"] = url("assessment:workbench", user, state=row["state"])
    for row in figures["fund"]["months"]:
        row["url"] = (url("fund:journals", user, month=row["month"], region=region) if not selection.together
                      else url("fund:ledger", user))
    for row in figures["fund"]["cover"]:
        row["url"] = url("fund:ledger", user, region=row["region"] if not user.region_id else None)
    for row in figures["providers"]["by_kind"]:
        row["url"] = url("providers:institution_list", user)
    for row in figures["supervision"]["by_rule"]:
        row["url"] = url("supervision:hits", user, rule=row["rule"], month=single_month)
        row["status_urls"] = {s: url("supervision:hits", user, rule=row["rule"], status=s, month=single_month)
                              for s in row["by_status"]}
    for row in figures["supervision"]["cases"]:
        row["url"] = url("supervision:cases", user, status=row["status"])
    for goal in figures["targets"]:
        for row in goal["items"]:
            name, query = TARGET_LISTS[row["key"]]
            if name == "providers:catalogue" and not user.region_id:
                query = {**query, "region": goal["region"]}
            row["url"] = url(name, user, **query)
    figures["links"] = {
        "insured": url("enrolment:person_list", user, status="active"),
        "population": url("cockpit:population", user),
        "beneficiaries": url("assessment:workbench", user, state="certified"),
        "applications": url("assessment:workbench", user),
        "fund": url("fund:ledger", user, region=region),
        "institutions": url("providers:institution_list", user),
        "hits": url("supervision:hits", user, month=single_month),
        "cases": url("supervision:cases", user),
        "settlement": url("settlement:index", user),
    }
    return figures
