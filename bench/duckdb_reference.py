"""Hand-written DuckDB SQL for the benchmarked rules: the comparison target for the batch engine.

Parquet in, Parquet out (COPY ... TO ... (FORMAT parquet)), the same readings as
docs/decisions/0002-policy-engine.md. All money is integer fen (BIGINT) until the final cast, and
every half-up rounding is integer arithmetic: round(a / b) = (2a + b) // (2b) for a, b >= 0.
The output columns are DECIMAL(12,2), made exactly as fen::DECIMAL(18,0) * 0.01 (DuckDB turns
DECIMAL / INTEGER into DOUBLE, so no division is used). Input a rule cannot answer (a scheme,
grade or mode the region does not know) stops the query with an error, as the engine does.
"""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import duckdb

__all__ = ["contribution_jiaxing", "contribution_xuzhou", "contribution_nanning", "benefit_xuzhou", "benefit_jiaxing",
           "JIAXING", "XUZHOU"]

# Jiaxing plan 2022-2024, 一(二): 120 元/person/year; individual 30; employees 90 from the employee
# medical pooled fund, residents 90 fiscal. No group subsidies. (fen)
JIAXING = {
    "valid": (dt.date(2022, 1, 1), dt.date(2024, 12, 31)),
    "individual": 3000,
    "employee_medical_fund": 9000,
    "resident_fiscal": 9000,
}

# Xuzhou from 2022-01-01, 五(三). Amounts in fen, shares in basis points.
XUZHOU = {
    "from": dt.date(2022, 1, 1),
    "living": {"severe": 6000, "moderate": 4500},        # per bed-day, share 70 %
    "medical": {"severe": 5000, "moderate": 2500},       # per bed-day, share 80 %
    "living_bp": 7000,
    "medical_bp": 8000,
    "plus_bp": 500,                                       # 五(三)1(3)
    "plus_groups": ["student", "medical_aid", "severe_disability"],
    "package": {"severe": 90000, "moderate": 60000},     # home_visit, monthly
    "family": {"severe": 2000, "moderate": 1000},        # home_combined, per day
    "untrained_pct": 80,                                  # 五(二)2
    "visits": 30000,                                      # home_combined, monthly
    "remote": {"severe": 3000, "moderate": 2000},        # remote_cash, per day
    "severe_grades": ["severe_1", "severe_2", "severe_3"],
}


