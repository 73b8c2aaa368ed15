"""What the fund owes for a month: delivery records → parts of person-months → the policy engine.

Pure Polars over the frames `inputs.read` gives; no database and no web. A person's month is cut
into days; a day counts when a qualifying certificate, an enrolment and (where the region collects
contributions) a paid-up period cover it, before death or moving away, in a care mode (P1). Runs of
days with the same grade, mode and institution are the parts the engine settles; hospital days
inside a part are its suspended days (P3). Care counts only on days that count, from the
institution the person chose, by carers whose settlement is not suspended. A part with no care
recorded for its mode is paid nothing: benefits pay for care really given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from ltci.policy import batch, scalar
from ltci.policy.inputs import Care, Event, Person
from ltci.policy.money import yuan
from ltci.policy.policies import policy_carried_on
from ltci.policy.regions import PARAMS_DIR

INSTITUTIONAL = ("institution_care", "institution_medical")
VISITING = ("home_visit", "home_care")
FAMILY = ("family_care",)
COMBINED = ("home_combined",)
NO_RECORD_NEEDED = ("remote_cash",)  # cash for members living away: no care is recorded
COST_SHARE = "cost_share"
REASONS = {
    "no_care": "本段期间无{what}记录，不予支付",
    "no_bed_price": "机构服务协议未约定床日费用标准，暂不结算",
    "mode_closed": "本地区不提供该护理方式",
    "group_required": "该护理方式仅限特定人员",
}


@dataclass
class Frames:
    """The month's facts, as `inputs.read` returns them (dates as pl.Date, money as integer fen)."""

    certificates: pl.DataFrame  # person_id, grade, start, end
    enrolments: pl.DataFrame  # person_id, start, end (null: open)
    arrears: pl.DataFrame  # person_id: a billed period covering the month not fully paid
    choices: pl.DataFrame  # person_id, effective_from, seq, mode, institution_id
    ends: pl.DataFrame  # person_id, day (death or moving away; benefits end the day after)
    hospital: pl.DataFrame  # person_id, admitted, discharged (null: still in hospital)
    stays: pl.DataFrame  # person_id, institution_id, admitted, discharged
    visits: pl.DataFrame  # person_id, institution_id, carer_id, day, items_cost (fen), unpriced (items)
    suspensions: pl.DataFrame  # carer_id, start, end
    family: pl.DataFrame  # person_id, carer_id, day, trained (carer trained on that day)
    prices: pl.DataFrame  # institution_id (null: catalogue), code, price (fen)
    bed_prices: pl.DataFrame  # institution_id, bed_price (fen)
    groups: pl.DataFrame  # person_id, group, start, end


@dataclass
class Result:
    """Lines of the month (one per part and payee) and the parts paid nothing, with reasons."""

    lines: list[dict]
    unpaid: list[dict] = field(default_factory=list)
    days: int = 0  # person-days that count
    policy_version: str = ""
    carried_on: bool = False  # the month is after the region's last version ended


def _days(frame: pl.DataFrame, start: str, end: str, first: date, last: date, *keys: str) -> pl.DataFrame:
    """One row per key and day of [start, end] within the month (a null end runs to its end)."""
    return (frame.lazy()
            .with_columns(pl.max_horizontal(pl.col(start), pl.lit(first)).alias("__s"),
                          pl.min_horizontal(pl.col(end).fill_null(last), pl.lit(last)).alias("__e"))
            .filter(pl.col("__s") <= pl.col("__e"))
            .select(*keys, pl.date_ranges("__s", "__e").alias("day"))
            .explode("day").collect())


