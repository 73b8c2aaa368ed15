"""Writing every table people download, Excel or CSV: one writer, so that no cell runs as a formula.

A text cell that begins with `=`, `+`, `-`, `@`, a tab, a carriage return or a line feed is what
Excel, WPS and LibreOffice take for a formula (some after trimming the blank), so a name like
`=HYPERLINK(...)` typed into a form would run on the desk of whoever opens the export. Such text is
neutralised here and nowhere else (docs/decisions/0014-exports.md):

- Excel: an explicit text cell carrying the quote prefix Excel itself sets for text typed after an
  apostrophe. It shows exactly as typed and stays text when someone edits it; reading the file back
  gives the original value (the catalogue's export is read back by its import).
- CSV has no types: the text gets a leading apostrophe (OWASP's recommendation), which spreadsheets
  show and never evaluate; every field is quoted, so no field can spill into the next cell.

Numbers (int, Decimal) and dates are not text and stay what they are: a negative amount is a number.
Workbooks are write-only and rows are taken from iterators: memory does not grow with the rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook as _OpenpyxlWorkbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# What a spreadsheet may read as the start of a formula (OWASP's list, and the line feed, which some
# spreadsheets trim like the carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Characters XML cannot hold: openpyxl refuses them, which would fail a whole export for one old row.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
_CONTENT_TYPES = {".xlsx": XLSX, ".csv": CSV}
_BOLD = Font(bold=True)
_FILENAME_UNSAFE = re.compile(r"[^0-9A-Za-z._-]")


def _naive(value: datetime) -> datetime:
    """Excel has no time zones: an aware time is written as the wall clock in Asia/Shanghai."""
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


class Sheet:
    """A sheet of a workbook being written; rows go straight to disk as they are appended."""

    def __init__(self, ws):
        self._ws = ws
        self.rows = 0  # data rows appended (the header not counted)

    def _cell(self, value):
        if type(value) is not str:  # text is the common case: straight to it
            if isinstance(value, bool):
                return "是" if value else "否"
            if value is None or isinstance(value, (int, float)):
                return value
            if isinstance(value, Decimal):
                return self._decimal(value)
            if isinstance(value, datetime):
                return _naive(value)
            if isinstance(value, (date, time)):
                return value
            value = str(value)
        if _ILLEGAL.search(value):
            value = _ILLEGAL.sub("\ufffd", value)
        if value.startswith(FORMULA_STARTS) or value in ERROR_CODES:
            cell = WriteOnlyCell(self._ws, value)
            cell.data_type = "s"  # openpyxl made `=…` a formula and `#N/A` an error: text it is
            cell.quotePrefix = True
            return cell
        return value

    def _decimal(self, value: Decimal):
        """Amounts stay numbers and show as people write them: two places and thousands separators
        (12.50, 1,234.50); a number with more places shows them all."""
        places = -value.as_tuple().exponent if value.is_finite() else 0
        if places <= 0:
            return value
        cell = WriteOnlyCell(self._ws, value)
        cell.number_format = "#,##0." + "0" * max(places, 2)
        return cell

    def append(self, values: Iterable) -> None:
        self._ws.append([self._cell(v) for v in values])
        self.rows += 1

    def _header(self, values: Iterable) -> None:
        cells = []
        for value in values:
            cell = self._cell(value)
            cell = cell if isinstance(cell, Cell) else WriteOnlyCell(self._ws, cell)
            cell.font = _BOLD
            cells.append(cell)
        self._ws.append(cells)

    def extend(self, rows: Iterable[Iterable]) -> int:
        for row in rows:
            self.append(row)
        return self.rows


class Workbook:
    """A write-only Excel workbook whose every cell is safe to open."""

    def __init__(self):
        self._wb = _OpenpyxlWorkbook(write_only=True)

    def sheet(self, title: str, header: Sequence[str] | None = None, *,
              widths: Sequence[int | None] = ()) -> Sheet:
        ws = self._wb.create_sheet(title)
        for i, width in enumerate(widths, start=1):
            if width:
                ws.column_dimensions[get_column_letter(i)].width = width
        sheet = Sheet(ws)
        if header is not None:
            sheet._header(header)
        return sheet

    def save(self) -> bytes:
        out = io.BytesIO()
        self._wb.save(out)
        return out.getvalue()


def workbook(title: str, header: Sequence[str], rows: Iterable[Iterable]) -> tuple[bytes, int]:
    """A one-sheet workbook written row by row, and how many data rows it has."""
    wb = Workbook()
    n = wb.sheet(title, header).extend(rows)
    return wb.save(), n


def csv_field(value) -> str:
    """One CSV field: numbers and dates as they are, text with an apostrophe if it could run."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime):
        return _naive(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (date, time)):
        return value.isoformat()
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_file(header: Sequence[str], rows: Iterable[Iterable], *, bom: bool = True) -> tuple[bytes, int]:
    """A CSV file (UTF-8, with the byte-order mark Excel needs to read it as UTF-8 unless bom=False),
    and how many data rows it has."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([csv_field(h) for h in header])
    n = 0
    for row in rows:
        writer.writerow([csv_field(v) for v in row])
        n += 1
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode("utf-8"), n


def attachment(data: bytes, filename: str) -> HttpResponse:
    """The HTTP answer that downloads an export (.xlsx or .csv) under its file name (which may carry
    a value from the query string, such as a period: anything but letters, digits, `.`, `_` and `-`
    becomes `_`)."""
    filename = _FILENAME_UNSAFE.sub("_", filename)
    suffix = filename[filename.rfind("."):].lower()
    response = HttpResponse(data, content_type=_CONTENT_TYPES[suffix])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def import_template(columns, title: str) -> bytes:
    """The Excel template of an import (`ltci.core.tabular.Column`s): the headers, and a second sheet
    saying what each column takes."""
    wb = Workbook()
    wb.sheet(title, [c.header for c in columns], widths=[max(12, len(c.header) * 2 + 4) for c in columns])
    notes = wb.sheet("填写说明", ["列名", "必填", "说明"], widths=[None, None, 80])
    notes.extend((c.header, "是" if c.required else "否", c.help) for c in columns)
    return wb.save()
