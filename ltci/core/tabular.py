"""Reading the tables bureaus send (Excel or CSV), one row at a time, whatever their size.

Rows are numbered as the spreadsheet shows them: the header is row 1, the first data row 2, so a
clerk finds a rejected row where the report says it is. (Writing tables, import templates included,
is `ltci.core.exports`.)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class Column:
    key: str  # the English code, accepted as a header too
    header: str  # the Chinese header of the template
    required: bool
    help: str = ""


def _cell(value) -> str | date:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores long digit strings typed as numbers this way
    return str(value).strip()


def _csv_text(path: Path) -> io.TextIOBase:
    """UTF-8 (with or without BOM) or, as Chinese Excel saves CSV, GB 18030."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    try:
        head.decode("utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as exc:
        encoding = "gb18030" if exc.start < len(head) - 4 else "utf-8-sig"  # a cut multibyte char at the end
    return path.open("r", encoding=encoding, newline="")


def _raw_rows(path: Path) -> Iterator[list]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with _csv_text(path) as fh:
            yield from csv.reader(fh)
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise ValidationError({"file": f"无法读取Excel文件：{exc}"}) from None
        try:
            yield from wb.worksheets[0].iter_rows(values_only=True)
        finally:
            wb.close()
    else:
        raise ValidationError({"file": "只接受 .xlsx 或 .csv 文件"})


def read_table(path: Path, columns: tuple[Column, ...]) -> Iterator[tuple[int, dict]]:
    """(row number, {key: value}) for every non-empty data row; a missing required column is an error."""
    rows = _raw_rows(Path(path))
    try:
        header = next(rows)
    except StopIteration:
        raise ValidationError({"file": "文件为空"}) from None
    except UnicodeDecodeError:
        raise ValidationError({"file": "文件编码无法识别（应为UTF-8或GB18030）"}) from None
    by_name = {c.header: c.key for c in columns} | {c.key: c.key for c in columns}
    keys = [by_name.get(str(h).strip() if h is not None else "") for h in header]
    missing = [c.header for c in columns if c.required and c.key not in keys]
    if missing:
        raise ValidationError({"file": f"缺少必需的列：{'、'.join(missing)}"})
    number = 1
    try:
        for number, raw in enumerate(rows, start=2):
            values = {k: _cell(v) for k, v in zip(keys, raw) if k}
            if any(v != "" for v in values.values()):
                yield number, values
    except UnicodeDecodeError:
        raise ValidationError({"file": f"第{number + 1}行附近的文字编码无法识别（文件应为UTF-8或GB18030）"}) from None
    except csv.Error as exc:
        raise ValidationError({"file": f"第{number + 1}行不是有效的CSV：{exc}"}) from None


def cell_problem(values: dict) -> tuple[str, str] | None:
    """(column code, reason) of the first cell of a row that holds a control character (NUL and the
    like: the database may refuse them, and nobody means them), or None."""
    from .edge import text_problem

    # One search of the whole row (a space between cells is harmless); the cells only when it finds one.
    if text_problem(" ".join(v for v in values.values() if isinstance(v, str))) is None:
        return None
    for key, value in values.items():
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                return key, problem
    return None
