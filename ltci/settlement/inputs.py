"""Reading a region's month from the database into the frames `compute` settles.

Each query is built by the ORM (so parameters are adapted for SQLite and PostgreSQL alike) and read
with a plain cursor into Polars: a city's 1.5 million visits would take minutes through model
instances. Dates come back as text from SQLite and as dates from PostgreSQL; both end as pl.Date.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings
from django.db import connection
from django.db.models import Q, Sum

from ltci.assessment.models import Certificate
from ltci.care.events import ADMISSION, DISCHARGE, ENDING, _Fault, _pair
from ltci.care.models import SETTLEABLE_ACCEPTANCE, CareChoice, CareEvent, FamilyCareDay, Stay, Visit
from ltci.contributions.models import Bill, Payment
from ltci.contributions.standing import _collects_locally
from ltci.enrolment.models import Enrolment, EnrolmentStatus, GroupMembership
from ltci.providers.catalogue import items_of
from ltci.providers.models import AgreedPrice, Agreement, CarerSuspension, CarerTraining

from .compute import Frames, price_visits

ID = pl.Int64
CHUNK = 100_000


def _read(qs, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    if not rows:
        return pl.DataFrame(schema=schema)
    frame = pl.DataFrame(rows, schema=list(schema), orient="row", infer_schema_length=None)
    return frame.with_columns(_as(pl.col(name), frame.schema[name], dtype) for name, dtype in schema.items())


def _as(col: pl.Expr, got, want) -> pl.Expr:
    if want == pl.Date and got == pl.String:
        return col.str.slice(0, 10).str.to_date("%Y-%m-%d")
    return col.cast(want)


def _fen(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """A yuan column (a float from SQLite, a Decimal from PostgreSQL) as integer fen."""
    return frame.with_columns((pl.col(name).cast(pl.Float64) * 100).round(0).cast(pl.Int64))


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def read(region: str, month: date) -> Frames:
    first, last = month_bounds(month)
    overlapping = Q(start__lte=last) & (Q(end__isnull=True) | Q(end__gte=first))
    held = (Certificate.objects.filter(region_id=region, qualifies=True, valid_from__lte=last, valid_until__gte=first)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first)))
    # Only the month's certificate holders can be paid: a city's millions of other insured people are
    # not read (their enrolments, expanded day by day, took 22 GB: docs/decisions/0027).
    holders = held.values("person_id")
    certificates = _read(
        held.values_list("person_id", "grade", "valid_from", "valid_until", "ended_on"),
        {"person_id": ID, "grade": pl.String, "start": pl.Date, "valid_until": pl.Date, "ended_on": pl.Date},
    ).select("person_id", "grade", "start", pl.min_horizontal("valid_until", "ended_on").alias("end"))
    enrolments = _read(Enrolment.objects.filter(overlapping, person__region_id=region, person_id__in=holders)
                       .exclude(status=EnrolmentStatus.SUSPENDED).values_list("person_id", "start", "end"),
                       {"person_id": ID, "start": pl.Date, "end": pl.Date})
    choices = _read(CareChoice.objects.filter(region_id=region, effective_from__lte=last)
                    .values_list("person_id", "effective_from", "id", "mode", "institution_id"),
                    {"person_id": ID, "effective_from": pl.Date, "seq": ID, "mode": pl.String, "institution_id": ID})
    effective = CareEvent.objects.filter(region_id=region, corrected_by__isnull=True, on__lte=last)
    ends = _read(effective.filter(kind__in=ENDING).values_list("person_id", "on"), {"person_id": ID, "day": pl.Date})
    stays = _read(Stay.objects.filter(region_id=region, admitted_on__lte=last)
                  .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=first))
                  .values_list("person_id", "institution_id", "admitted_on", "discharged_on"),
                  {"person_id": ID, "institution_id": ID, "admitted": pl.Date, "discharged": pl.Date})
    family = _read(FamilyCareDay.objects.filter(region_id=region, day__range=(first, last))
                   .values_list("person_id", "carer_id", "day", "carer__trained"),
                   {"person_id": ID, "carer_id": ID, "day": pl.Date, "flag": pl.Boolean})
    trainings = _read(CarerTraining.objects.filter(carer__region_id=region, on__lte=last).values_list("carer_id", "on"),
                      {"carer_id": ID, "since": pl.Date}).group_by("carer_id").agg(pl.col("since").min())
    # A family carer counts as trained from the first training on record; one marked trained with no
    # record (registered as already trained) counts as trained all along.
    family = family.join(trainings, on="carer_id", how="left").select(
        "person_id", "carer_id", "day",
        pl.when(pl.col("since").is_not_null()).then(pl.col("since") <= pl.col("day"))
        .otherwise(pl.col("flag")).fill_null(False).alias("trained"))
    prices = _prices(region, first, last)
    return Frames(
        certificates=certificates, enrolments=enrolments, arrears=_arrears(region, first, holders), choices=choices,
        ends=ends, hospital=_hospital(effective), stays=stays, visits=_visits(region, first, last, prices),
        suspensions=_read(CarerSuspension.objects.filter(carer__region_id=region, start__lte=last, end__gte=first)
                          .values_list("carer_id", "start", "end"), {"carer_id": ID, "start": pl.Date, "end": pl.Date}),
        family=family, prices=prices, bed_prices=_bed_prices(region, first, last),
        groups=_read(GroupMembership.objects.filter(person__region_id=region, person_id__in=holders,
                                                    valid_from__lte=last)
                     .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first))
                     .values_list("person_id", "group", "valid_from", "valid_to"),
                     {"person_id": ID, "group": pl.String, "start": pl.Date, "end": pl.Date}),
    )


def _visits(region: str, first: date, last: date, prices: pl.DataFrame) -> pl.DataFrame:
    """Checked-out visits of the month that no correction replaced and, if recorded late, the agency
    accepted; priced chunk by chunk (the item lists never all sit in memory); `day` is the local day
    of check-in."""
    tz = ZoneInfo(settings.TIME_ZONE)
    since = datetime.combine(first, time.min, tz)
    until = datetime.combine(last + timedelta(days=1), time.min, tz)
    qs = (Visit.objects.filter(region_id=region, checkin_at__gte=since, checkin_at__lt=until, checkout_at__isnull=False,
                               superseded_by__isnull=True, acceptance__in=SETTLEABLE_ACCEPTANCE)
          .values_list("person_id", "institution_id", "carer_id", "checkin_at", "items"))
    sql, params = qs.query.sql_with_params()
    schema = {"person_id": ID, "institution_id": ID, "carer_id": ID, "day": pl.Date, "items": pl.List(pl.String)}
    chunks = []
    with connection.cursor() as cur:
        cur.execute(sql, params)
        while rows := cur.fetchmany(CHUNK):
            chunks.append(price_visits(_visit_chunk(rows), prices))
    return pl.concat(chunks) if chunks else price_visits(pl.DataFrame(schema=schema), prices)


def _visit_chunk(rows) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=["person_id", "institution_id", "carer_id", "at", "items"], orient="row",
                         infer_schema_length=None)
    at = pl.col("at")
    if frame.schema["at"] == pl.String:  # SQLite keeps UTC as text
        at = at.str.to_datetime(time_zone="UTC", time_unit="us")
    items = pl.col("items")
    if frame.schema["items"] == pl.String:  # SQLite gives JSON text; psycopg decodes it
        items = items.str.json_decode(pl.List(pl.String))
    return frame.select(pl.col("person_id", "institution_id", "carer_id").cast(ID),
                        at.dt.convert_time_zone(settings.TIME_ZONE).dt.date().alias("day"),
                        items.cast(pl.List(pl.String)).alias("items"))


def _arrears(region: str, first: date, holders) -> pl.DataFrame:
    """People with a billed period covering the month that is not fully paid (Xuzhou 五(一): no
    benefits for a month in arrears). Where another body collects (Changning), nobody."""
    schema = {"person_id": ID}
    if not _collects_locally(region, first):
        return pl.DataFrame(schema=schema)
    periods = [f"{first.year}", f"{first:%Y-%m}"]
    billed = _read(Bill.objects.filter(region_id=region, period__in=periods, person_id__in=holders)
                   .values("person_id", "period")
                   .annotate(t=Sum("total")).values_list("person_id", "period", "t"),
                   {"person_id": ID, "period": pl.String, "billed": pl.Float64})
    paid = _read(Payment.objects.filter(person__region_id=region, period__in=periods, person_id__in=holders)
                 .values("person_id", "period")
                 .annotate(t=Sum("amount")).values_list("person_id", "period", "t"),
                 {"person_id": ID, "period": pl.String, "paid": pl.Float64})
    due = billed.join(paid, on=["person_id", "period"], how="left").with_columns(pl.col("paid").fill_null(0))
    return due.filter(pl.col("paid") + 0.005 < pl.col("billed")).select("person_id").unique()


def _hospital(effective) -> pl.DataFrame:
    """Hospital stays (admitted, discharged or null) from the events that count, per person."""
    events: dict[int, list] = {}
    for person_id, kind, on in effective.filter(kind__in=(ADMISSION, DISCHARGE)).values_list("person_id", "kind", "on"):
        events.setdefault(person_id, []).append((kind, on))
    rows = []
    for person_id, pairs in events.items():
        try:
            rows += [(person_id, a, d) for a, d in _pair(pairs)]
        except _Fault:  # the recording checks forbid it; what cannot be paired suspends nothing
            continue
    return pl.DataFrame(rows, schema={"person_id": ID, "admitted": pl.Date, "discharged": pl.Date}, orient="row")


def _prices(region: str, first: date, last: date) -> pl.DataFrame:
    """Catalogue prices (institution_id null) and agreed prices of the agreements in force."""
    listed = _read(items_of(region, first).exclude(unit_price__isnull=True).values_list("code", "unit_price"),
                   {"code": pl.String, "price": pl.Float64})
    agreed = _read(AgreedPrice.objects.filter(_in_force("agreement__", region, first, last))
                   .order_by("agreement__start").values_list("agreement__institution_id", "item__code", "price"),
                   {"institution_id": ID, "code": pl.String, "price": pl.Float64})
    agreed = agreed.unique(["institution_id", "code"], keep="last", maintain_order=True)
    frame = pl.concat([listed.select(pl.lit(None, ID).alias("institution_id"), "code", "price"), agreed])
    return _fen(frame, "price")


def _bed_prices(region: str, first: date, last: date) -> pl.DataFrame:
    frame = _read(Agreement.objects.filter(_in_force("", region, first, last), bed_day_price__isnull=False)
                  .order_by("start").values_list("institution_id", "bed_day_price"),
                  {"institution_id": ID, "bed_price": pl.Float64})
    return _fen(frame.unique("institution_id", keep="last", maintain_order=True), "bed_price")


def _in_force(prefix: str, region: str, first: date, last: date) -> Q:
    p = prefix
    return (Q(**{f"{p}institution__region_id": region, f"{p}start__lte": last, f"{p}end__gte": first})
            & (Q(**{f"{p}terminated_on__isnull": True}) | Q(**{f"{p}terminated_on__gte": first})))
