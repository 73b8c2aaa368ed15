"""Reading what a month's screening needs from the database into Polars frames.

Queries are built by the ORM and read with a plain cursor (as settlement does, ltci.settlement.inputs),
visits 100,000 rows at a time: a city's month is 1.5 million of them. Times are local (the day of a
visit is the local day of its check-in).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings
from django.db import connection
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from ltci.assessment.models import Application, Kind, Trigger
from ltci.care.models import CareChoice, CareEvent, CarePlan, EventKind, FamilyCareDay, PlanItem, PlanStatus, Stay, Visit
from ltci.providers.catalogue import items_of
from ltci.providers.models import Agreement, CarerSuspension, Institution
from ltci.settlement.inputs import CHUNK, _hospital, _read, month_bounds

ID = pl.Int64
LOCAL = pl.Datetime("us")  # local wall time, no zone: durations and days are read off it


@dataclass
class Frames:
    region: str
    first: date
    last: date
    visits: pl.DataFrame  # visit_id, person_id, institution_id, carer_id, checkin, checkout, day, checkin_m, checkout_m, face_check, items
    minutes: pl.DataFrame  # code, minutes (catalogue's standard minutes; items without minutes are left out)
    hospital: pl.DataFrame  # person_id, admitted, discharged (null: still in)
    hospital_events: pl.DataFrame  # person_id, event_id (the admissions, named by hits)
    deaths: pl.DataFrame  # person_id, died_on, event_id
    stays: pl.DataFrame  # stay_id, person_id, institution_id, admitted, discharged
    family: pl.DataFrame  # family_id, person_id, carer_id, day
    choices: pl.DataFrame  # choice_id, person_id, institution_id, mode, effective_from
    plans: pl.DataFrame  # plan_id, person_id, valid_from, confirmed_at
    plan_items: pl.DataFrame  # plan_id, code
    suspensions: pl.DataFrame  # suspension_id, carer_id, start, end
    institutions: pl.DataFrame  # institution_id, filed_beds, status, suspended_from, suspended_until
    agreements: pl.DataFrame  # institution_id, start, end (the earlier of its end and its termination)
    reassessments: pl.DataFrame  # application_id, person_id, institution_id, submitted_on
    through: date | None = None  # the last day recorded: the month's last, or today in the current month

    def __post_init__(self):
        self.through = min(self.through or self.last, self.last)
        if "root_id" not in self.visits.columns:  # root_id: the first version of a corrected visit
            self.visits = self.visits.with_columns(pl.col("visit_id").alias("root_id"))


def read(region: str, month: date, *, on_chunk=None, today: date | None = None) -> Frames:
    first, last = month_bounds(month)
    reach_back = first - timedelta(days=400)  # a re-assessment window of up to 13 months
    effective = CareEvent.objects.filter(region_id=region, corrected_by__isnull=True, on__lte=last)
    overlapping_stays = (Stay.objects.filter(region_id=region, admitted_on__lte=last)
                         .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=first)))
    return Frames(
        region=region, first=first, last=last, through=today,
        visits=_with_roots(_visits(region, first, last, on_chunk)),
        minutes=_read(items_of(region, first).exclude(standard_minutes__isnull=True)
                      .values_list("code", "standard_minutes"), {"code": pl.String, "minutes": ID}),
        hospital=_hospital(effective),
        hospital_events=_read(effective.filter(kind=EventKind.HOSPITAL_ADMISSION).values_list("person_id", "id", "on"),
                              {"person_id": ID, "event_id": ID, "admitted": pl.Date}),
        deaths=_read(effective.filter(kind=EventKind.DEATH).order_by("on").values_list("person_id", "on", "id"),
                     {"person_id": ID, "died_on": pl.Date, "event_id": ID}).unique("person_id", keep="first"),
        stays=_read(overlapping_stays.values_list("id", "person_id", "institution_id", "admitted_on", "discharged_on"),
                    {"stay_id": ID, "person_id": ID, "institution_id": ID, "admitted": pl.Date,
                     "discharged": pl.Date}),
        family=_read(FamilyCareDay.objects.filter(region_id=region, day__gte=first, day__lte=last)
                     .values_list("id", "person_id", "carer_id", "day"),
                     {"family_id": ID, "person_id": ID, "carer_id": ID, "day": pl.Date}),
        choices=_read(CareChoice.objects.filter(region_id=region, effective_from__lte=last)
                      .values_list("id", "person_id", "institution_id", "mode", "effective_from"),
                      {"choice_id": ID, "person_id": ID, "institution_id": ID, "mode": pl.String,
                       "effective_from": pl.Date}),
        plans=_read(CarePlan.objects.filter(region_id=region, valid_from__lte=last, confirmed_at__isnull=False,
                                            status__in=[PlanStatus.CONFIRMED, PlanStatus.REPLACED])
                    .values_list("id", "person_id", "valid_from", "confirmed_at"),
                    {"plan_id": ID, "person_id": ID, "valid_from": pl.Date, "confirmed_at": pl.String}),
        plan_items=_read(PlanItem.objects.filter(plan__region_id=region, plan__valid_from__lte=last,
                                                 plan__confirmed_at__isnull=False)
                         .values_list("plan_id", "item__code"), {"plan_id": ID, "code": pl.String}),
        suspensions=_read(CarerSuspension.objects.filter(carer__region_id=region, start__lte=last, end__gte=first)
                          .values_list("id", "carer_id", "start", "end"),
                          {"suspension_id": ID, "carer_id": ID, "start": pl.Date, "end": pl.Date}),
        institutions=_read(Institution.objects.filter(region_id=region)
                           .values_list("id", "filed_beds", "status", "suspended_from", "suspended_until"),
                           {"institution_id": ID, "filed_beds": ID, "status": pl.String, "suspended_from": pl.Date,
                            "suspended_until": pl.Date}),
        agreements=_read(Agreement.objects.filter(institution__region_id=region)
                         .values_list("institution_id", "start", "end", "terminated_on"),
                         {"institution_id": ID, "start": pl.Date, "end": pl.Date, "terminated_on": pl.Date})
        .select("institution_id", "start",
                pl.min_horizontal("end", pl.col("terminated_on") - timedelta(days=1)).alias("end")),
        reassessments=_read(Application.objects.filter(region_id=region, kind=Kind.REASSESSMENT,
                                                       trigger=Trigger.REQUEST, submitted_on__gte=reach_back,
                                                       submitted_on__lte=last)
                            .values_list("id", "person_id", "serving_institution_id", "submitted_on"),
                            {"application_id": ID, "person_id": ID, "institution_id": ID, "submitted_on": pl.Date}),
    )


def _with_roots(visits: pl.DataFrame) -> pl.DataFrame:
    """Visits with the id of their first version (`root_id`): corrections are rare, so the chains
    of every region's corrections are walked in Python (another region's never meet this month's
    visits in the join). They are read from the index of what they supersede alone: asked with the
    region, SQLite read the region's every visit (65 s of a city's 18 million; docs/decisions/0027)."""
    back = dict(Visit.objects.filter(supersedes__isnull=False).values_list("id", "supersedes_id"))
    roots = {}
    for pk in back:
        root = pk
        while root in back:
            root = back[root]
        roots[pk] = root
    mapping = pl.DataFrame({"visit_id": list(roots), "root_id": list(roots.values())},
                           schema={"visit_id": ID, "root_id": ID})
    return (visits.join(mapping, on="visit_id", how="left")
            .with_columns(pl.col("root_id").fill_null(pl.col("visit_id"))))


VISIT_SCHEMA = {"visit_id": ID, "person_id": ID, "institution_id": ID, "carer_id": ID, "checkin": LOCAL,
                "checkout": LOCAL, "day": pl.Date, "checkin_m": ID, "checkout_m": ID, "face_check": pl.String,
                "items": pl.List(pl.String)}


def _visits(region: str, first: date, last: date, on_chunk) -> pl.DataFrame:
    """The month's checked-out visits that no correction replaced."""
    tz = ZoneInfo(settings.TIME_ZONE)
    since = datetime.combine(first, time.min, tz)
    until = datetime.combine(last + timedelta(days=1), time.min, tz)
    qs = Visit.objects.filter(region_id=region, checkin_at__gte=since, checkin_at__lt=until,
                              checkout_at__isnull=False, superseded_by__isnull=True)
    times = ("checkin_at", "checkout_at")
    if connection.vendor == "sqlite":
        # As text, which Polars parses: SQLite's Python converter would build 3 million datetimes one by one.
        qs = qs.annotate(checkin_text=Cast("checkin_at", TextField()), checkout_text=Cast("checkout_at", TextField()))
        times = ("checkin_text", "checkout_text")
    qs = qs.order_by().values_list("id", "person_id", "institution_id", "carer_id", *times, "checkin_distance_m",
                        "checkout_distance_m", "face_check", "items")
    sql, params = qs.query.sql_with_params()
    chunks, done = [], 0
    with connection.cursor() as cur:
        cur.execute(sql, params)
        while rows := cur.fetchmany(CHUNK):
            chunks.append(_visit_chunk(rows))
            done += len(rows)
            if on_chunk:
                on_chunk(done)
    return pl.concat(chunks) if chunks else pl.DataFrame(schema=VISIT_SCHEMA)


