"""The projection's inputs read from the database (issue 18): a thin reader, the model is in
`ltci.projection` (no Django there). Everything is read at one date `on`: the register of insured in
force, certificates, deaths, the settled months, and the fund's books."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl
from django.db.models import Q

from ltci.assessment.models import Certificate
from ltci.enrolment.models import EndReason, Enrolment, EnrolmentStatus, GroupMembership
from ltci.projection.model import Inputs
from ltci.settlement.models import Line

from .accounts import AGENCY_FEES
from .cover import cover_threshold
from .ledger import INCOME_ACCOUNTS, ZERO, fund_balance, movements


def _fen(value) -> int | None:
    return None if value is None else int(Decimal(value) * 100)


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def read_inputs(region_id: str, on: date) -> Inputs:
    year_ago = on - timedelta(days=365)
    in_force = (Enrolment.objects.filter(region_id=region_id, start__lte=on)
                .filter(Q(end__isnull=True) | Q(end__gt=on)).exclude(status=EnrolmentStatus.ENDED, end__isnull=True))
    groups: dict[int, list[str]] = {}
    for person_id, group in (GroupMembership.objects.filter(region_id=region_id, valid_from__lte=on)
                             .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on)).values_list("person_id", "group")):
        groups.setdefault(person_id, []).append(group)
    rows = {"person_id": [], "scheme": [], "category": [], "sex": [], "age": [], "groups": [], "base": [], "pension": []}
    for e in in_force.values("person_id", "scheme", "category", "person__sex", "person__birth_date",
                             "contribution_base", "pension").order_by("person_id"):
        rows["person_id"].append(e["person_id"])
        rows["scheme"].append(e["scheme"])
        rows["category"].append(e["category"] or None)
        rows["sex"].append(e["person__sex"])
        rows["age"].append(max(0, _age(e["person__birth_date"], on)))
        rows["groups"].append(groups.get(e["person_id"], []))
        rows["base"].append(_fen(e["contribution_base"]))
        rows["pension"].append(_fen(e["pension"]))
    register = pl.DataFrame(rows, schema={"person_id": pl.Int64, "scheme": pl.String, "category": pl.String,
                                          "sex": pl.String, "age": pl.Int64, "groups": pl.List(pl.String),
                                          "base": pl.Int64, "pension": pl.Int64})
    entries = Enrolment.objects.filter(region_id=region_id, start__gt=year_ago, start__lte=on).count()
    exits = Enrolment.objects.filter(region_id=region_id, end__gt=year_ago, end__lte=on,
                                     end_reason__in=[EndReason.MOVED_OUT, EndReason.LEFT_SCHEME]).count()
    deaths = pl.DataFrame(list(Enrolment.objects.filter(region_id=region_id, end_reason=EndReason.DEATH, end__isnull=False)
                               .values_list("person_id", "end")), schema={"person_id": pl.Int64, "died_on": pl.Date},
                          orient="row").unique("person_id")
    certs = [(c["person_id"], c["grade"], c["qualifies"], _age(c["person__birth_date"], c["valid_from"]), c["valid_from"],
              c["ended_on"] or c["valid_until"])
             for c in Certificate.objects.filter(region_id=region_id, valid_from__lte=on).values(
                 "person_id", "grade", "qualifies", "person__birth_date", "valid_from", "valid_until", "ended_on")]
    certificates = pl.DataFrame(certs, schema={"person_id": pl.Int64, "grade": pl.String, "qualifies": pl.Boolean,
                                               "age": pl.Int64, "valid_from": pl.Date, "valid_to": pl.Date}, orient="row")
    settled_rows = [(ln["person_id"], ln["service_month"], ln["mode"], ln["grade"], _fen(ln["fund"]), _fen(ln["cost"]),
                     int((ln["units"] or {}).get("bed_days") or 0), int((ln["units"] or {}).get("visits") or 0),
                     int((ln["units"] or {}).get("family_days") or 0))
                    for ln in Line.objects.filter(claim__region_id=region_id, kind="regular", service_month__lte=on)
                    .values("person_id", "service_month", "mode", "grade", "fund", "cost", "units")]
    settled = pl.DataFrame(settled_rows, orient="row", schema={
        "person_id": pl.Int64, "service_month": pl.Date, "mode": pl.String, "grade": pl.String, "fund": pl.Int64,
        "cost": pl.Int64, "days": pl.Int64, "visits": pl.Int64, "family_days": pl.Int64})
    moved = movements(region_id, year_ago + timedelta(days=1), on)
    contributions = sum((moved.get(a, ZERO) for a in INCOME_ACCOUNTS), ZERO)
    threshold, basis = cover_threshold(region_id, on)
    return Inputs(region_id, on, register, certificates, deaths, settled, fund_balance(region_id, on),
                  contributions_last_year=contributions, agency_fees_last_year=moved.get(AGENCY_FEES, ZERO),
                  entries_last_year=entries, exits_last_year=exits, warning_months=threshold, warning_basis=basis)
