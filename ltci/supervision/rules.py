"""The functions that evaluate the rule base's rules (rulebase.toml), one per code, each a
vectorised Polars query over a month's frames returning one row per finding:

    key, day, person_id, institution_id, carer_id, records (JSON), detail (JSON)

`key` names the finding within its rule and month (the same finding keeps its key when the month is
screened again); `records` names the rows behind it by kind; `detail` holds the figures the rule's
template describes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import polars as pl

from ltci.care.models import FaceCheck, Mode

from .frames import ID, Frames

OUT = {"key": pl.String, "day": pl.Date, "person_id": ID, "institution_id": ID, "carer_id": ID,
       "records": pl.String, "detail": pl.String}
FACE_LABELS = dict(FaceCheck.choices)
MODE_LABELS = dict(Mode.choices)
RULES: dict[str, Callable[[Frames, dict], pl.DataFrame]] = {}
# A visit's finding is keyed by the first version of the visit, so a correction that keeps the fault
# is the same finding (the hit's records name the version screened).
VISIT_KEY = pl.lit("visit:") + pl.col("root_id").cast(pl.String)


def rule(code: str):
    def register(fn):
        RULES[code] = fn
        return fn
    return register


def _json(**fields: pl.Expr) -> pl.Expr:
    return pl.struct(**fields).struct.json_encode()


def _ids(*cols: str) -> pl.Expr:
    return pl.concat_list([pl.col(c) for c in cols])


def _out(frame: pl.DataFrame, *, key: pl.Expr, records: pl.Expr, detail: pl.Expr, day: pl.Expr | None = None,
         person: str | None = "person_id", institution: str | None = "institution_id",
         carer: str | None = None) -> pl.DataFrame:
    none = pl.lit(None, ID)
    return frame.select(
        key.cast(pl.String).alias("key"),
        (day if day is not None else pl.lit(None, pl.Date)).cast(pl.Date).alias("day"),
        (pl.col(person) if person else none).cast(ID).alias("person_id"),
        (pl.col(institution) if institution else none).cast(ID).alias("institution_id"),
        (pl.col(carer) if carer else none).cast(ID).alias("carer_id"),
        records.alias("records"),
        detail.alias("detail"),
    )


def _care(f: Frames) -> pl.DataFrame:
    """Home care recorded in the month, visits and family-care days alike: kind, id, person, day."""
    return pl.concat([
        f.visits.select(pl.lit("visit").alias("kind"), pl.col("visit_id").alias("record_id"),
                        pl.col("root_id").alias("key_id"), "person_id", "institution_id", "carer_id", "day"),
        f.family.select(pl.lit("family_day").alias("kind"), pl.col("family_id").alias("record_id"),
                        pl.col("family_id").alias("key_id"), "person_id", pl.lit(None, ID).alias("institution_id"),
                        "carer_id", "day"),
    ])


def _care_records(**extra: pl.Expr) -> pl.Expr:
    """{"visit": [id]} or {"family_day": [id]}, by the row's kind, with any further record lists."""
    ids = _ids("record_id")
    return pl.when(pl.col("kind") == "visit").then(_json(visit=ids, **extra)).otherwise(_json(family_day=ids, **extra))


RECORD_LABEL = pl.when(pl.col("kind") == "visit").then(pl.lit("上门服务")).otherwise(pl.lit("亲情照护"))


def _care_out(frame: pl.DataFrame, records: pl.Expr | None = None, **detail: pl.Expr) -> pl.DataFrame:
    return _out(frame, key=pl.col("kind") + ":" + pl.col("key_id").cast(pl.String),
                records=records if records is not None else _care_records(),
                detail=_json(day=pl.col("day").cast(pl.String), record=RECORD_LABEL, **detail),
                day=pl.col("day"), carer="carer_id")


