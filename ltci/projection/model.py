"""The projection: the register aggregated into cells, moved year by year, priced by the policy engine.

Everything heavy is a Polars frame of cells × runs (one Float64 column per run): deaths, exits, ageing
(a fixed map from each cell to the cell it becomes a year later, retirement included) and entrants are
column expressions or one group-by a year; contributions are the policy engine's own rules
(`ltci.policy.batch.contribution_frame`, through an engine: Polars here, or Spark) on one synthetic row per cell a year, and benefits the
engine's benefit rules on one representative month per mode and grade a year (decision record 0028).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl

from ltci.policy.engine import POLARS
from ltci.policy.inputs import INT_BOUNDS
from ltci.policy.policies import policy_on
from ltci.policy.regions import PARAMS_DIR
from ltci.policy.results import PAYERS
from ltci.policy.rules import contribution_of
from ltci.policy.rules.eligibility import qualifying_grades

from .assumptions import Assumptions
from .rng import normals

AMAX = 105  # the last age of the grid, an open group
WORKING = ("in_service", "flexible", "unemployed")
KEY = ["scheme", "category", "sex", "groups"]
BAND10 = [0, 20, 40, 60, 70, 80, 90]
QUANTILES = {"p5": 0.05, "p50": 0.5, "p95": 0.95}
OBSERVATION_YEARS = 3
PRICE_GRID = 9


@dataclass
class Inputs:
    """What the projection reads from a region (ltci.fund.projection_inputs builds it from the database).

    register: scheme, category (null where none), sex (M/F), age, groups (list of str), base and pension
      (monthly, integer fen, null where not collected).
    certificates: person_id, grade, qualifies, age (at valid_from), valid_from, valid_to (the day it
      ended: ended_on, else valid_until).
    deaths: person_id, died_on.
    settled: person_id, service_month, mode, grade, fund, cost (integer fen), days, visits, family_days.
    """
    region: str
    on: date
    register: pl.DataFrame
    certificates: pl.DataFrame
    deaths: pl.DataFrame
    settled: pl.DataFrame
    balance: Decimal
    contributions_last_year: Decimal | None = None
    agency_fees_last_year: Decimal | None = None
    entries_last_year: int | None = None
    exits_last_year: int | None = None
    warning_months: Decimal = Decimal("6")
    warning_basis: str = "平台默认值"


@dataclass
class Result:
    region: str
    on: date
    runs: int
    seed: int
    years: list[dict]
    warning_months: float
    warning_basis: str
    first_below: dict
    assumptions: list[dict]
    notes: list[str] = field(default_factory=list)
    base_year: dict = field(default_factory=dict)
    explain: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"region": self.region, "on": self.on.isoformat(), "runs": self.runs, "seed": self.seed,
                "warning_months": self.warning_months, "warning_basis": self.warning_basis,
                "first_below": self.first_below, "base_year": self.base_year, "years": self.years,
                "assumptions": self.assumptions, "notes": self.notes, "explain": self.explain}


# --- helpers ------------------------------------------------------------------------------------

def _band(series: pl.Series) -> dict:
    return {k: float(series.quantile(q, "linear") or 0.0) for k, q in QUANTILES.items()}


def _rates(values) -> list[float]:
    return [float(v) for v in values]


def _mortality(a: Assumptions) -> dict[str, list[float]]:
    """q(x) for ages 0..AMAX by sex, log-linear between the table's ages."""
    table = a["mortality"]
    ages = table["ages"]
    out = {}
    for sex, key in (("M", "male"), ("F", "female")):
        qs = _rates(table[key])
        row = []
        for x in range(AMAX + 1):
            if x >= ages[-1]:
                row.append(qs[-1])
                continue
            i = max(j for j, age in enumerate(ages) if age <= x)
            x0, x1, q0, q1 = ages[i], ages[i + 1], qs[i], qs[i + 1]
            row.append(math.exp(math.log(q0) + (math.log(q1) - math.log(q0)) * (x - x0) / (x1 - x0)))
        out[sex] = row
    return out


def _band_of(age: pl.Expr, bands: list[int]) -> pl.Expr:
    out = (age * 0).cast(pl.Int32)  # a column, not a literal, even with one band
    for i, lower in enumerate(bands[1:], start=1):
        out = pl.when(age >= lower).then(pl.lit(i, pl.Int32)).otherwise(out)
    return out


def _groups_key(col: pl.Expr, dtype) -> pl.Expr:
    if dtype == pl.String:
        return col.fill_null("")
    return col.cast(pl.List(pl.String)).fill_null([]).list.sort().list.join(";")


# --- cells --------------------------------------------------------------------------------------

