"""The one writer of exports: text that could run is written as text; numbers and dates stay typed."""

import csv
import io
import shutil
import subprocess
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from ltci.core import exports
from ltci.core.tabular import Column, read_table

STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
PAYLOADS = ('=HYPERLINK("http://x","y")', "=1+1", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\n=1",
            "=cmd|' /C calc'!A0")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def sheet_of(data: bytes):
    return load_workbook(io.BytesIO(data)).worksheets[0]


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("start", STARTS, ids=repr)
def test_text_beginning_like_a_formula_is_text_in_excel(start):
    value = start + "1+1"
    data, n = exports.workbook("表", ("姓名",), [(value,)])
    cell = sheet_of(data)["A2"]
    assert n == 1 and cell.data_type == "s" and cell.quotePrefix
    assert cell.value == value.replace("\r", "\n")  # XML reads a carriage return as a line feed


@pytest.mark.parametrize("start", STARTS, ids=repr)
def test_text_beginning_like_a_formula_gets_an_apostrophe_in_csv(start):
    value = start + "1+1"
    data, n = exports.csv_file(("姓名",), [(value,)])
    assert n == 1 and rows_of(data)[1] == ["'" + value]


def test_the_attacks_of_the_issue_come_out_as_the_text_typed():
    data, _ = exports.workbook("表", ("姓名",), [(p,) for p in PAYLOADS])
    ws = sheet_of(data)
    assert [c.value for (c,) in ws.iter_rows(min_row=2)] == [p.replace("\r", "\n") for p in PAYLOADS]
    assert all(c.data_type == "s" and c.quotePrefix for (c,) in ws.iter_rows(min_row=2))
    csv_data, _ = exports.csv_file(("姓名",), [(p,) for p in PAYLOADS])
    assert [r[0] for r in rows_of(csv_data)[1:]] == ["'" + p for p in PAYLOADS]


def test_an_error_code_typed_as_a_name_stays_text():
    cell = sheet_of(exports.workbook("表", ("a",), [("#N/A",)])[0])["A2"]
    assert (cell.value, cell.data_type) == ("#N/A", "s")


def test_numbers_and_dates_stay_numbers_and_dates_in_excel():
    at = datetime(2026, 1, 2, 1, 30, tzinfo=ZoneInfo("UTC"))
    data, _ = exports.workbook("表", ("a", "b", "c", "d", "e", "f"),
                               [(Decimal("-12.50"), -3, Decimal("1395.00"), date(2025, 4, 10), at, 0)])
    a, b, c, d, e, f = next(sheet_of(data).iter_rows(min_row=2))
    assert (a.value, a.data_type, a.number_format) == (-12.5, "n", "#,##0.00")  # a negative amount is a number
    assert (b.value, b.data_type, b.quotePrefix) == (-3, "n", False)
    assert (c.value, c.number_format) == (1395, "#,##0.00")  # 1,395.00 as people write amounts
    assert d.is_date and d.value.date() == date(2025, 4, 10)
    assert e.is_date and e.value == datetime(2026, 1, 2, 9, 30)  # the wall clock in Asia/Shanghai
    assert (f.value, f.data_type) == (0, "n")


def test_numbers_written_to_csv_are_not_mangled():
    data, _ = exports.csv_file(("金额", "笔数", "日期", "时间", "否"),
                               [(Decimal("-12.50"), -3, date(2025, 4, 10), datetime(2026, 1, 2, 9, 30, tzinfo=SHANGHAI),
                                 None)])
    assert rows_of(data)[1] == ["-12.50", "-3", "2025-04-10", "2026-01-02 09:30:00", ""]
    # but the same characters typed as text are neutralised
    assert rows_of(exports.csv_file(("a",), [("-12.50",)])[0])[1] == ["'-12.50"]


def test_ordinary_chinese_text_is_untouched():
    text = ("王秀英", "徐州市云龙区彭城街道", "3203**********1234", "职工医保", "0516-83801234", "A-1", "")
    data, _ = exports.workbook("表", ("a",) * len(text), [text])
    cells = next(sheet_of(data).iter_rows(min_row=2))
    assert [c.value for c in cells] == [*text[:-1], None] and not any(c.quotePrefix for c in cells)
    assert rows_of(exports.csv_file(("a",) * len(text), [text])[0])[1] == list(text)