@rule("visit_overlap")
def visit_overlap(f: Frames, p: dict) -> pl.DataFrame:
    """A carer's visit that begins before an earlier one of theirs has ended."""
    v = (f.visits.select("visit_id", "root_id", "person_id", "institution_id", "carer_id", "checkin", "checkout",
                         "day")
         .sort("carer_id", "checkin", "visit_id")
         # The visit still running is the one whose check-out is the latest so far: name it, not just
         # the visit before (a short one may lie inside a long one).
         .with_columns(pl.col("checkout").cum_max().over("carer_id").alias("__max"))
         .with_columns(pl.when(pl.col("checkout") == pl.col("__max")).then(pl.col("visit_id")).forward_fill()
                       .over("carer_id").alias("__holder"))
         .with_columns(pl.col("__max").shift(1).over("carer_id").alias("__busy_until"),
                       pl.col("__holder").shift(1).over("carer_id").alias("__before")))
    hits = v.filter(pl.col("__busy_until") > pl.col("checkin")).with_columns(
        ((pl.min_horizontal("__busy_until", "checkout") - pl.col("checkin")).dt.total_minutes()).alias("__overlap"))
    return _out(hits, key=VISIT_KEY,
                records=_json(visit=_ids("__before", "visit_id")),
                detail=_json(count=pl.lit(2), overlap_minutes=pl.col("__overlap")),
                day=pl.col("day"), carer="carer_id")


@rule("checkin_far")
def checkin_far(f: Frames, p: dict) -> pl.DataFrame:
    limit = int(p["distance_m"])
    v = f.visits.with_columns(pl.col("checkin_m").fill_null(0).alias("__in"), pl.col("checkout_m").fill_null(0).alias("__out"))
    hits = v.filter(pl.max_horizontal("__in", "__out") > limit)
    return _out(hits, key=VISIT_KEY,
                records=_json(visit=_ids("visit_id")),
                detail=_json(which=pl.when(pl.col("__in") >= pl.col("__out")).then(pl.lit("签到")).otherwise(pl.lit("签退")),
                             distance_m=pl.max_horizontal("__in", "__out"),
                             checkin_m=pl.col("checkin_m"), checkout_m=pl.col("checkout_m")),
                day=pl.col("day"), carer="carer_id")


@rule("visit_short")
def visit_short(f: Frames, p: dict) -> pl.DataFrame:
    """A visit shorter than the standard minutes of its items (items without standard minutes count 0)."""
    share = float(p["min_share"])
    standard = (f.visits.select("visit_id", "items").explode("items").rename({"items": "code"})
                .join(f.minutes, on="code", how="inner").group_by("visit_id").agg(pl.col("minutes").sum()))
    v = (f.visits.join(standard, on="visit_id", how="inner")
         .with_columns((pl.col("checkout") - pl.col("checkin")).dt.total_minutes().alias("__took")))
    hits = v.filter((pl.col("minutes") > 0) & (pl.col("__took") < pl.col("minutes") * share))
    return _out(hits, key=VISIT_KEY,
                records=_json(visit=_ids("visit_id")),
                detail=_json(minutes=pl.col("__took"), standard_minutes=pl.col("minutes")),
                day=pl.col("day"), carer="carer_id")


@rule("care_in_hospital")
def care_in_hospital(f: Frames, p: dict) -> pl.DataFrame:
    """Home care on a day the person spent wholly in hospital (after the admission day, before the
    discharge day: care on either of those days can be genuine)."""
    care = _care(f).join(f.hospital, on="person_id", how="inner")
    hits = care.filter((pl.col("day") > pl.col("admitted"))
                       & (pl.col("discharged").is_null() | (pl.col("day") < pl.col("discharged"))))
    hits = (hits.unique(["kind", "record_id"], keep="first")
            .join(f.hospital_events.unique(["person_id", "admitted"]), on=["person_id", "admitted"], how="left"))
    return _care_out(hits, _care_records(care_event=pl.concat_list(pl.col("event_id")).list.drop_nulls()),
                     admitted=pl.col("admitted").cast(pl.String))