def counted_days(f: Frames, first: date, last: date) -> pl.DataFrame:
    """person_id, day, grade, mode, institution_id, suspended: the person-days that count."""
    certs = (_days(f.certificates, "start", "end", first, last, "person_id", "grade", "start")
             .sort("start", descending=True).unique(["person_id", "day"], keep="first").drop("start"))
    enrolled = _days(f.enrolments, "start", "end", first, last, "person_id").unique()
    days = certs.join(enrolled, on=["person_id", "day"], how="semi").join(f.arrears, on="person_id", how="anti")
    ends = f.ends.group_by("person_id").agg(pl.col("day").min().alias("__end"))
    days = (days.join(ends, on="person_id", how="left")
            .filter(pl.col("__end").is_null() | (pl.col("day") <= pl.col("__end"))).drop("__end"))
    choices = (f.choices.sort("person_id", "effective_from", "seq")
               .unique(["person_id", "effective_from"], keep="last").sort("effective_from"))
    days = (days.sort("day").join_asof(choices.drop("seq"), left_on="day", right_on="effective_from",
                                       by="person_id", strategy="backward", check_sortedness=False)
            .filter(pl.col("mode").is_not_null()).drop("effective_from"))
    # P3: suspended from the day after admission up to and including the day of discharge.
    hospital = f.hospital.with_columns((pl.col("admitted") + timedelta(days=1)).alias("__from"))
    suspended = _days(hospital, "__from", "discharged", first, last, "person_id").unique()
    return (days.join(suspended.with_columns(pl.lit(True).alias("suspended")), on=["person_id", "day"], how="left")
            .with_columns(pl.col("suspended").fill_null(False)).sort("person_id", "day"))


def parts(days: pl.DataFrame) -> pl.DataFrame:
    """Runs of consecutive counted days with one grade, mode and institution: a `part` id each."""
    same = ((pl.col("person_id") == pl.col("person_id").shift(1))
            & (pl.col("day") == pl.col("day").shift(1) + timedelta(days=1))
            & (pl.col("grade") == pl.col("grade").shift(1)) & (pl.col("mode") == pl.col("mode").shift(1))
            & (pl.col("institution_id").eq_missing(pl.col("institution_id").shift(1))))
    return days.with_columns((~same.fill_null(False)).cum_sum().cast(pl.Int64).alias("part"))


def _care(f: Frames, days: pl.DataFrame, first: date, last: date) -> pl.DataFrame:
    """Per part: bed_days, visits, items_cost (fen), unpriced items, family_days, carer_trained."""
    served = days.filter(~pl.col("suspended")).select("person_id", "day", "part", "institution_id")
    # Bed-days: the day of admission counts, the day of discharge does not (a same-day stay: one day).
    stays = f.stays.with_columns(
        pl.when(pl.col("discharged") > pl.col("admitted")).then(pl.col("discharged") - timedelta(days=1))
        .otherwise(pl.col("discharged")).alias("__to"))
    beds = (_days(stays, "admitted", "__to", first, last, "person_id", "institution_id").unique()
            .join(served, on=["person_id", "day", "institution_id"], how="inner")
            .group_by("part").agg(pl.len().alias("bed_days")))
    visits = f.visits.join(served, on=["person_id", "day", "institution_id"], how="inner")
    if f.suspensions.height:
        stopped = _days(f.suspensions, "start", "end", first, last, "carer_id").unique()
        visits = visits.join(stopped, on=["carer_id", "day"], how="anti")
    counted = visits.group_by("part").agg(pl.len().alias("visits"), pl.col("items_cost").sum(),
                                          pl.col("unpriced").sum())
    family = (f.family.join(served.drop("institution_id"), on=["person_id", "day"], how="inner")
              .group_by("part").agg(pl.len().alias("family_days"), pl.col("trained").all().alias("carer_trained")))
    out = days.select("part").unique()
    for frame in (beds, counted, family):
        out = out.join(frame, on="part", how="left")
    return out.with_columns(pl.col("bed_days", "visits", "items_cost", "unpriced", "family_days").fill_null(0),
                            pl.col("carer_trained").fill_null(False))


def price_visits(visits: pl.DataFrame, prices: pl.DataFrame) -> pl.DataFrame:
    """Visits with their items (list of codes) → the cost of the items (fen) and how many had no price:
    the institution's agreed price, else the catalogue's."""
    visits = visits.with_row_index("__visit")
    items = visits.select("__visit", "institution_id", pl.col("items").alias("code")).explode("code").filter(
        pl.col("code").is_not_null())
    agreed = prices.filter(pl.col("institution_id").is_not_null())
    listed = prices.filter(pl.col("institution_id").is_null()).select("code", pl.col("price").alias("__list"))
    items = (items.join(agreed, on=["institution_id", "code"], how="left").join(listed, on="code", how="left")
             .with_columns(pl.coalesce("price", "__list").alias("price")))
    cost = items.group_by("__visit").agg(pl.col("price").sum().alias("items_cost"),
                                         pl.col("price").is_null().sum().cast(pl.Int64).alias("unpriced"))
    return (visits.join(cost, on="__visit", how="left")
            .select("person_id", "institution_id", "carer_id", "day",
                    pl.col("items_cost").fill_null(0).cast(pl.Int64), pl.col("unpriced").fill_null(0).cast(pl.Int64)))