def test_every_csv_field_is_quoted_so_none_spills_into_the_next_cell():
    data, _ = exports.csv_file(("户名",), [('a;=1+1,"b"',)])
    assert data.decode("utf-8-sig").splitlines()[1] == '"a;=1+1,""b"""'
    assert data.startswith("\ufeff".encode()) and not exports.csv_file(("a",), [], bom=False)[0].startswith(b"\xef")


def test_a_control_character_in_old_data_does_not_fail_the_export():
    cell = sheet_of(exports.workbook("表", ("a",), [("王\x01秀英",)])[0])["A2"]
    assert cell.value == "王\ufffd秀英"


def test_what_excel_exports_read_back_through_an_import_is_what_was_written(tmp_path):
    """The catalogue's export is edited and imported again: neutralising must not change a value."""
    columns = (Column("code", "编码", True), Column("name", "名称", False))
    path = tmp_path / "t.xlsx"
    path.write_bytes(exports.workbook("表", [c.header for c in columns], [(f"C{i}", p) for i, p in enumerate(PAYLOADS)])[0])
    names = [values["name"] for _, values in read_table(path, columns)]
    assert names == [p.replace("\r", "\n").strip() for p in PAYLOADS]  # the reader strips blanks, as for any cell


def test_an_import_template_has_bold_headers_and_a_sheet_of_notes():
    columns = (Column("id_number", "证件号码", True, "18位"), Column("name", "姓名", False, "=不是公式"))
    wb = load_workbook(io.BytesIO(exports.import_template(columns, "参保名单")))
    ws, notes = wb["参保名单"], wb["填写说明"]
    assert [c.value for c in ws[1]] == ["证件号码", "姓名"] and all(c.font.b for c in ws[1])
    assert ws.column_dimensions["A"].width == 12 and notes.column_dimensions["C"].width == 80
    # the notes are for people: the column, whether it is required and what it takes, no code
    assert [c.value for c in notes[3]] == ["姓名", "否", "=不是公式"] and notes["C3"].data_type == "s"


def test_a_download_is_an_attachment_with_a_safe_file_name():
    response = exports.attachment(b"x", 'arrears-2025"; x=".xlsx')
    assert response["Content-Type"] == exports.XLSX
    assert response["Content-Disposition"] == 'attachment; filename="arrears-2025___x__.xlsx"'
    assert exports.attachment(b"x", "BF1.csv")["Content-Type"] == "text/csv; charset=utf-8"


SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_both_formats_without_evaluating_anything(tmp_path):
    """LibreOffice evaluates formulas when it opens a file (it computes a formula openpyxl wrote with no
    cached value, and any `=…` field of a CSV); what the writer makes must come out unevaluated."""
    rows = [(p, Decimal("-12.50")) for p in PAYLOADS]
    (tmp_path / "x.xlsx").write_bytes(exports.workbook("表", ("名称", "金额"), rows)[0])
    (tmp_path / "c.csv").write_bytes(exports.csv_file(("名称", "金额"), rows)[0])
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run([SOFFICE, "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76",
                    "--outdir", str(tmp_path / "from-xlsx"), str(tmp_path / "x.xlsx")],
                   check=True, capture_output=True, env=env, timeout=120)
    subprocess.run([SOFFICE, "--headless", "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx",
                    "--outdir", str(tmp_path / "from-csv"), str(tmp_path / "c.csv")],
                   check=True, capture_output=True, env=env, timeout=120)
    shown = rows_of((tmp_path / "from-xlsx" / "x.csv").read_bytes())[1:]
    assert [r[0] for r in shown] == [p.replace("\r", "\n") for p in PAYLOADS] and {r[1] for r in shown} == {"-12.50"}
    ws = load_workbook(tmp_path / "from-csv" / "c.xlsx").worksheets[0]
    cells = [(a, b) for a, b in ws.iter_rows(min_row=2)]
    assert all(a.data_type == "s" for a, _ in cells), [a.value for a, _ in cells if a.data_type != "s"]
    assert [a.value.lstrip("'") for a, _ in cells] == [p.replace("\r", "\n") for p in PAYLOADS]
    assert {b.value for _, b in cells} == {-12.5}  # the amount is read as a number