def cells(register: pl.DataFrame) -> pl.DataFrame:
    """The register as cells of scheme × category × sex × groups × age: count, mean base and pension (fen)."""
    schema = register.schema
    frame = register.lazy().with_columns(
        pl.col("category").fill_null(""), _groups_key(pl.col("groups"), schema["groups"]).alias("groups"),
        pl.col("age").clip(0, AMAX).cast(pl.Int64))
    # A `count` column weights a row (a register already aggregated); else each row is one person.
    w = pl.col("count").cast(pl.Float64) if "count" in schema else pl.lit(1.0)
    def mean(c: str) -> pl.Expr:
        weight = w.filter(pl.col(c).is_not_null()).sum()
        return pl.when(weight > 0).then((pl.col(c) * w).sum() / weight).alias(c)
    return frame.with_columns(w.alias("__w")).group_by(*KEY, "age").agg(
        pl.col("__w").sum().alias("count"), mean("base"), mean("pension"),
    ).sort(*KEY, "age").collect()


def _grid(register_cells: pl.DataFrame, a: Assumptions, mortality, retire: dict, fine: list[int]) -> pl.DataFrame:
    """Every key of the register (and the retired key every working employee key becomes) × ages 0..AMAX,
    with q, the base and pension profiles, the entrants' distribution and the cell a year later."""
    keys = register_cells.select(KEY).unique()
    retired = keys.filter((pl.col("scheme") == "employee") & pl.col("category").is_in(WORKING)).with_columns(
        category=pl.lit("retired"))
    keys = pl.concat([keys, retired]).unique().sort(KEY)
    ages = pl.DataFrame({"age": pl.int_range(0, AMAX + 1, eager=True).cast(pl.Int64)})
    grid = keys.join(ages, how="cross").join(register_cells, on=[*KEY, "age"], how="left").with_columns(
        pl.col("count").fill_null(0).cast(pl.Float64))
    # Bases: the cell's mean, else the key's, else the scheme and category's (a static age profile).
    for col in ("base", "pension"):
        grid = grid.with_columns(pl.coalesce(
            pl.col(col), pl.col(col).mean().over(KEY), pl.col(col).mean().over("scheme", "category"),
            pl.col(col).mean(), pl.lit(0.0)).round(0).cast(pl.Int64).alias(col))
    # Cells ordered so that each (scheme, category, sex, age band) is one contiguous segment: sums over
    # them are differences of one cumulative sum (see `segment_sums`).
    grid = grid.with_columns(_band_of(pl.col("age"), fine).alias("fine")).sort("scheme", "category", "sex", "fine", "groups", "age")
    grid = grid.with_row_index("idx").with_columns(pl.col("idx").cast(pl.Int64))
    q = pl.when(pl.col("sex") == "M").then(pl.col("age").map_elements(lambda x: mortality["M"][x], pl.Float64)) \
        .otherwise(pl.col("age").map_elements(lambda x: mortality["F"][x], pl.Float64))
    max_entry = int(a["entry_max_age"])
    young = pl.when(pl.col("age") <= max_entry).then(pl.col("count")).otherwise(0.0)
    grid = grid.with_columns(q.alias("q"), (young / young.sum()).fill_nan(0.0).alias("dist"))
    # The cell a year later: one year older (the last age is open); a working employee reaching the
    # retirement age of their sex becomes retired.
    nxt = grid.select(*KEY, "age", "idx").rename({"idx": "next_idx", "age": "next_age", "category": "next_category"})
    older = pl.min_horizontal(pl.col("age") + 1, pl.lit(AMAX))
    retire_age = pl.when(pl.col("sex") == "M").then(retire["M"]).otherwise(retire["F"])
    retiring = (pl.col("scheme") == "employee") & pl.col("category").is_in(WORKING) & (older == retire_age)
    grid = grid.with_columns(older.alias("next_age"),
                             pl.when(retiring).then(pl.lit("retired")).otherwise(pl.col("category")).alias("next_category"))
    grid = grid.join(nxt, left_on=["scheme", "next_category", "sex", "groups", "next_age"],
                     right_on=["scheme", "next_category", "sex", "groups", "next_age"], how="left").sort("idx")
    return grid


# --- the policy engine on cells -----------------------------------------------------------------

def _yuan(fen: pl.Expr) -> pl.Expr:
    return (fen.cast(pl.Decimal(16, 0)) * pl.lit(Decimal("0.01"), pl.Decimal(3, 2))).cast(pl.Decimal(14, 2))


def cell_contributions(grid: pl.DataFrame, region: str, on: date, params_dir: Path, base_index: float = 1.0,
                       pension_index: float = 1.0, engine=POLARS) -> tuple[pl.DataFrame, int]:
    """Each cell's yearly contribution per person by payer (yuan, float), by the engine's rules, and the
    collections a year (12 where the region collects monthly)."""
    policy = policy_on(region, on, params_dir, carry_over=True)
    section, _ = contribution_of(policy)
    per_year = 12 if section.text("period") == "month" else 1
    rows = grid.select(
        pl.col("idx").alias("person_id"), "scheme", pl.when(pl.col("category") == "").then(None)
        .otherwise(pl.col("category")).alias("category"),
        pl.col("groups").str.split(";").list.eval(pl.element().filter(pl.element() != "")).alias("groups"),
        "age", _yuan((pl.col("base") * base_index).round(0)).alias("base"),
        _yuan((pl.col("pension") * pension_index).round(0)).alias("pension"))
    out = engine.contribution(rows.lazy(), region, on, params_dir, carry_over=True)
    out = rows.select("person_id").join(out, on="person_id", how="left", maintain_order="left")  # cell order, whatever the engine's
    return out.select([pl.col(p).cast(pl.Float64) * per_year for p in PAYERS]), per_year