@rule("care_after_death")
def care_after_death(f: Frames, p: dict) -> pl.DataFrame:
    """Home care after the day of death, and a stay still open (bed-days) after it."""
    care = _care(f).join(f.deaths, on="person_id", how="inner").filter(pl.col("day") > pl.col("died_on"))
    care_hits = _care_out(care, _care_records(care_event=_ids("event_id")), died_on=pl.col("died_on").cast(pl.String))
    # The first bed-day after death in the month: a bed-day runs from admission to the day before
    # leaving (a same-day stay is its one day).
    stays = (f.stays.join(f.deaths, on="person_id", how="inner")
             .with_columns(pl.max_horizontal(pl.col("died_on") + timedelta(days=1), "admitted", pl.lit(f.first))
                           .alias("__day"))
             .filter((pl.col("__day") <= f.through)
                     & (pl.col("discharged").is_null() | (pl.col("__day") < pl.col("discharged"))
                        | ((pl.col("discharged") == pl.col("admitted")) & (pl.col("__day") == pl.col("admitted"))))))
    stay_hits = _out(stays, key=pl.lit("stay:") + pl.col("stay_id").cast(pl.String),
                     records=_json(stay=_ids("stay_id"), care_event=_ids("event_id")),
                     detail=_json(died_on=pl.col("died_on").cast(pl.String), day=pl.col("__day").cast(pl.String),
                                  record=pl.lit("床日")),
                     day=pl.col("__day"))
    return pl.concat([care_hits, stay_hits])


@rule("home_care_during_stay")
def home_care_during_stay(f: Frames, p: dict) -> pl.DataFrame:
    """Home care on a day the person spent in an institution (after admission, before leaving)."""
    stays = f.stays.select("person_id", "stay_id", "admitted", "discharged", pl.col("institution_id").alias("__at"))
    care = _care(f).join(stays, on="person_id", how="inner")
    hits = care.filter((pl.col("day") > pl.col("admitted"))
                       & (pl.col("discharged").is_null() | (pl.col("day") < pl.col("discharged"))))
    hits = hits.unique(["kind", "record_id"], keep="first")
    return _care_out(hits, _care_records(stay=_ids("stay_id")), stay_id=pl.col("stay_id"))


def _mode_on(frame: pl.DataFrame, f: Frames) -> pl.DataFrame:
    """`frame` (person_id, day) with the person's care mode in force that day."""
    choices = f.choices.sort("effective_from", "choice_id").select("person_id", "effective_from", "mode")
    return (frame.sort("day")
            .join_asof(choices, left_on="day", right_on="effective_from", by="person_id", strategy="backward",
                       check_sortedness=False))  # both sorted by date above


@rule("home_and_family_same_day")
def home_and_family_same_day(f: Frames, p: dict) -> pl.DataFrame:
    allowed = [str(m) for m in p["allowed_modes"]]
    visits = f.visits.group_by("person_id", "day").agg(pl.col("visit_id"), pl.col("institution_id").first())
    family = f.family.group_by("person_id", "day").agg(pl.col("family_id"))
    both = _mode_on(visits.join(family, on=["person_id", "day"], how="inner"), f)
    hits = both.filter(pl.col("mode").is_null() | ~pl.col("mode").is_in(allowed))
    return _out(hits, key=pl.lit("person:") + pl.col("person_id").cast(pl.String) + ":" + pl.col("day").cast(pl.String),
                records=_json(visit=pl.col("visit_id"), family_day=pl.col("family_id")),
                detail=_json(day=pl.col("day").cast(pl.String),
                             mode=pl.col("mode").replace_strict(MODE_LABELS, default=pl.col("mode"))),
                day=pl.col("day"))


def _bed_days(f: Frames) -> pl.DataFrame:
    """One row per bed-day of the month: the stay's days from admission to the day before leaving."""
    last_day = (pl.when(pl.col("discharged").is_null()).then(pl.lit(f.through))
                .when(pl.col("discharged") > pl.col("admitted")).then(pl.col("discharged") - timedelta(days=1))
                .otherwise(pl.col("discharged")))
    return (f.stays.with_columns(pl.max_horizontal("admitted", pl.lit(f.first)).alias("__from"),
                                 pl.min_horizontal(last_day, pl.lit(f.through)).alias("__to"))
            .filter(pl.col("__from") <= pl.col("__to"))
            .with_columns(pl.date_ranges("__from", "__to").alias("day")).explode("day")
            .select("stay_id", "person_id", "institution_id", "day"))


