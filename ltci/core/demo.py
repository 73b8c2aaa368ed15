"""`ltci demo`: each app adds its part through a `demo.build(options, rng)` function, in this order."""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass

from django.db import connection, transaction

# Order matters: institutions before the users who work there, people before their accounts.
DEMO_MODULES = ("ltci.providers.demo", "ltci.enrolment.demo", "ltci.accounts.demo", "ltci.contributions.demo",
                "ltci.assessment.demo", "ltci.care.demo", "ltci.providers.demo_records",
                "ltci.settlement.demo", "ltci.portal.demo", "ltci.fund.demo",
                "ltci.supervision.demo", "ltci.cockpit.demo", "ltci.fund.projection_demo")


@dataclass(frozen=True)
class DemoOptions:
    region: str
    insured: int
    seed: int
    if_empty: bool = False


def build_demo(options: DemoOptions) -> dict[str, int]:
    """Builds every app's demo data for one region, deterministically for a seed; returns counts.

    Re-running with the same seed adds nothing: each part recognises what it made before.
    """
    from ltci.accounts.models import User

    if options.if_empty and User.objects.filter(is_demo=True, region_id=options.region).exists():
        return {"skipped (already loaded)": 1}
    report: dict[str, int] = {}
    with transaction.atomic():
        for i, name in enumerate(DEMO_MODULES):
            module = importlib.import_module(name)
            # One generator per part and region: adding a part never changes another's data.
            rng = random.Random(f"{options.seed}:{options.region}:{name}")
            report.update(module.build(options, rng))
            if i < len(DEMO_MODULES) - 1:
                _analyze()
    return report


def _analyze() -> None:
    """PostgreSQL plans the next part's queries from statistics that do not know the rows this
    transaction just wrote; where the tables were last analysed empty but not shrunk, it expects no
    rows at all, and the fund's fee checks joined their postings row by row, seconds a query. ANALYZE
    inside the transaction counts its own rows. The platform's tables only (a part writes other apps'
    tables too: settlement posts to the fund's), not the system catalogues."""
    if connection.vendor != "postgresql":
        return
    tables = [connection.ops.quote_name(t) for t in connection.introspection.django_table_names(only_existing=True)]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")