def _groups(f: Frames, heads: pl.DataFrame) -> pl.DataFrame:
    """part, groups: the person's groups on the part's first day."""
    joined = (heads.select("part", "person_id", "part_from").join(f.groups, on="person_id", how="inner")
              .filter((pl.col("start") <= pl.col("part_from"))
                      & (pl.col("end").is_null() | (pl.col("end") >= pl.col("part_from")))))
    return joined.group_by("part").agg(pl.col("group").unique().sort().alias("groups"))


def settle(f: Frames, region: str, month: date, params_dir: Path = PARAMS_DIR) -> Result:
    """The month's lines: each part through the batch engine, explained and checked by the scalar one;
    under the policy of `params_dir` (a draft's, to replay a settled month, books nothing)."""
    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    policy, carried = policy_carried_on(region, first, params_dir)  # after the last version ended: carried on (0007)
    modes = policy.params.section("benefit").sections("modes")
    days = parts(counted_days(f, first, last))
    result = Result(lines=[], days=days.height, policy_version=policy.version.code, carried_on=carried)
    if days.height == 0:
        return result
    heads = days.group_by("part").agg(
        pl.col("person_id").first(), pl.col("grade").first(), pl.col("mode").first(),
        pl.col("institution_id").first(), pl.col("day").min().alias("part_from"), pl.col("day").max().alias("part_to"),
        pl.col("suspended").sum().cast(pl.Int64).alias("suspended_days"))
    heads = heads.join(_care(f, days, first, last), on="part", how="left").join(
        f.bed_prices, on="institution_id", how="left").join(_groups(f, heads), on="part", how="left").with_columns(
        pl.col("groups").fill_null(pl.lit([], pl.List(pl.String))))
    heads, unpaid = _payable(heads, modes)
    result.unpaid = unpaid
    if heads.height == 0:
        return result
    question = heads.select(
        pl.col("part").alias("person_id"), "grade", "mode", "groups",
        pl.col("part_from").alias("care_from"), pl.col("part_to").alias("care_to"), "suspended_days",
        pl.when(pl.col("mode").is_in(INSTITUTIONAL)).then(pl.col("bed_days")).otherwise(None).alias("days"),
        pl.col("family_days"), pl.col("visits"), pl.col("carer_trained"),
        (pl.when(pl.col("mode").is_in(INSTITUTIONAL)).then(pl.col("bed_days") * pl.col("bed_price"))
         .otherwise(pl.col("items_cost")) / 100).alias("cost"),
        (pl.col("items_cost") / 100).alias("items_cost"),
    )
    amounts = batch.benefit_frame(question.lazy(), region, first, params_dir, split=True, carry_over=True).collect()
    heads = heads.join(amounts.rename({"person_id": "part"}), on="part", how="inner").sort("part")
    hospital = _hospital_by_person(f)
    for row in heads.iter_rows(named=True):
        result.lines += _lines(row, region, first, hospital.get(row["person_id"], ()), policy.version.code, params_dir)
    return result


