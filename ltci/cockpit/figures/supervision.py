"""Hits (疑点) of the period's screened months by rule and status with the cases they went into, and
cases by status. Rule names
come from the rule base; a code it does not know (a retired rule) shows as itself."""

from __future__ import annotations

from django.db.models import Count

from ltci.supervision.models import Case, CaseStatus, Hit, HitStatus

from ..period import Period


def rule_names() -> dict[str, str]:
    try:
        from ltci.supervision.rulebase import RULES
    except ImportError:  # the rule base is not installed: codes stand for themselves
        return {}
    return {code: rule.name for code, rule in RULES.items()}


def supervision(region_ids: list[str], period: Period) -> dict:
    hits = Hit.objects.filter(region_id__in=region_ids, month__gte=period.start, month__lte=period.end).order_by()
    names = rule_names()
    by_rule: dict[str, dict] = {}
    for r in hits.values("rule", "status").annotate(n=Count("id")):
        row = by_rule.setdefault(r["rule"], {"rule": r["rule"], "name": names.get(r["rule"], r["rule"]), "n": 0, "cases": 0,
                                             "by_status": {s: 0 for s in HitStatus.values}})
        row["n"] += r["n"]
        row["by_status"][r["status"]] = row["by_status"].get(r["status"], 0) + r["n"]
    # Cases by rule: the cases the rule's hits went into (a case of several rules counts for each).
    for r in hits.filter(case__isnull=False).values("rule").annotate(n=Count("case_id", distinct=True)):
        by_rule[r["rule"]]["cases"] = r["n"]
    cases = {r["status"]: r["n"] for r in Case.objects.filter(region_id__in=region_ids, month__gte=period.start,
                                                               month__lte=period.end)
             .order_by().values("status").annotate(n=Count("id"))}
    return {
        "hits": sum(r["n"] for r in by_rule.values()),
        "by_rule": sorted(by_rule.values(), key=lambda r: (-r["n"], r["rule"])),
        "hit_statuses": [{"status": s.value, "label": s.label} for s in HitStatus],
        "cases": [{"status": s.value, "label": s.label, "n": cases.get(s.value, 0)} for s in CaseStatus],
        "cases_total": sum(cases.values()),
    }