def insured_schemes(region: str, on: date, params_dir: Path) -> list[str]:
    policy = policy_on(region, on, params_dir, carry_over=True)
    schemes, _ = policy.params.section("eligibility").values("schemes")
    return list(schemes)


def _benefit_rows(profile: pl.DataFrame, month: date, multipliers: list[float]) -> pl.DataFrame:
    """One representative person-month per mode, grade and price multiplier."""
    frames = []
    for k, m in enumerate(multipliers):
        frames.append(profile.with_columns(
            (pl.col("row") * len(multipliers) + k).alias("person_id"), pl.lit(k).alias("k"),
            _yuan((pl.col("cost") * m).round(0)).alias("cost"), _yuan((pl.col("cost") * m).round(0)).alias("items_cost"),
            pl.lit(True).alias("carer_trained")))
    return pl.concat(frames)


def engine_month(profile: pl.DataFrame, region: str, month: date, params_dir: Path,
                 multipliers: list[float], engine=POLARS) -> pl.DataFrame:
    """The engine's fund payment of each representative month (mode, grade, k) in yuan."""
    # A representative month is of June (30 days): its day counts within it, visits within their bound.
    rows = _benefit_rows(profile, month, multipliers).with_columns(
        pl.col("days").clip(0, 30), pl.col("family_days").clip(0, 30), pl.col("visits").clip(0, INT_BOUNDS["visits"]))
    policy = policy_on(region, month, params_dir, carry_over=True)
    modes = set(policy.params.section("benefit").sections("modes"))
    grades, _ = qualifying_grades(policy.params.section("eligibility"))
    rows = rows.filter(pl.col("mode").is_in(list(modes)) & pl.col("grade").is_in(list(grades)))
    # A mode only for some groups (Xuzhou's remote cash for 驻外人员): its representative month is of one.
    sections = policy.params.section("benefit").sections("modes")
    required = {m: list(sec.values("required_groups")[0])[:1] if "required_groups" in sec else [] for m, sec in sections.items()}
    rows = rows.with_columns(pl.col("mode").replace_strict(required, return_dtype=pl.List(pl.String)).alias("groups"))
    cols = ["person_id", "mode", "grade", "groups", "days", "visits", "family_days", "cost", "items_cost", "carer_trained"]
    out = engine.benefit(rows.select(cols).lazy(), region, month, params_dir, carry_over=True)
    return rows.select("person_id", "mode", "grade", "k").join(
        out.select("person_id", pl.col("fund").cast(pl.Float64)), on="person_id")


# --- estimators ---------------------------------------------------------------------------------