def _payable(heads: pl.DataFrame, modes: dict) -> tuple[pl.DataFrame, list[dict]]:
    """The parts the engine is asked about, and those paid nothing with the reason why."""
    needed = (pl.when(pl.col("mode").is_in(INSTITUTIONAL)).then(pl.col("bed_days") > 0)
              .when(pl.col("mode").is_in(VISITING)).then(pl.col("visits") > 0)
              .when(pl.col("mode").is_in(FAMILY)).then(pl.col("family_days") > 0)
              .when(pl.col("mode").is_in(COMBINED)).then((pl.col("visits") + pl.col("family_days")) > 0)
              .otherwise(pl.lit(True)))
    cost_modes = [m for m, s in modes.items() if s.get("rule") == COST_SHARE and m in INSTITUTIONAL]
    required = {m: s.values("required_groups")[0] for m, s in modes.items() if "required_groups" in s}
    reason = (pl.when(~pl.col("mode").is_in(list(modes))).then(pl.lit("mode_closed"))
              .when(~needed).then(pl.lit("no_care"))
              .when(pl.col("mode").is_in(cost_modes) & pl.col("bed_price").is_null()).then(pl.lit("no_bed_price")))
    for mode, groups in required.items():
        reason = reason.when((pl.col("mode") == mode) & ~pl.col("groups").list.eval(
            pl.element().is_in(groups)).list.any()).then(pl.lit("group_required"))
    heads = heads.with_columns(reason.otherwise(None).alias("__why"))
    unpaid = [{"person_id": r["person_id"], "mode": r["mode"], "institution_id": r["institution_id"],
               "part_from": r["part_from"], "part_to": r["part_to"], "reason": _reason(r["__why"], r["mode"])}
              for r in heads.filter(pl.col("__why").is_not_null()).iter_rows(named=True)]
    return heads.filter(pl.col("__why").is_null()).drop("__why"), unpaid


def _reason(code: str, mode: str) -> str:
    what = ("入住床日" if mode in INSTITUTIONAL else "上门服务" if mode in VISITING
            else "亲情照护" if mode in FAMILY else "照护服务")
    return REASONS[code].format(what=what)


def _hospital_by_person(f: Frames) -> dict[int, list[tuple[date, date | None]]]:
    out: dict[int, list[tuple[date, date | None]]] = {}
    for r in f.hospital.iter_rows(named=True):
        out.setdefault(r["person_id"], []).append((r["admitted"], r["discharged"]))
    return out


def _lines(row: dict, region: str, first: date, stays, version: str, params_dir: Path = PARAMS_DIR) -> list[dict]:
    """A part's lines by payee, each with the scalar engine's explanation; the two engines must agree."""
    end = row["part_to"]
    # Stays whose suspension (the day after admission to the day of discharge) touches the part.
    events = tuple(Event("hospital", a, min(d or end, end)) for a, d in stays
                   if a < end and (d is None or d >= row["part_from"]))
    institutional = row["mode"] in INSTITUTIONAL
    cost = row["bed_days"] * row["bed_price"] if institutional and row["bed_price"] is not None else row["items_cost"]
    care = Care(mode=row["mode"], start=row["part_from"], end=end,
                days=row["bed_days"] if institutional else None, cost=cost, items_cost=row["items_cost"],
                visits=row["visits"], family_days=row["family_days"], carer_trained=row["carer_trained"],
                events=events)
    answer = scalar.benefit(region, first, Person(grade=row["grade"], groups=tuple(row["groups"] or ())), care,
                            params_dir, carry_over=True)
    units = {"bed_days": row["bed_days"], "visits": row["visits"], "family_days": row["family_days"],
             "suspended_days": row["suspended_days"], "unpriced_items": row["unpriced"]}
    lines = []
    for payee in batch.PAYEES:
        fund, personal = row[f"fund_{payee}"], row[f"personal_{payee}"]
        parts = [ln for ln in answer.lines if ln.payee == payee]
        if not parts:
            continue
        if (sum(ln.fund_fen for ln in parts), sum(ln.personal_fen for ln in parts)) != (
                round(fund * 100), round(personal * 100)):
            raise AssertionError(f"the scalar and batch engines disagree on part {row['part']}: "
                                 f"{[(ln.fund_fen, ln.personal_fen) for ln in parts]} against {fund}, {personal}")
        lines.append({
            "person_id": row["person_id"], "payee": payee,
            "institution_id": row["institution_id"] if payee == "institution" else None,
            "mode": row["mode"], "grade": row["grade"], "part_from": row["part_from"], "part_to": end,
            "eligible_days": answer.eligible_days, "units": units,
            "cost": fund + personal, "fund": fund, "personal": personal, "policy_version": version,
            "explanation": [{"what": ln.what, "clause": ln.clause, "fund": str(yuan(ln.fund_fen)),
                             "personal": str(yuan(ln.personal_fen))} for ln in parts],
        })
    return lines
