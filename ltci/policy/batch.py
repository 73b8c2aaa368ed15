"""The batch API: the same rules over Polars frames, for millions of people at once.

Input columns are a scenario case's fields, flattened (`groups` a list or `;`-separated; events
reduced to `suspended_days` and `death_day`). Every row is validated first, vectorised; any bad row
is reported by row number (1 = first data row) and field, and nothing is computed or written. The
rules are the very functions of the scalar path, run on column expressions (see `algebra.py`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl

from .algebra import Columns, PolarsAlgebra
from .days import eligible_days
from .errors import PolicyError
from .inputs import CATEGORIES, GROUPS, SCHEMES
from .policies import policy_on
from .regions import PARAMS_DIR
from .results import PAYERS
from .rules import contribution_of, mode_of
from .rules.eligibility import qualifying_grades

ALG = PolarsAlgebra()
AMOUNT_COLUMNS = ("base", "pension", "cost", "items_cost")
INT_COLUMNS = ("age", "days", "visits", "family_days", "suspended_days")
DATE_COLUMNS = ("birth_date", "care_from", "care_to", "death_day")
ALIASES = {"from": "care_from", "to": "care_to"}
MAX_REPORTED = 50


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based data row
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.message}"


class BatchError(ValueError):
    """Bad rows: nothing was computed or written. `errors` lists the first ones, `count` all."""

    def __init__(self, errors: list[RowError], count: int):
        self.errors = errors
        self.count = count
        more = f" (showing the first {len(errors)})" if count > len(errors) else ""
        super().__init__(f"{count} bad value(s){more}:\n" + "\n".join(str(e) for e in errors))


# --- reading and typing the input ------------------------------------------------------------

def read_frame(path: Path) -> pl.LazyFrame:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pl.scan_parquet(path)
    if suffix == ".csv":
        return pl.scan_csv(path, infer_schema=False)  # all strings: typed and checked below
    raise PolicyError("expected a .parquet or .csv file", "input")


def _fen(name: str, dtype) -> tuple[pl.Expr, pl.Expr]:
    """(amount in fen, invalid flag) for a column of any numeric or text type."""
    col = pl.col(name)
    if isinstance(dtype, pl.Decimal):
        scaled = col * 100
        return scaled.cast(pl.Int64, strict=False), (scaled != scaled.cast(pl.Int64, strict=False)) | (col < 0)
    if dtype.is_integer():
        return col.cast(pl.Int64) * 100, col < 0
    if dtype.is_float():
        fen = (col * 100).round(0)
        return fen.cast(pl.Int64, strict=False), ((col * 100 - fen).abs() > 1e-6) | (col < 0) | ~col.is_finite()
    if dtype == pl.String:
        text = col.str.strip_chars()
        parts = text.str.extract_groups(r"^(\d{1,13})(?:\.(\d{1,2}))?$")
        whole = parts.struct.field("1").cast(pl.Int64, strict=False)
        frac = parts.struct.field("2").str.pad_end(2, "0").cast(pl.Int64, strict=False).fill_null(0)
        fen = whole * 100 + frac
        return fen, text.is_not_null() & whole.is_null()
    return pl.lit(None, pl.Int64), col.is_not_null()


def _typed(frame: pl.LazyFrame, wanted: set[str]) -> tuple[pl.LazyFrame, list[tuple[str, str]]]:
    """The columns the rules read, cast to the engine's types, plus a `__bad_<col>` flag per column
    that failed. Other columns are neither read nor checked: the question does not use them."""
    schema = frame.collect_schema()
    frame = frame.rename({k: v for k, v in ALIASES.items() if k in schema and v not in schema})
    schema = frame.collect_schema()
    exprs, flags = [pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("__row")], []
    for name, dtype in schema.items():
        if name not in wanted:
            continue
        if name in AMOUNT_COLUMNS:
            value, bad = _fen(name, dtype)
            exprs += [value.alias(name), bad.fill_null(False).alias(f"__bad_{name}")]
            flags.append((name, "an amount of yuan with at most two decimals, not negative"))
        elif name in INT_COLUMNS:
            value = pl.col(name).cast(pl.Int64, strict=False)
            exprs += [value.alias(name),
                      ((pl.col(name).is_not_null() & value.is_null()) | (value < 0)).fill_null(False)
                      .alias(f"__bad_{name}")]
            flags.append((name, "a whole number, not negative"))
        elif name in DATE_COLUMNS:
            value = pl.col(name).str.to_date("%Y-%m-%d", strict=False) if dtype == pl.String \
                else pl.col(name).cast(pl.Date, strict=False)
            exprs += [value.alias(name), (pl.col(name).is_not_null() & value.is_null()).alias(f"__bad_{name}")]
            flags.append((name, "a date YYYY-MM-DD"))
        elif name == "groups":
            if dtype == pl.String:
                value = pl.col(name).fill_null("").str.split(";").list.eval(
                    pl.element().str.strip_chars().filter(pl.element() != ""))
            else:
                value = pl.col(name).fill_null([]).cast(pl.List(pl.String))
            exprs.append(value.alias(name))
        elif name == "carer_trained":
            value = pl.col(name).str.to_lowercase().replace_strict(
                {"true": True, "false": False, "1": True, "0": False}, default=None, return_dtype=pl.Boolean) \
                if dtype == pl.String else pl.col(name).cast(pl.Boolean, strict=False)
            exprs += [value.alias(name), (pl.col(name).is_not_null() & value.is_null()).alias(f"__bad_{name}")]
            flags.append((name, "true or false"))
        else:
            exprs.append(pl.col(name))
    return frame.select(exprs), flags


def _require_columns(frame: pl.LazyFrame, names) -> None:
    have = set(frame.collect_schema())
    for name in names:
        if name not in have:
            raise PolicyError("a column the rules need is missing from the input", name)


def _collect_errors(frame: pl.LazyFrame, checks: list[tuple[pl.Expr, str, str]]) -> None:
    """Run every (bad-row condition, field, message) check in one pass; raise BatchError if any hit."""
    if not checks:
        return
    flags = frame.select(pl.col("__row"), *[c.fill_null(True).alias(f"__c{i}") for i, (c, _, _) in enumerate(checks)])
    flags = flags.filter(pl.any_horizontal(pl.all().exclude("__row"))).collect(engine="streaming")
    if flags.height == 0:
        return
    errors = []
    count = 0
    for i, (_, field, message) in enumerate(checks):
        rows = flags.filter(pl.col(f"__c{i}"))["__row"]
        count += rows.len()
        errors += [RowError(int(r), field, message) for r in rows.head(MAX_REPORTED)]
    errors.sort(key=lambda e: e.row)
    raise BatchError(errors[:MAX_REPORTED], count)


def _type_checks(flags) -> list:
    return [(pl.col(f"__bad_{name}"), name, f"expected {what}") for name, what in flags]


def _group_checks(frame: pl.LazyFrame) -> list:
    if "groups" not in frame.collect_schema():
        return []
    unknown = pl.col("groups").list.eval(~pl.element().is_in(list(GROUPS))).list.any()
    return [(unknown, "groups", f"a group is not one of {', '.join(GROUPS)}")]


def _age(on: date) -> pl.Expr:
    """Age on `on` from `birth_date` (or the `age` column when that is what the input gives)."""
    birth = pl.col("birth_date")
    before = (birth.dt.month() > on.month) | ((birth.dt.month() == on.month) & (birth.dt.day() > on.day))
    return on.year - birth.dt.year().cast(pl.Int64) - before.cast(pl.Int64)


def _to_yuan(expr: pl.Expr) -> pl.Expr:
    return (expr.cast(pl.Decimal(14, 0)) * pl.lit(Decimal("0.01"), dtype=pl.Decimal(3, 2))).cast(pl.Decimal(12, 2))


# --- contributions ---------------------------------------------------------------------------

def contribution_frame(frame: pl.LazyFrame, region: str, on: date, params_dir: Path = PARAMS_DIR) -> pl.LazyFrame:
    """person_id, period and each payer's amount (Decimal(12,2)) for every row; BatchError on bad rows."""
    policy = policy_on(region, on, params_dir)
    section, rule = contribution_of(policy)
    if rule.__name__ == "none":
        rule(section, None, ALG)
    _require_columns(frame, ("person_id", "scheme"))
    subsidies = section.list("subsidies")
    wanted = {"person_id", "scheme"}
    if any("groups" in sub for sub in subsidies):
        wanted.add("groups")
    if any("min_age" in sub for sub in subsidies):
        wanted |= {"age", "birth_date"}
    if "categories" in section:
        wanted |= {"category"} | {s.text("base") for s in section.sections("categories").values()}
    frame, flags = _typed(frame, wanted)
    schemes, _ = section.values("schemes")
    checks = _type_checks(flags) + _group_checks(frame) + [
        (~pl.col("scheme").is_in(schemes), "scheme", f"{policy.region.name}长护险只覆盖：{', '.join(schemes)}"),
    ]
    columns = set(frame.collect_schema())
    if "categories" in section:
        categories = section.sections("categories")
        _require_columns(frame, ("category",))
        checks.append((~pl.col("category").is_in(list(categories)), "category",
                       f"expected one of {', '.join(categories)}"))
        for cat, cat_section in categories.items():
            base = cat_section.text("base")
            _require_columns(frame, (base,))
            checks.append(((pl.col("category") == cat) & pl.col(base).is_null(), base,
                           f"{cat} contributions are computed from {base}; it is missing"))
    else:
        for name in ("category", "base", "pension"):
            if name not in columns:
                frame = frame.with_columns(pl.lit(None, pl.Int64 if name != "category" else pl.String).alias(name))
    if "groups" not in columns:
        frame = frame.with_columns(pl.lit([], pl.List(pl.String)).alias("groups"))
    if "age" in wanted:
        if "birth_date" in columns:
            frame = frame.with_columns(_age(on).alias("age"))
        else:
            _require_columns(frame, ("age",))
        checks.append((pl.col("age").is_null(), "age", "needed for the age subsidy; give age or birth_date"))
    elif "age" not in columns:
        frame = frame.with_columns(pl.lit(None, pl.Int64).alias("age"))
    _collect_errors(frame, checks)
    amounts, _ = rule(section, Columns(), ALG)
    fen = {p: amounts.get(p, 0) for p in PAYERS}
    total = sum((ALG._expr(v) for v in fen.values()), pl.lit(0))
    return frame.select(
        pl.col("person_id"), pl.lit(section.text("period")).alias("period"), _to_yuan(total).alias("total"),
        *[_to_yuan(ALG._expr(v)).alias(p) for p, v in fen.items()],
    )


