"""`ltci batch` and `ltci policy show`: files in, Parquet out, bad rows reported and nothing written."""

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ltci" / "policy"


def ltci(*args):
    return subprocess.run([sys.executable, "-m", "ltci.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_benefits_from_csv_to_parquet(tmp_path):
    src = tmp_path / "months.csv"
    src.write_text(
        "person_id,grade,groups,mode,care_from,care_to,days,family_days,carer_trained,suspended_days,death_day\n"
        "1,severe_2,student,institution_medical,,,31,,,0,\n"
        "2,moderate,,home_combined,2022-05-01,2022-05-31,,31,false,0,\n"
        "3,severe_1,medical_aid;student,institution_care,2022-05-11,2022-05-31,,,,4,2022-05-20\n",
        encoding="utf-8")
    out = tmp_path / "out.parquet"
    result = ltci("batch", "benefit", "--region", "xuzhou", "--month", "2022-05", src, out)
    assert result.returncode == 0, result.stderr
    assert "wrote 3 rows" in result.stderr and "rows/s" in result.stderr
    frame = pl.read_parquet(out)
    assert frame.columns == ["person_id", "eligible_days", "fund", "personal", "total"]
    assert frame.schema["fund"] == pl.Decimal(12, 2)
    rows = frame.rows(named=True)
    assert rows[0]["fund"] == Decimal("2712.50") and rows[0]["personal"] == Decimal("697.50")
    assert rows[1]["fund"] == Decimal("548.00")  # 10 × 31 × 80% + 300
    # 11–20 May is 10 days, less 4 in hospital: 6 days × 60 × 75%
    assert rows[2]["eligible_days"] == 6 and rows[2]["fund"] == Decimal("270.00")


def test_contributions_from_parquet(tmp_path):
    src = tmp_path / "people.parquet"
    pl.DataFrame({"person_id": [1, 2, 3], "scheme": ["employee"] * 3, "category": ["in_service", "retired", "flexible"],
                  "base": [Decimal("6000.00"), None, Decimal("4670.00")], "pension": [None, Decimal("4321.77"), None]},
                 schema_overrides={"base": pl.Decimal(12, 2), "pension": pl.Decimal(12, 2)}).write_parquet(src)
    out = tmp_path / "dues.parquet"
    result = ltci("batch", "contribution", "--region", "nanning", "--on", "2024-03-01", src, out)
    assert result.returncode == 0, result.stderr
    rows = pl.read_parquet(out).rows(named=True)
    assert [(r["period"], str(r["individual"]), str(r["employer"]), str(r["total"])) for r in rows] == [
        ("month", "9.00", "9.00", "18.00"), ("month", "6.48", "0.00", "6.48"), ("month", "14.01", "0.00", "14.01")]


def test_a_bad_row_is_reported_by_row_and_field_and_nothing_is_written(tmp_path):
    src = tmp_path / "months.csv"
    src.write_text("person_id,grade,mode,cost\n1,severe_1,home_care,100.00\n2,mild,home_care,100.00\n"
                   "3,severe_2,home_care,12.345\n4,severe_3,home_care,\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    result = ltci("batch", "benefit", "--region", "jiaxing", "--month", "2023-02", src, out)
    assert result.returncode == 2
    assert "row 2: grade:" in result.stderr
    assert "row 3: cost: expected an amount of yuan with at most two decimals" in result.stderr
    assert "row 4: cost: mode home_care needs it" in result.stderr
    assert "nothing was written" in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [src]


def test_a_missing_column_and_an_unknown_region_are_clear_errors(tmp_path):
    src = tmp_path / "people.csv"
    src.write_text("person_id,category\n1,in_service\n", encoding="utf-8")
    result = ltci("batch", "contribution", "--region", "xuzhou", "--on", "2023-01-01", src, tmp_path / "o.parquet")
    assert result.returncode == 2 and "scheme: a column the rules need is missing" in result.stderr
    result = ltci("batch", "contribution", "--region", "gotham", "--on", "2023-01-01", src, tmp_path / "o.parquet")
    assert result.returncode == 2 and "unknown region 'gotham'" in result.stderr


@pytest.mark.parametrize("name, content, reason", [
    ("empty.csv", b"", "empty CSV"),
    ("ragged.csv", b"person_id,grade,mode,cost\n1,severe_1,home_care,100,extra\n", "more fields"),
    ("corrupt.parquet", b"PAR1oops", "parquet"),
    ("binary.csv", b"person_id,grade\n\xff\xff,severe_1\n", "neither UTF-8 nor GB18030"),
])
def test_unreadable_input_is_an_input_error_not_a_traceback(tmp_path, name, content, reason):
    src = tmp_path / name
    src.write_bytes(content)
    result = ltci("batch", "benefit", "--region", "jiaxing", "--month", "2023-05", src, tmp_path / "out.parquet")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "error: input: " in result.stderr and reason in result.stderr, result.stderr
    assert not (tmp_path / "out.parquet").exists()


def test_a_csv_saved_by_chinese_excel_gb18030_is_read(tmp_path):
    src = tmp_path / "excel.csv"
    src.write_bytes("person_id,grade,mode,cost,姓名\n1,severe_1,home_care,100,张三\n".encode("gb18030"))
    out = tmp_path / "out.parquet"
    result = ltci("batch", "benefit", "--region", "jiaxing", "--month", "2023-05", src, out)
    assert result.returncode == 0, result.stderr
    assert pl.read_parquet(out)["fund"].to_list() == [Decimal("80.00")]


def test_policy_show_lists_the_parameters_in_force_with_their_clauses():
    result = ltci("policy", "show", "xuzhou", "--on", "2023-06-01")
    assert result.returncode == 0, result.stderr
    assert "徐政办发〔2021〕86号" in result.stdout
    assert "benefit.modes.home_visit.amount = severe 900.00, moderate 600.00    [五(三)2]" in result.stdout
    jiaxing = ltci("policy", "show", "jiaxing", "--on", "2023-06-01")
    assert "eligibility.disability_months = 6    [平台规则 P6]" in jiaxing.stdout
    result = ltci("policy", "show", "nanning", "--on", "2023-06-01")
    assert result.returncode == 2 and "no policy version of nanning covers 2023-06-01" in result.stderr


def test_the_policy_engine_imports_nothing_of_django():
    code = ("import sys, ltci.policy.scalar, ltci.policy.batch, ltci.policy.scenario, ltci.policy.cli;"
            "sys.exit(1 if any(m == 'django' or m.startswith('django.') for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
    for path in PACKAGE.rglob("*.py"):
        assert not re.search(r"^\s*(from|import)\s+django", path.read_text(encoding="utf-8"), re.M), path