@rule("bed_days_over_month")
def bed_days_over_month(f: Frames, p: dict) -> pl.DataFrame:
    days_in_month = (f.last - f.first).days + 1
    per_person = (_bed_days(f).group_by("person_id")
                  .agg(pl.len().alias("__n"), pl.col("stay_id").unique().sort(), pl.col("institution_id").first()))
    hits = per_person.filter(pl.col("__n") > days_in_month)
    return _out(hits, key=pl.lit("person:") + pl.col("person_id").cast(pl.String),
                records=_json(stay=pl.col("stay_id")),
                detail=_json(bed_days=pl.col("__n"), days_in_month=pl.lit(days_in_month)))


@rule("beds_over_filed")
def beds_over_filed(f: Frames, p: dict) -> pl.DataFrame:
    """An institution with more people in bed on a day than its filed beds: one hit per institution
    and month, naming the fullest day and the stays of that day."""
    per_day = (_bed_days(f).group_by("institution_id", "day")
               .agg(pl.len().alias("__occupied"), pl.col("stay_id").sort()))
    over = (per_day.join(f.institutions.select("institution_id", "filed_beds"), on="institution_id")
            .filter(pl.col("__occupied") > pl.col("filed_beds"))
            .sort("institution_id", "__occupied", "day", descending=[False, True, False])
            .group_by("institution_id", maintain_order=True)
            .agg(pl.all().first(), pl.len().alias("__days")))
    return _out(over, key=pl.lit("institution:") + pl.col("institution_id").cast(pl.String),
                records=_json(stay=pl.col("stay_id")),
                detail=_json(day=pl.col("day").cast(pl.String), occupied=pl.col("__occupied"),
                             filed_beds=pl.col("filed_beds"), days_over=pl.col("__days")),
                day=pl.col("day"), person=None)


@rule("face_check_failed")
def face_check_failed(f: Frames, p: dict) -> pl.DataFrame:
    hits = f.visits.filter(pl.col("face_check") != FaceCheck.PASSED)
    return _out(hits, key=VISIT_KEY,
                records=_json(visit=_ids("visit_id")),
                detail=_json(face_check=pl.col("face_check").replace_strict(FACE_LABELS, default=pl.col("face_check"))),
                day=pl.col("day"), carer="carer_id")


def _plan_on(frame: pl.DataFrame, f: Frames) -> pl.DataFrame:
    """`frame` (person_id, day) with the plan in force that day (ltci.care.plans.plan_on): of the
    confirmed plans begun by then, the one confirmed last."""
    starts = f.plans.select("person_id", pl.col("valid_from").alias("__since")).unique()
    in_force = (starts.join(f.plans, on="person_id").filter(pl.col("valid_from") <= pl.col("__since"))
                .sort("confirmed_at", "plan_id").group_by("person_id", "__since").agg(pl.col("plan_id").last())
                .sort("__since"))
    return frame.sort("day").join_asof(in_force, left_on="day", right_on="__since", by="person_id",
                                       strategy="backward", check_sortedness=False)  # both sorted by date


@rule("item_not_in_plan")
def item_not_in_plan(f: Frames, p: dict) -> pl.DataFrame:
    v = _plan_on(f.visits.select("visit_id", "root_id", "person_id", "institution_id", "carer_id", "day", "items"), f)
    done = v.select("visit_id", "plan_id", "items").explode("items").rename({"items": "code"}).drop_nulls("code")
    outside = (done.join(f.plan_items, on=["plan_id", "code"], how="anti")
               .group_by("visit_id").agg(pl.col("code").unique().sort().alias("__outside")))
    hits = v.join(outside, on="visit_id", how="inner")
    return _out(hits, key=VISIT_KEY,
                records=_json(visit=_ids("visit_id"), plan=pl.concat_list(pl.col("plan_id")).list.drop_nulls()),
                detail=_json(items=pl.col("__outside"), day=pl.col("day").cast(pl.String),
                             plan_id=pl.col("plan_id")),
                day=pl.col("day"), carer="carer_id")


@rule("suspended_carer")
def suspended_carer(f: Frames, p: dict) -> pl.DataFrame:
    care = _care(f).join(f.suspensions, on="carer_id", how="inner")
    hits = (care.filter((pl.col("day") >= pl.col("start")) & (pl.col("day") <= pl.col("end")))
            .unique(["kind", "record_id"], keep="first"))
    return _out(hits, key=pl.col("kind") + ":" + pl.col("key_id").cast(pl.String),
                records=_care_records(suspension=_ids("suspension_id")),
                detail=_json(day=pl.col("day").cast(pl.String), start=pl.col("start").cast(pl.String),
                             end=pl.col("end").cast(pl.String)),
                day=pl.col("day"), carer="carer_id")


