"""Each figure's list: the page that lists what the figure counts, with its filters. Names are
reversed when the page is drawn; a list whose app is not installed leaves its figure unlinked."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

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


def url(name: str, **query) -> str | None:
    try:
        base = reverse(name)
    except NoReverseMatch:
        return None
    params = {k: v for k, v in query.items() if v not in (None, "")}
    return base + (f"?{urlencode(params)}" if params else "")


def attach(figures: dict, selection: Selection, single_month: str | None, *, admin: bool) -> dict:
    """The figures with `url` on every card and chart element, and the links of the page's cards."""
    # The fund's pages take ?region= from the platform administrator (who has no region of his own).
    region = selection.regions[0].pk if admin and not selection.together else None
    for row in figures["beneficiaries"]["by_grade"]:
        row["url"] = url("assessment:workbench", state="certified")
    for row in figures["beneficiaries"]["by_mode"]:
        row["url"] = url("care:plan_list")
    for row in figures["applications"]["in_flow"]:
        row["url"] = url("assessment:workbench", state=row["state"])
    for row in figures["fund"]["months"]:
        row["url"] = (url("fund:journals", month=row["month"], region=region) if not selection.together
                      else url("fund:ledger"))
    for row in figures["fund"]["cover"]:
        row["url"] = url("fund:ledger", region=row["region"] if admin else None)
    for row in figures["providers"]["by_kind"]:
        row["url"] = url("providers:institution_list")
    for row in figures["supervision"]["by_rule"]:
        row["url"] = url("supervision:hits", rule=row["rule"], month=single_month)
        row["status_urls"] = {s: url("supervision:hits", rule=row["rule"], status=s, month=single_month)
                              for s in row["by_status"]}
    for row in figures["supervision"]["cases"]:
        row["url"] = url("supervision:cases", status=row["status"])
    for goal in figures["targets"]:
        for row in goal["items"]:
            name, query = TARGET_LISTS[row["key"]]
            row["url"] = url(name, **query)
    figures["links"] = {
        "insured": url("enrolment:person_list", status="active"),
        "population": url("cockpit:population"),
        "beneficiaries": url("assessment:workbench", state="certified"),
        "applications": url("assessment:workbench"),
        "fund": url("fund:ledger", region=region),
        "institutions": url("providers:institution_list"),
        "hits": url("supervision:hits", month=single_month),
        "cases": url("supervision:cases"),
        "settlement": url("settlement:index"),
    }
    return figures