# --- benefits --------------------------------------------------------------------------------

def benefit_frame(frame: pl.LazyFrame, region: str, month: date, params_dir: Path = PARAMS_DIR) -> pl.LazyFrame:
    """person_id, eligible_days, fund, personal, total for every person-month; BatchError on bad rows."""
    policy = policy_on(region, month, params_dir)
    first = month.replace(day=1)
    dim = calendar.monthrange(month.year, month.month)[1]
    last = month.replace(day=dim)
    _require_columns(frame, ("person_id", "grade", "mode"))
    modes = policy.params.section("benefit").sections("modes")
    rules = {name: mode_of(policy, name) for name in modes}
    wanted = {"person_id", "grade", "mode", "care_from", "care_to", "suspended_days", "death_day", "days",
              "family_days"} | {need for section, rule in rules.values() for need in rule.needs(section)}
    if any("bonus_groups" in section for section, _ in rules.values()):
        wanted.add("groups")
    frame, flags = _typed(frame, wanted)
    columns = set(frame.collect_schema())
    defaults = {"groups": pl.lit([], pl.List(pl.String)), "care_from": pl.lit(first), "care_to": pl.lit(last),
                "suspended_days": pl.lit(0, pl.Int64), "death_day": pl.lit(None, pl.Date),
                "days": pl.lit(None, pl.Int64), "family_days": pl.lit(None, pl.Int64),
                "carer_trained": pl.lit(None, pl.Boolean), "visits": pl.lit(None, pl.Int64),
                **{a: pl.lit(None, pl.Int64) for a in AMOUNT_COLUMNS}}
    frame = frame.with_columns([v.alias(k) for k, v in defaults.items() if k not in columns]).with_columns(
        pl.col("care_from").fill_null(first), pl.col("care_to").fill_null(last),
        pl.col("suspended_days").fill_null(0))

    grades, _ = qualifying_grades(policy.params.section("eligibility"))
    checks = _type_checks(flags) + _group_checks(frame) + [
        (~pl.col("mode").is_in(list(modes)), "mode", f"{policy.region.name}可选的护理方式：{', '.join(modes)}"),
        (~pl.col("grade").is_in(grades), "grade", f"{policy.region.name}享受待遇的等级：{', '.join(grades)}"),
        ((pl.col("care_from") < first) | (pl.col("care_from") > last), "care_from", f"not in {first:%Y-%m}"),
        ((pl.col("care_to") < first) | (pl.col("care_to") > last), "care_to", f"not in {first:%Y-%m}"),
        (pl.col("care_to") < pl.col("care_from"), "care_to", "the care period ends before it starts"),
    ]
    for name, (section, rule) in rules.items():
        for need in rule.needs(section):
            checks.append(((pl.col("mode") == name) & pl.col(need).is_null(), need, f"mode {name} needs it"))
    _collect_errors(frame, checks)

    days = eligible_days(pl.col("care_from"), pl.col("care_to"), pl.col("suspended_days"), pl.col("death_day"), ALG)
    frame = frame.with_columns(days.cast(pl.Int64).alias("eligible_days")).with_columns(
        pl.lit(dim, pl.Int64).alias("days_in_month"),
        pl.col("days").fill_null(pl.col("eligible_days")),
        pl.col("family_days").fill_null(pl.col("eligible_days")),
    )
    fund = personal = None
    for name, (section, rule) in rules.items():
        parts = rule(section, Columns(), ALG)
        f = sum((ALG._expr(p.fund) for p in parts), pl.lit(0, pl.Int64))
        p = sum((ALG._expr(p.personal) for p in parts), pl.lit(0, pl.Int64))
        is_mode = pl.col("mode") == name
        fund = pl.when(is_mode).then(f) if fund is None else fund.when(is_mode).then(f)
        personal = pl.when(is_mode).then(p) if personal is None else personal.when(is_mode).then(p)
    frame = frame.with_columns(fund.otherwise(None).alias("__fund"), personal.otherwise(None).alias("__personal"))
    return frame.select(
        pl.col("person_id"), pl.col("eligible_days").cast(pl.Int32),
        _to_yuan(pl.col("__fund")).alias("fund"), _to_yuan(pl.col("__personal")).alias("personal"),
        _to_yuan(pl.col("__fund") + pl.col("__personal")).alias("total"),
    )


def write_parquet(result: pl.LazyFrame, out: Path) -> int:
    """Write the result; the file appears only when complete (a temporary name, then a rename).

    Collecting then writing measured faster here than Polars' streaming sink (0.6 s against 1.0 s
    for 4.2 million rows); the result columns are small (an id and a few amounts per row).
    """
    out = Path(out)
    tmp = out.with_name(f".{out.name}.partial")
    try:
        frame = result.collect(engine="streaming")
        frame.write_parquet(tmp, compression="snappy")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return frame.height