def _local(col: str, dtype) -> pl.Expr:
    at = pl.col(col)
    if dtype == pl.String:  # SQLite keeps UTC as text
        at = at.str.to_datetime(time_zone="UTC", time_unit="us")
    return at.dt.convert_time_zone(settings.TIME_ZONE).dt.replace_time_zone(None).cast(LOCAL)


def _visit_chunk(rows) -> pl.DataFrame:
    names = ["visit_id", "person_id", "institution_id", "carer_id", "checkin", "checkout", "checkin_m", "checkout_m",
             "face_check", "items"]
    frame = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
    items = pl.col("items")
    if frame.schema["items"] == pl.String:  # SQLite gives JSON text; psycopg decodes it
        items = items.str.json_decode(pl.List(pl.String))
    return frame.select(
        pl.col("visit_id", "person_id", "institution_id", "carer_id").cast(ID),
        _local("checkin", frame.schema["checkin"]).alias("checkin"),
        _local("checkout", frame.schema["checkout"]).alias("checkout"),
        pl.col("checkin_m", "checkout_m").cast(ID),
        pl.col("face_check").cast(pl.String),
        items.cast(pl.List(pl.String)).alias("items"),
    ).with_columns(pl.col("checkin").dt.date().alias("day")).select(list(VISIT_SCHEMA))