def _years_between(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return (b - a).dt.total_days().cast(pl.Float64) / 365.25


def estimate(inputs: Inputs, a: Assumptions, grades: list[str], insured: float, bands: list[int],
             band_pop: list[float]) -> dict:
    """Replace assumptions by the region's own figures where it has enough; returns the base-year facts."""
    on = inputs.on
    facts: dict = {}
    if inputs.entries_last_year is not None and inputs.entries_last_year >= 50 and insured:
        a.estimate("entry_rate", inputs.entries_last_year / insured,
                   f"本地区登记数据估计：近12个月新参保 {inputs.entries_last_year} 人 ÷ 参保人数 {insured:,.0f}")
    if inputs.exits_last_year is not None and inputs.exits_last_year >= 50 and insured:
        a.estimate("exit_rate", inputs.exits_last_year / insured,
                   f"本地区登记数据估计：近12个月迁出或退出医保 {inputs.exits_last_year} 人 ÷ 参保人数 {insured:,.0f}")

    certs = inputs.certificates.filter(pl.col("qualifies") & pl.col("grade").is_in(grades))
    dead = inputs.deaths
    start = date(on.year - OBSERVATION_YEARS, on.month, min(on.day, 28))
    # Beneficiaries today: a qualifying certificate in force on `on`, not dead; the latest per person.
    current = certs.filter((pl.col("valid_from") <= on) & (pl.col("valid_to") >= on)) \
        .join(dead, on="person_id", how="anti").sort("valid_from").group_by("person_id").last()
    facts["beneficiaries"] = {g: int(current.filter(pl.col("grade") == g).height) for g in grades}

    # Incidence: first qualifying certificates in the window, against the national table's expectation.
    first = certs.sort("valid_from").group_by("person_id").first()
    new = first.filter((pl.col("valid_from") > start) & (pl.col("valid_from") <= on))
    table = a["incidence"]
    expected = {g: OBSERVATION_YEARS * sum(float(r) * p for r, p in zip(table[g], band_pop)) for g in grades if g in table}
    threshold = int(a["incidence_threshold"])
    facts["new_cases"] = new.height
    if new.height >= threshold:
        scaled = dict(table)
        for g in grades:
            observed = new.filter(pl.col("grade") == g).height
            ratio = observed / expected[g] if expected.get(g) else 1.0
            scaled[g] = [str(float(r) * ratio) for r in table[g]]
        a.estimate("incidence", scaled, f"本地区评估数据估计：近{OBSERVATION_YEARS}年首次达到待遇等级 {new.height} 人"
                   f"（≥ {threshold}），各等级按实际数 ÷ 全国表期望数间接标准化")

    # Exits from benefit: spells from the first qualifying certificate to death or the last one's end.
    last_end = certs.group_by("person_id").agg(pl.col("valid_to").max().alias("last_end"))
    spells = first.select("person_id", pl.col("valid_from").alias("from")).join(last_end, on="person_id") \
        .join(dead, on="person_id", how="left").with_columns(
            pl.min_horizontal(pl.col("died_on"), pl.col("last_end")).alias("to"))
    ended = spells.filter(pl.col("to") < on)
    exits = ended.filter(pl.col("to") > start).height
    exposure = spells.select(_years_between(pl.max_horizontal(pl.col("from"), pl.lit(start)),
                                            pl.min_horizontal(pl.col("to"), pl.lit(on))).clip(0, None).sum()).item() or 0.0
    facts["benefit_exits"], facts["benefit_years"] = exits, exposure
    if exits >= 50 and exposure > 0:
        a.estimate("benefit_exit_rate", exits / exposure,
                   f"本地区证书、死亡记录估计：近{OBSERVATION_YEARS}年退出待遇 {exits} 人 ÷ 享受待遇 {exposure:,.1f} 人年")

    # Agency fees.
    contributions = inputs.contributions_last_year
    if inputs.agency_fees_last_year and contributions:
        a.estimate("agency_fee_share", float(inputs.agency_fees_last_year / contributions),
                   f"基金账簿估计：近12个月经办服务费 {inputs.agency_fees_last_year:,.2f} 元 ÷ 缴费收入 {contributions:,.2f} 元")
    return facts


def settled_profile(inputs: Inputs, a: Assumptions, grades: list[str], modes: list[str]) -> tuple[pl.DataFrame, dict]:
    """From the settled months of the last 12 months: per grade and mode, the share of beneficiary-months
    and the mean month's units and cost (fen), and the observed fund per beneficiary-month."""
    settled = inputs.settled
    if settled.height:
        last = settled["service_month"].max()
        first = date(last.year - 1, last.month, 1) if last.month == 12 else date(last.year - 1, last.month + 1, 1)
        settled = settled.filter((pl.col("service_month") >= first) & (pl.col("service_month") <= last)
                                 & pl.col("grade").is_in(grades) & pl.col("mode").is_in(modes))
    if not settled.height:
        cost = int((Decimal(str(a["default_monthly_cost"])) * 100).to_integral_value(ROUND_HALF_UP))  # fen
        rows = [{"mode": m, "grade": g, "share": 1 / len(modes), "months": 0, "days": 30, "visits": 12,
                 "family_days": 30, "cost": cost, "observed": None} for g in grades for m in modes]
        return pl.DataFrame(rows), {"months": 0, "fund_fen": 0, "beneficiary_months": 0}
    # One beneficiary-month per person and month in a mode (a month split between modes counts in each, P1).
    months = settled.group_by("person_id", "service_month", "mode", "grade").agg(
        pl.col("fund").sum(), pl.col("cost").sum(), pl.col("days").sum(), pl.col("visits").sum(),
        pl.col("family_days").sum())
    by = months.group_by("grade", "mode").agg(
        pl.len().alias("months"), pl.col("fund").mean().alias("observed"), pl.col("cost").mean().alias("cost"),
        pl.col("days").mean().round(0).cast(pl.Int64).alias("days"), pl.col("visits").mean().round(0).cast(pl.Int64).alias("visits"),
        pl.col("family_days").mean().round(0).cast(pl.Int64).alias("family_days"))
    pooled = months.group_by("mode").agg(
        pl.len().alias("months"), pl.col("fund").mean().alias("observed"), pl.col("cost").mean().alias("cost"),
        pl.col("days").mean().round(0).cast(pl.Int64).alias("days"), pl.col("visits").mean().round(0).cast(pl.Int64).alias("visits"),
        pl.col("family_days").mean().round(0).cast(pl.Int64).alias("family_days"))
    rows = []
    for g in grades:
        own = by.filter(pl.col("grade") == g)
        use = own if own.height else pooled  # a grade never settled: the modes' pooled months
        total = use["months"].sum()
        for r in use.iter_rows(named=True):
            rows.append({**r, "grade": g, "share": r["months"] / total})
    facts = {"months": int(months.height), "fund_fen": int(settled["fund"].sum()),
             "beneficiary_months": int(months.select("person_id", "service_month").unique().height),
             "service_months": int(settled["service_month"].n_unique())}
    return pl.DataFrame(rows).select("mode", "grade", "share", "months", "days", "visits", "family_days", "cost",
                                     "observed"), facts


# --- the projection -----------------------------------------------------------------------------

class Streams:
    """Standard normal draws, `runs` per stream, all made at once; zeros for a central (single) run."""

    def __init__(self, runs: int, seed: int, count: int, stochastic: bool):
        self.runs = runs
        self.values = normals(runs * count, seed, 0) if stochastic else None

    def get(self, stream: int) -> pl.Series:
        if self.values is None:
            return pl.Series([0.0] * self.runs)
        return self.values.slice(stream * self.runs, self.runs)


def project(inputs: Inputs, a: Assumptions, *, years: int = 10, runs: int = 1, seed: int = 2026,
            params_dir: Path = PARAMS_DIR, base_params_dir: Path = PARAMS_DIR, engine=POLARS) -> Result:
    """Project `years` years from `inputs.on` under the policy of `params_dir` (a draft's, or the current
    one), `runs` runs (1: the central path, no randomness). `base_params_dir` prices the last settled year
    (always the current policy): the calibration of the engine's representative months to what was paid.
    `engine` answers the policy engine's questions (`ltci.policy.engine`: Polars, or Spark)."""
    region, on = inputs.region, inputs.on
    stochastic = runs > 1
    notes: list[str] = []
    schemes = insured_schemes(region, on, params_dir)
    register = inputs.register.filter(pl.col("scheme").is_in(schemes))
    if register.height < inputs.register.height:
        notes.append(f"登记簿中 {inputs.register.height - register.height} 人的险种不在本地区长护险覆盖范围（{', '.join(schemes)}），不计入。")
    mortality = _mortality(a)
    retire = {k: int(v) for k, v in a["retirement_age"].items()}
    bands = [int(b) for b in a["incidence"]["bands"]]
    fine = sorted(set(BAND10) | set(bands))
    grid = _grid(cells(register), a, mortality, retire, fine)
    n_cells = grid.height
    runs_cols = [f"r{i}" for i in range(runs)]
    pop = pl.DataFrame({c: grid["count"] for c in runs_cols})
    insured0 = float(grid["count"].sum())

    policy = policy_on(region, on, params_dir, carry_over=True)
    grades, _ = qualifying_grades(policy.params.section("eligibility"))
    modes = list(policy.params.section("benefit").sections("modes"))
    base_policy = policy_on(region, on, base_params_dir, carry_over=True)
    base_modes = list(base_policy.params.section("benefit").sections("modes"))
    table = a["incidence"]
    grid = grid.with_columns(_band_of(pl.col("age"), bands).alias("inc_band"),
                             _band_of(pl.col("age"), BAND10).alias("band10"))
    band_pop = [float(grid.filter(pl.col("inc_band") == i)["count"].sum()) for i in range(len(bands))]
    facts = estimate(inputs, a, grades, insured0, bands, band_pop)
    table = a["incidence"]
    missing = [g for g in grades if g not in table]
    if missing:
        notes.append(f"假设文件中无等级 {', '.join(missing)} 的发生率，按零计。")

    # Contributions: "none" (a district whose contributions the municipal scheme collects) → the ledger's.
    section, rule = contribution_of(policy)
    by_ledger = rule.__name__ == "none"
    if by_ledger:
        per_head = ((Decimal(inputs.contributions_last_year or 0) / Decimal(repr(insured0))).quantize(Decimal("0.01"), ROUND_HALF_UP)
                    if insured0 else Decimal("0.00"))
        notes.append(f"{policy.region.name}的缴费不由本地区按人计征（{section.text('message')}）：缴费收入按账簿近12个月"
                     f"人均 {per_head:,.2f} 元、随缴费基数增长推算，计入财政补助栏。")
    collects_by_rate = rule.__name__ == "rate"

    # Benefits: representative months from the settled ones, calibrated to what was paid.
    profile, settled_facts = settled_profile(inputs, a, grades, base_modes)
    profile = profile.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    month0 = date(on.year, 6, 1)
    base_fund = engine_month(profile, region, month0, base_params_dir, [1.0], engine).select("mode", "grade", pl.col("fund").alias("engine0"))
    profile = profile.join(base_fund, on=["mode", "grade"], how="left").with_columns(
        pl.when((pl.col("observed").is_not_null()) & (pl.col("engine0") > 0))
        .then(pl.col("observed") / 100 / pl.col("engine0")).otherwise(1.0).alias("ratio"))
    dropped = [m for m in base_modes if m not in modes]
    if dropped:
        notes.append(f"草案取消了护理方式 {', '.join(dropped)}：其份额按比例分给其余方式。")
    beneficiaries0 = facts["beneficiaries"]
    s0 = sum(beneficiaries0.values())
    if settled_facts["beneficiary_months"] and s0:
        # Over the months settled so far (fewer than 12 where settlement began lately).
        n_months = settled_facts["service_months"]
        take_up = min(1.0, settled_facts["beneficiary_months"] / (n_months * s0))
        a.estimate("take_up", take_up, f"结算数据估计：近12个月中已结算的 {n_months} 个月共 {settled_facts['beneficiary_months']} 人月 ÷ "
                   f"（当前待遇人员 {s0} 人 × {n_months}）")
    take_up = a.number("take_up")

    # Run-level draws: every normal variate of the projection in one vectorised call.
    G = len(grades)
    streams = Streams(runs, seed, 10 + 2 * years + 2 * years * G, stochastic)
    sd = {k: a.number(f"uncertainty.{k}") for k in ("mortality", "incidence", "benefit_exit", "entry", "base_growth", "price_growth")}
    m_r = (streams.get(1) * sd["mortality"]).exp()
    i_r = (streams.get(2) * sd["incidence"]).exp()
    h_r = (streams.get(3) * sd["benefit_exit"]).exp()
    e_r = (streams.get(4) * sd["entry"]).exp()
    entry, exit_ = a.number("entry_rate"), a.number("exit_rate")
    base_g, pension_g, price_g = a.number("base_growth"), a.number("pension_growth"), a.number("price_growth")
    h = a.number("benefit_exit_rate")
    agency = a.number("agency_fee_share")
    interest = a.number("interest_rate")
    warning = float(inputs.warning_months)

    # The population in long layout, run-major: element r·C + c is cell c in run r.
    R, C = runs, n_cells
    long_idx = pl.int_range(0, C * R, dtype=pl.Int64, eager=True)
    cell_of, run_of = long_idx % C, long_idx // C
    del long_idx
    survival = (1.0 - (grid["q"].gather(cell_of) * m_r.gather(run_of)).clip(0, 1) - exit_ * e_r.gather(run_of)).clip(0, None)
    dist_long = grid["dist"].gather(cell_of)
    # Ageing as gathers: each cell a year later is the sum of at most `width` cells of the year before
    # (one younger; the open last age also itself; a retired age also the working who retire into it).
    sources = grid.select(pl.col("idx").alias("src"), pl.col("next_idx").alias("dst")).group_by("dst") \
        .agg(pl.col("src")).sort("dst")
    width = int(sources["src"].list.len().max() or 0)
    gathers = []
    for k in range(width):
        src = grid.select(pl.col("idx").alias("dst")).join(
            sources.select("dst", pl.col("src").list.get(k, null_on_oob=True).alias("s")), on="dst", how="left")["s"]
        # A missing source reads the sentinel: one 0 appended after the last run.
        gathers.append(pl.select(pl.when(src.gather(cell_of).is_null()).then(C * R)
                                 .otherwise(run_of * C + src.gather(cell_of))).to_series())
    pop = grid["count"].gather(cell_of)
    # Segments: (scheme, category, sex, fine band), contiguous in the cell order.
    segments = grid.with_columns(pl.struct("scheme", "category", "sex", "fine").rle_id().alias("seg")) \
        .group_by("seg", maintain_order=True).agg(pl.col("scheme", "category", "sex", "fine").first(),
                                                  pl.col("idx").min().alias("start"), pl.col("idx").max().alias("end"))
    n_seg = segments.height
    lower = pl.col("fine").replace_strict(dict(enumerate(fine)), return_dtype=pl.Int64)
    seg_band = segments.select(_band_of(lower, bands).alias("b"))["b"]
    seg_band10 = segments.select(_band_of(lower, BAND10).alias("b"))["b"]
    runs_rep = pl.int_range(0, R, dtype=pl.Int64, eager=True).gather(
        pl.int_range(0, R * n_seg, dtype=pl.Int64, eager=True) // n_seg)
    seg_rep = pl.int_range(0, R * n_seg, dtype=pl.Int64, eager=True) % n_seg
    seg_lo = runs_rep * C + segments["start"].gather(seg_rep)
    seg_hi = runs_rep * C + segments["end"].gather(seg_rep) + 1
    seg_frame = pl.DataFrame({"run": runs_rep, "seg": seg_rep, "band": seg_band.gather(seg_rep),
                              "band10": seg_band10.gather(seg_rep)})
    zero = pl.Series([0.0] * R)

    def segment_sums(values: pl.Series) -> pl.Series:
        """Sum of `values` over each (run, segment), run-major: one cumulative sum and two gathers."""
        cs = pl.concat([pl.Series([0.0]), values.cum_sum()])
        return cs.gather(seg_hi) - cs.gather(seg_lo)

    def per_run(seg: pl.Series) -> pl.Series:
        return seg.reshape((R, n_seg)).arr.sum()

    S = {g: pl.Series([float(beneficiaries0.get(g, 0))] * runs) for g in grades}
    balance = pl.Series([float(inputs.balance)] * runs)
    first_below = pl.Series([None] * runs, dtype=pl.Int64)
    base_idx_r = pl.Series([1.0] * runs)
    price_idx_r = pl.Series([1.0] * runs)
    out_years = []

    for t in range(1, years + 1):
        year = on.year + t
        # Population: deaths and exits during the year, then a year older, then entrants.
        total_prev = per_run(segment_sums(pop))
        surv = pl.concat([pop * survival, pl.Series([0.0])])
        aged = surv.gather(gathers[0])
        for gather in gathers[1:]:
            aged = aged + surv.gather(gather)
        pop = aged + dist_long * (total_prev * e_r * entry).gather(run_of)
        del surv, aged
        seg_pop = segment_sums(pop)

        # Contributions: the engine's rules on one row per cell at the central indices; a run's bases
        # differ from the central by its own growth (rate regions only).
        base_idx_r = base_idx_r * (streams.get(10 + t) * sd["base_growth"] + 1.0 + base_g)
        price_idx_r = price_idx_r * (streams.get(10 + years + t) * sd["price_growth"] + 1.0 + price_g)
        base_c, pension_c, price_c = (1 + base_g) ** t, (1 + pension_g) ** t, (1 + price_g) ** t
        totals = per_run(seg_pop)
        contrib = {p: zero for p in PAYERS}
        if by_ledger:
            per_head = (float(inputs.contributions_last_year or 0) / insured0) if insured0 else 0.0
            contrib["fiscal"] = totals * per_head * base_idx_r
        else:
            per_cell, _ = cell_contributions(grid, region, date(year, 1, 1), params_dir, base_c, pension_c, engine)
            scale = (base_idx_r / base_c) if collects_by_rate else pl.Series([1.0] * runs)
            contrib = {p: per_run(segment_sums(pop * per_cell[p].gather(cell_of))) * scale
                       for p in PAYERS}
        contributions = sum(contrib.values(), zero)

        # New disability and beneficiaries by grade.
        band_runs = seg_frame.with_columns(seg_pop.alias("v")).group_by("band", "run").agg(pl.col("v").sum()).sort("band", "run")
        new, S_avg = {}, {}
        for gi, g in enumerate(grades):
            lam = zero
            if g in table:
                for band in range(len(bands)):
                    rate = float(table[g][band])
                    values = band_runs.filter(pl.col("band") == band)["v"]
                    if values.len() == runs and rate:
                        lam = lam + values * rate
            lam = lam * i_r
            leave = S[g] * (1.0 - (-h * h_r).exp())
            if stochastic:
                z1 = streams.get(10 + 2 * years + (t - 1) * G + gi)
                z2 = streams.get(10 + 2 * years + years * G + (t - 1) * G + gi)
                lam = (lam + lam.sqrt() * z1).round(0).clip(0, None)
                leave = (leave + (leave * (-h * h_r).exp()).sqrt() * z2).round(0).clip(0, None)
                leave = pl.select(pl.min_horizontal(leave, S[g])).to_series()
            new[g] = lam
            s_next = S[g] - leave + lam
            S_avg[g] = (S[g] + s_next) / 2
            S[g] = s_next

        # Benefits by mode: the engine on representative months at a grid of price levels; each run
        # interpolated at its own price level.
        lo, hi = float(price_idx_r.min()), float(price_idx_r.max())
        levels = [price_c] if not stochastic or hi <= lo else [lo + (hi - lo) * k / (PRICE_GRID - 1) for k in range(PRICE_GRID)]
        priced = engine_month(profile.drop("engine0", "ratio"), region, date(year, 6, 1), params_dir, levels, engine)
        priced = priced.join(profile.select("mode", "grade", "share", "ratio"), on=["mode", "grade"])
        kept = priced.group_by("grade", "k").agg(pl.col("share").sum().alias("kept"))
        priced = priced.join(kept, on=["grade", "k"]).with_columns(
            (pl.col("fund") * pl.col("ratio") * pl.col("share") / pl.col("kept")).alias("month"))
        benefits = {m: zero for m in modes}
        for m in modes:
            for g in grades:
                rows = priced.filter((pl.col("mode") == m) & (pl.col("grade") == g)).sort("k")
                if not rows.height:
                    continue
                per_month = _interp(price_idx_r, levels, rows["month"].to_list())
                benefits[m] = benefits[m] + S_avg[g] * 12 * take_up * per_month
        spending = sum(benefits.values(), zero)
        fees = contributions * agency
        balance = balance * (1 + interest) + contributions - spending - fees
        cover = pl.select(pl.when(spending > 0).then(balance / (spending / 12))).to_series()
        below = cover.is_not_null() & (cover < warning)
        first_below = pl.select(pl.when(first_below.is_null() & below).then(year).otherwise(first_below)).to_series()

        insured_by = seg_frame.with_columns(seg_pop.alias("v"), segments["scheme"].gather(seg_frame["seg"]).alias("scheme"),
                                            segments["category"].gather(seg_frame["seg"]).alias("category"),
                                            segments["sex"].gather(seg_frame["seg"]).alias("sex")) \
            .group_by("scheme", "category", "sex", "band10", "run").agg(pl.col("v").sum()) \
            .group_by("scheme", "category", "sex", "band10").agg(
                [pl.col("v").quantile(q, "linear").alias(k) for k, q in QUANTILES.items()]).sort("scheme", "category", "sex", "band10")
        insured_rows = [{"scheme": r["scheme"], "category": r["category"], "sex": r["sex"],
                         "age_from": BAND10[r["band10"]], "p5": r["p5"], "p50": r["p50"], "p95": r["p95"]}
                        for r in insured_by.iter_rows(named=True)]
        out_years.append({
            "year": year,
            "insured": _band(totals),
            "insured_by": insured_rows,
            "contributions": {**{p: _band(v) for p, v in contrib.items()}, "total": _band(contributions)},
            "new_disability": {g: _band(v) for g, v in new.items()},
            "beneficiaries": {g: _band(v) for g, v in S.items()},
            "benefits": {**{m: _band(v) for m, v in benefits.items()}, "total": _band(spending)},
            "agency_fees": _band(fees),
            "balance": _band(balance),
            "cover_months": _band(cover.drop_nulls()) if cover.null_count() < runs else None,
            "below_warning_share": float(below.sum()) / runs,
        })

    reached = first_below.drop_nulls()
    share = reached.len() / runs
    first = {"share_of_runs": share,
             "p50_year": (int(first_below.fill_null(9999).quantile(0.5, "nearest")) if share >= 0.5 else None),
             "central": None}
    for y in out_years:
        c = y["cover_months"]
        if c is not None and c["p50"] < warning:
            first["central"] = y["year"]
            break
    base_year = {"settled": settled_facts, **facts, "take_up": take_up, "insured": insured0,
                 "contributions": float(inputs.contributions_last_year) if inputs.contributions_last_year is not None else None,
                 "balance": float(inputs.balance), "cells": n_cells,
                 "profile": profile.drop("row").to_dicts()}
    return Result(region, on, runs, seed, out_years, warning, inputs.warning_basis, first, a.listing(), notes,
                  base_year, EXPLAIN)


def _interp(x: pl.Series, xs: list[float], ys: list[float]) -> pl.Series:
    """Piecewise-linear interpolation of ys over xs at each x (constant beyond the ends)."""
    if len(xs) == 1:
        return pl.Series([ys[0]] * x.len())
    frame = pl.DataFrame({"x": x})
    expr = pl.lit(ys[0])
    for k in range(1, len(xs)):
        x0, x1, y0, y1 = xs[k - 1], xs[k], ys[k - 1], ys[k]
        slope = (y1 - y0) / (x1 - x0) if x1 > x0 else 0.0
        expr = pl.when(pl.col("x") >= x0).then(y0 + slope * (pl.col("x") - x0)).otherwise(expr)
    expr = pl.when(pl.col("x") >= xs[-1]).then(ys[-1]).otherwise(expr)
    return frame.select(expr.alias("y"))["y"]


EXPLAIN = {
    "insured": "参保人数 = 上年末人数 × (1 − 死亡率 × 本次模拟死亡水平 − 退出率) 后年龄加一岁（职工到退休年龄转为退休人员），"
               "再加新参保人数（参保人数 × 新参保率，按30岁及以下参保人的结构分布）。",
    "contributions": "缴费 = 各单元（险种×类别×性别×人员身份×年龄）人数 × 政策引擎按该年政策计算的人均缴费（按费率征收的地区，"
                     "缴费基数按基数增长率、养老金按养老金增长率增长）。",
    "new_disability": "新增失能 = Σ 年龄段参保人数 × 该年龄段、等级的年发生率 × 本次模拟发生水平。",
    "beneficiaries": "待遇人数 = 上年末人数 − 退出待遇人数（死亡、复评降级，年退出率） + 新增失能人数。",
    "benefits": "待遇支出 = 年均待遇人数 × 12 × 结算率 × Σ 各护理方式份额 × 政策引擎计算的代表月基金支付 × 校准系数"
                "（上年实际人均月支付 ÷ 引擎按上年均值计算的支付；费用随价格增长）。",
    "agency_fees": "经办服务费 = 缴费收入 × 经办费比例。",
    "balance": "年末结余 = 上年末结余 × (1 + 利率) + 缴费收入 − 待遇支出 − 经办服务费。",
    "cover_months": "可支付月数 = 年末结余 ÷ (当年待遇支出 ÷ 12)；低于预警线即预警。",
}