def _q(path: str | Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _copy(sql: str, out_path: str | Path, threads: int | None) -> int:
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        res = con.execute(f"COPY ({sql}) TO {_q(out_path)} (FORMAT parquet)").fetchone()
    finally:
        con.close()
    return int(res[0])


def _dec(fen_sql: str) -> str:
    return f"CAST(CAST({fen_sql} AS DECIMAL(18,0)) * 0.01 AS DECIMAL(12,2))"


def contribution_jiaxing(in_path: str | Path, out_path: str | Path, on: str = "2023-01-01",
                         *, threads: int | None = None) -> int:
    """Yearly Jiaxing contribution per insured person. Returns the number of rows written.

    Output: person_id, period ('year'), total, individual, employer, medical_fund, fiscal.
    """
    day = dt.date.fromisoformat(str(on))
    lo, hi = JIAXING["valid"]
    if not lo <= day <= hi:
        raise ValueError(f"jiaxing: no policy version covers {day} (plan {lo}..{hi})")
    ind, emp_mf, res_fiscal = JIAXING["individual"], JIAXING["employee_medical_fund"], JIAXING["resident_fiscal"]
    sql = f"""
    WITH c AS (
        SELECT person_id,
               CAST({ind} AS BIGINT) AS individual,
               CAST(0 AS BIGINT) AS employer,
               CASE scheme WHEN 'employee' THEN {emp_mf} WHEN 'resident' THEN 0
                    ELSE error(concat('jiaxing: scheme not insured: ', coalesce(scheme, 'null'),
                                      ' (person ', person_id, ')')) END AS medical_fund,
               CASE scheme WHEN 'employee' THEN 0 ELSE {res_fiscal} END AS fiscal
        FROM read_parquet({_q(in_path)})
    )
    SELECT person_id,
           'year' AS period,
           {_dec('individual + employer + medical_fund + fiscal')} AS total,
           {_dec('individual')} AS individual,
           {_dec('employer')} AS employer,
           {_dec('medical_fund')} AS medical_fund,
           {_dec('fiscal')} AS fiscal
    FROM c
    """
    return _copy(sql, out_path, threads)


def _age(on: dt.date) -> str:
    """Whole years on `on` from birth_date, as the engine counts them (a birthday not yet reached)."""
    return (f"({on.year} - year(birth_date) - CASE WHEN month(birth_date) > {on.month} OR (month(birth_date) = "
            f"{on.month} AND day(birth_date) > {on.day}) THEN 1 ELSE 0 END)")


def _payers(period: str) -> str:
    return f"""SELECT person_id, '{period}' AS period,
           {_dec('individual + employer + medical_fund + fiscal')} AS total,
           {_dec('individual')} AS individual, {_dec('employer')} AS employer,
           {_dec('medical_fund')} AS medical_fund, {_dec('fiscal')} AS fiscal
    FROM c"""


def contribution_xuzhou(in_path: str | Path, out_path: str | Path, on: str = "2023-01-01",
                        *, threads: int | None = None) -> int:
    """Xuzhou from 2022, 四(一)(二): 70 yuan a year, individual 20 + medical fund 30 + fiscal 20; the
    individual's 20 paid by the fiscal for 医疗救助对象、重度残疾人、计划生育扶助对象 and for residents
    aged 70 and over on the day."""
    day = dt.date.fromisoformat(str(on))
    sql = f"""
    WITH s AS (
        SELECT person_id,
               list_has_any(groups, ['medical_aid', 'severe_disability', 'family_planning'])
               OR CASE scheme WHEN 'employee' THEN false
                              WHEN 'resident' THEN coalesce({_age(day)}, error(concat('xuzhou: age needed (person ',
                                                                                         person_id, ')'))) >= 70
                              ELSE error(concat('xuzhou: scheme not insured (person ', person_id, ')')) END AS subsidised
        FROM read_parquet({_q(in_path)})
    ), c AS (
        SELECT person_id, CASE WHEN subsidised THEN 0 ELSE 2000 END AS individual, 0 AS employer,
               3000 AS medical_fund, CASE WHEN subsidised THEN 4000 ELSE 2000 END AS fiscal
        FROM s
    )
    {_payers('year')}
    """
    return _copy(sql, out_path, threads)


def contribution_nanning(in_path: str | Path, out_path: str | Path, on: str = "2024-03-01",
                         *, threads: int | None = None) -> int:
    """Nanning 2024, 三(二): employees only, monthly, per category a rate of the contribution base
    (the pension for the retired): in service 0.15% + employer 0.15%, retired 0.15%, flexible and
    unemployed 0.30%; each amount rounded half-up to the fen."""
    half_up = "(2 * base_fen * {ppm} + 1000000) // 2000000"
    sql = f"""
    WITH s AS (
        SELECT person_id,
               CASE WHEN scheme = 'employee' THEN category
                    ELSE error(concat('nanning: scheme not insured (person ', person_id, ')')) END AS category,
               CAST(coalesce(CASE category WHEN 'retired' THEN pension
                                  WHEN 'in_service' THEN base WHEN 'flexible' THEN base WHEN 'unemployed' THEN base
                                  ELSE error(concat('nanning: category (person ', person_id, ')')) END,
                             error(concat('nanning: base missing (person ', person_id, ')'))) * 100 AS BIGINT) AS base_fen
        FROM read_parquet({_q(in_path)})
    ), c AS (
        SELECT person_id,
               {half_up.format(ppm="CASE WHEN category IN ('in_service', 'retired') THEN 1500 ELSE 3000 END")} AS individual,
               CASE WHEN category = 'in_service' THEN {half_up.format(ppm=1500)} ELSE 0 END AS employer,
               0 AS medical_fund, 0 AS fiscal
        FROM s
    )
    {_payers('month')}
    """
    return _copy(sql, out_path, threads)


def benefit_jiaxing(in_path: str | Path, out_path: str | Path, month: str = "2023-05",
                    *, threads: int | None = None) -> int:
    """Jiaxing 2022-2024, 一(二): severe grades; the eligible cost × share (70% in institutions, 80%
    at home) within the monthly limit (3,000 / 2,400 / 1,500 yuan) prorated by eligible days, on one
    denominator and rounded half-up once; the rest is the person's."""
    year, mon = (int(x) for x in str(month)[:7].split("-"))
    start = dt.date(year, mon, 1)
    dim = calendar.monthrange(year, mon)[1]
    end = dt.date(year, mon, dim)
    sql = f"""
    WITH src AS (
        SELECT person_id, grade, mode,
               CAST(coalesce(cost, error(concat('jiaxing: cost needed (person ', person_id, ')'))) * 100 AS BIGINT) AS cost,
               coalesce(care_from, DATE '{start}') AS f,
               least(coalesce(care_to, DATE '{end}'), death_day) AS t,
               coalesce(suspended_days, 0) AS susp
        FROM read_parquet({_q(in_path)})
    ), d AS (
        SELECT person_id, cost,
               CAST(greatest(date_diff('day', f, t) + 1 - susp, 0) AS BIGINT) AS eligible,
               CASE WHEN grade IN ('severe_1', 'severe_2', 'severe_3') THEN mode
                    ELSE error(concat('jiaxing: grade does not qualify (person ', person_id, ')')) END AS mode
        FROM src
    ), l AS (
        SELECT person_id, eligible, cost,
               (2 * least(cost * share * {dim}, cap * eligible * 1000000) + {1_000_000 * dim}) // {2_000_000 * dim} AS fund
        FROM (SELECT *, CASE mode WHEN 'institution_care' THEN 700000 WHEN 'institution_medical' THEN 700000
                              WHEN 'home_care' THEN 800000
                              ELSE error(concat('jiaxing: mode not offered (person ', person_id, ')')) END AS share,
                     CASE mode WHEN 'institution_care' THEN 300000 WHEN 'institution_medical' THEN 240000
                              ELSE 150000 END AS cap
              FROM d)
    )
    SELECT person_id, CAST(eligible AS INTEGER) AS eligible_days, {_dec('fund')} AS fund,
           {_dec('cost - fund')} AS personal, {_dec('cost')} AS total
    FROM l
    """
    return _copy(sql, out_path, threads)


def benefit_xuzhou(in_path: str | Path, out_path: str | Path, month: str = "2023-05",
                   *, threads: int | None = None) -> int:
    """Xuzhou benefit of one month per person-month row. Returns the number of rows written.

    Output: person_id, eligible_days, fund, personal, total.
    """
    year, mon = (int(x) for x in str(month)[:7].split("-"))
    start = dt.date(year, mon, 1)
    dim = calendar.monthrange(year, mon)[1]
    end = dt.date(year, mon, dim)
    if start < XUZHOU["from"]:
        raise ValueError(f"xuzhou: no policy version covers {month}")
    X = XUZHOU
    severe_list = ", ".join(f"'{g}'" for g in X["severe_grades"])
    plus_list = ", ".join(f"'{g}'" for g in X["plus_groups"])

    def by_grade(key: str) -> str:
        return f"CASE WHEN severe THEN {X[key]['severe']} ELSE {X[key]['moderate']} END"

    def prorate(monthly_fen: str) -> str:  # monthly × eligible / days_in_month, half-up
        return f"(2 * ({monthly_fen}) * eligible + {dim}) // {2 * dim}"

    def share(std: str, bp: str, days: str) -> str:  # std × bp/10000 × days, half-up
        return f"(({std}) * ({bp}) * {days} + 5000) // 10000"

    sql = f"""
    WITH src AS (
        SELECT person_id, grade, mode, groups, days, family_days, carer_trained,
               coalesce(care_from, DATE '{start}') AS f,
               least(coalesce(care_to, DATE '{end}'), death_day) AS t,
               coalesce(suspended_days, 0) AS susp
        FROM read_parquet({_q(in_path)})
    ), d AS (
        SELECT person_id, mode, days, family_days, carer_trained,
               CAST(greatest(date_diff('day', f, t) + 1 - susp, 0) AS BIGINT) AS eligible,
               CASE WHEN grade IN ({severe_list}) THEN true
                    WHEN grade = 'moderate' THEN false
                    ELSE error(concat('xuzhou: grade does not qualify: ', coalesce(grade, 'null'),
                                      ' (person ', person_id, ')')) END AS severe,
               CASE WHEN list_has_any(groups, [{plus_list}]) THEN {X['plus_bp']} ELSE 0 END AS plus_bp
        FROM src
    ), b AS (
        SELECT person_id, mode, eligible, severe, plus_bp, carer_trained, family_days,
               least(coalesce(days, eligible), eligible) AS bill,
               {by_grade('living')} AS living_std,
               {by_grade('medical')} AS medical_std
        FROM d
    ), l AS (
        SELECT person_id, eligible,
          CASE mode
            WHEN 'institution_care' THEN {share('living_std', f"{X['living_bp']} + plus_bp", 'bill')}
            WHEN 'institution_medical' THEN {share('living_std', f"{X['living_bp']} + plus_bp", 'bill')}
                                          + {share('medical_std', f"{X['medical_bp']} + plus_bp", 'bill')}
            WHEN 'home_visit' THEN {prorate(by_grade('package'))}
            WHEN 'home_combined' THEN
                 ({by_grade('family')} * least(coalesce(family_days, eligible), eligible)
                  * CASE WHEN carer_trained = false THEN {X['untrained_pct']} ELSE 100 END + 50) // 100
               + {prorate(str(X['visits']))}
            WHEN 'remote_cash' THEN {by_grade('remote')} * eligible
            ELSE error(concat('xuzhou: mode not offered: ', coalesce(mode, 'null'),
                              ' (person ', person_id, ')'))
          END AS fund,
          CASE mode
            WHEN 'institution_care' THEN living_std * bill
            WHEN 'institution_medical' THEN (living_std + medical_std) * bill
          END AS gross
        FROM b
    )
    SELECT person_id,
           CAST(eligible AS INTEGER) AS eligible_days,
           {_dec('fund')} AS fund,
           {_dec('coalesce(gross - fund, 0)')} AS personal,
           {_dec('coalesce(gross, fund)')} AS total
    FROM l
    """
    return _copy(sql, out_path, threads)


if __name__ == "__main__":
    import argparse
    import time

    p = argparse.ArgumentParser(prog="python -m bench.duckdb_reference")
    p.add_argument("what", choices=["contribution", "benefit", "contribution-xuzhou", "contribution-nanning",
                                    "benefit-jiaxing"])
    p.add_argument("in_path")
    p.add_argument("out_path")
    p.add_argument("--on", default="2023-01-01")
    p.add_argument("--month", default="2023-05")
    p.add_argument("--threads", type=int)
    a = p.parse_args()
    t0 = time.perf_counter()
    if a.what == "contribution":
        n = contribution_jiaxing(a.in_path, a.out_path, on=a.on, threads=a.threads)
    elif a.what == "contribution-xuzhou":
        n = contribution_xuzhou(a.in_path, a.out_path, on=a.on, threads=a.threads)
    elif a.what == "contribution-nanning":
        n = contribution_nanning(a.in_path, a.out_path, on=a.on, threads=a.threads)
    elif a.what == "benefit-jiaxing":
        n = benefit_jiaxing(a.in_path, a.out_path, month=a.month, threads=a.threads)
    else:
        n = benefit_xuzhou(a.in_path, a.out_path, month=a.month, threads=a.threads)
    s = time.perf_counter() - t0
    print(f"{a.out_path}: {n} rows in {s:.2f} s ({n / s:,.0f} rows/s)")