@rule("suspended_institution")
def suspended_institution(f: Frames, p: dict) -> pl.DataFrame:
    """Visits on a day no agreement of the institution was in force, and new clients (a care choice
    of the institution starting in the month) taken while it was suspended from new clients."""
    covered = (f.visits.select("visit_id", "institution_id", "day").join(f.agreements, on="institution_id")
               .filter((pl.col("start") <= pl.col("day")) & (pl.col("day") <= pl.col("end")))
               .select("visit_id").unique())
    uncovered = f.visits.join(covered, on="visit_id", how="anti")
    visit_hits = _out(uncovered, key=VISIT_KEY,
                      records=_json(visit=_ids("visit_id")),
                      detail=_json(what=pl.lit("无有效服务协议时记录上门服务"), status=pl.lit("协议未生效或已终止"),
                                   since=pl.col("day").cast(pl.String)),
                      day=pl.col("day"), carer="carer_id")
    suspended = f.institutions.filter(pl.col("suspended_from").is_not_null())
    earlier = f.choices.select("person_id", "institution_id", pl.col("effective_from").alias("__before"))
    taken = (f.choices.filter(pl.col("effective_from") >= f.first)
             .join(suspended, on="institution_id")
             .filter((pl.col("effective_from") >= pl.col("suspended_from"))
                     & (pl.col("suspended_until").is_null() | (pl.col("effective_from") <= pl.col("suspended_until")))))
    # A client who had chosen the institution before its suspension is not a new one.
    known = (taken.join(earlier, on=["person_id", "institution_id"])
             .filter(pl.col("__before") < pl.col("suspended_from")).select("choice_id").unique())
    taken = taken.join(known, on="choice_id", how="anti")
    choice_hits = _out(taken, key=pl.lit("care_choice:") + pl.col("choice_id").cast(pl.String),
                       records=_json(care_choice=_ids("choice_id")),
                       detail=_json(what=pl.lit("暂停期间接收新参保人"), status=pl.lit("暂停接收新参保人"),
                                    since=pl.col("suspended_from").cast(pl.String)),
                       day=pl.col("effective_from"))
    return pl.concat([visit_hits, choice_hits])


@rule("reassessment_frequent")
def reassessment_frequent(f: Frames, p: dict) -> pl.DataFrame:
    """People (and institutions serving them) asking for re-assessment often within the window
    that ends with the month (Changning 二(二)1)."""
    window = int(p["window_months"])
    since = f.last.replace(day=1)
    for _ in range(window - 1):
        since = (since - timedelta(days=1)).replace(day=1)
    asked = f.reassessments.filter(pl.col("submitted_on") >= since).sort("submitted_on", "application_id")
    people = (asked.group_by("person_id")
              .agg(pl.len().alias("__n"), pl.col("application_id").sort(), pl.col("institution_id").drop_nulls().last(),
                   pl.col("submitted_on").max())
              .filter(pl.col("__n") >= int(p["threshold"])))
    person_hits = _out(people, key=pl.lit("person:") + pl.col("person_id").cast(pl.String),
                       records=_json(application=pl.col("application_id")),
                       detail=_json(who=pl.lit("本人"), count=pl.col("__n"), window_months=pl.lit(window),
                                    threshold=pl.lit(int(p["threshold"]))),
                       day=pl.col("submitted_on"))
    places = (asked.drop_nulls("institution_id").group_by("institution_id")
              .agg(pl.len().alias("__n"), pl.col("application_id").sort(), pl.col("submitted_on").max())
              .filter(pl.col("__n") >= int(p["institution_threshold"])))
    place_hits = _out(places, key=pl.lit("institution:") + pl.col("institution_id").cast(pl.String),
                      records=_json(application=pl.col("application_id")),
                      detail=_json(who=pl.lit("所服务参保人"), count=pl.col("__n"), window_months=pl.lit(window),
                                   threshold=pl.lit(int(p["institution_threshold"]))),
                      day=pl.col("submitted_on"), person=None)
    return pl.concat([person_hits, place_hits])
