"""Every PDF, Excel and CSV file a role downloads from its pages in the demo speaks Chinese as the
pages do: the crawler's checks (tests/core/crawl.py: no English, code, enum value, parameter key,
Python value, file path or Latin region code; no number with more than two decimals; amounts with
thousands separators; no time in UTC's ISO form) run on each file's text, and an Excel file's
numbers and dates must be typed as people read them. The crawl follows each demo account's
navigation and the links of its pages (one of each kind); the arrears list is reached as a person
reaches it, by asking for a year.

What is read:
- PDF: the text of every page (pypdf) and the title a viewer shows.
- Excel: every cell of every sheet, the header rows with the data. A number that is an amount (any
  number written with decimals) must have the format `#,##0.00`, or `0.00%` for a share; a date or
  time must be a date cell with a date format, never text like 2026-12-07 or 2026-12-07T12:00.
- CSV: every field.

What is not a file "for people", and why:
- The bank file (settlement:bank_file) is read by the bank's system: its layout is the bank's.
  Account numbers are its content, and an amount is written `2944.80`, without thousands separators,
  since a comma inside an amount is what such importers split on. Its headers, names and remarks
  are still read by the clerk who sends it, so every other check holds.
- The materials and evidence people uploaded (assessment:material, supervision:case_evidence) are
  given back as they were uploaded: their text is the uploader's, not the platform's.

KNOWN would list an export still to be cleaned, with why; anything else found fails. It is empty."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ltci.core.nav import items_for

from .crawl import Crawl, analyze, crawl_as, demo_users, problems_in

# A scale-scored region (徐州) and Shanghai's (长宁, grades from the municipal assessment).
REGIONS = ["xuzhou", "changning"]
# Every kind of file the platform writes for people (views), each of which the crawl must reach.
EXPORT_KINDS = {
    "assessment:certificate": "评估结论通知书（PDF）",
    "fund:disclosure_pdf": "基金收支公示（PDF）",
    "settlement:claim_pdf": "结算单（PDF）",
    "settlement:person_pdf": "待遇结算告知单（PDF）",
    "settlement:bank_file": "银行代发文件（CSV）",
    "enrolment:person_export": "参保人（Excel）",
    "enrolment:roster_template": "参保名单导入模板（Excel）",
    "contributions:arrears_export": "欠费名单（Excel）",
    "contributions:payment_export": "缴费记录（Excel）",
    "contributions:payment_template": "缴费记录导入模板（Excel）",
    "providers:catalogue_export": "服务项目目录（Excel）",
    "audit:event_export": "审计日志（Excel）",
    "job_report": "任务报告（Excel）",
    "fund:projection_xlsx": "基金收支预测（Excel）",
    "fund:projection_pdf": "基金收支预测报告（PDF）",
    "fund:trial_xlsx": "政策草案试算对比（Excel）",
}
UPLOADED = {"assessment:material", "supervision:case_evidence"}
# Checks a machine-read file is exempt from (see the docstring).
MACHINE_LAYOUT = {"settlement:bank_file": {"金额缺千分位"}}
# (view, kind of problem): why it is still there.
KNOWN: dict[tuple[str, str], str] = {}

AMOUNT_FORMATS = ("#,##0.00", "0.00%")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:[+-]\d{2}:\d{2}|Z)?)?")


def pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    title = (reader.metadata or {}).get("/Title", "")
    return "\n".join([f"标题：{title}", *(page.extract_text() for page in reader.pages)])


def excel_problems(body: bytes, view: str) -> list[tuple[str, str]]:
    from openpyxl import load_workbook

    found = []
    for ws in load_workbook(io.BytesIO(body)).worksheets:
        for kind, text in problems_in(ws.title, view):
            found.append((kind, f"工作表名 {text}"))
        for row in ws.iter_rows():
            for cell in row:
                where, value = f"{ws.title}!{cell.coordinate}", cell.value
                if isinstance(value, str):
                    found += [(kind, f"{where} {text}") for kind, text in problems_in(value, view)]
                    if ISO_DATE.fullmatch(value.strip()):
                        found.append(("日期写成文本", f"{where} {value}"))
                elif isinstance(value, (datetime, date, time)):
                    if not cell.is_date:
                        found.append(("日期没有日期格式", f"{where} {value} {cell.number_format}"))
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    decimals = isinstance(value, float) and value != int(value) or "0.0" in cell.number_format
                    if decimals and cell.number_format not in AMOUNT_FORMATS:
                        found.append(("金额格式不是#,##0.00", f"{where} {value} {cell.number_format}"))
    return found


def csv_problems(body: bytes, view: str) -> list[tuple[str, str]]:
    found = []
    for n, row in enumerate(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")), start=1):
        for field in row:
            found += [(kind, f"第{n}行 {text}") for kind, text in problems_in(field, view)]
    return found


def problems_of(download) -> list[tuple[str, str]]:
    if download.content_type.startswith("application/pdf"):
        found = problems_in(pdf_text(download.body), download.view)
    elif download.content_type.startswith("text/csv"):
        found = csv_problems(download.body, download.view)
    else:
        found = excel_problems(download.body, download.view)
    exempt = MACHINE_LAYOUT.get(download.view, set())
    return [(kind, text) for kind, text in found if kind not in exempt]


def searches(user) -> list[str]:
    """Lists shown only once a person asks: the arrears of this year."""
    arrears = reverse("contributions:arrears")
    return [f"{arrears}?period={timezone.localdate().year}" for item in items_for(user) if item["url"] == arrears]


def test_every_roles_exports_speak_chinese(db, settings, capsys):
    settings.DEMO_MODE = True  # the demo's accounts log in in demo mode only
    call_command("demo", region=REGIONS, insured=20, seed=2026)
    analyze()
    downloads, crawl = [], Crawl()
    for user in demo_users():
        crawl_as(user, crawl, downloads=downloads, start=searches(user))
    files = [d for d in downloads if d.view not in UPLOADED]
    found, count = {}, 0
    for d in files:
        for kind, text in problems_of(d):
            count += 1
            found.setdefault((d.view, kind), (d.user, d.url, text))
    unexpected = {k: v for k, v in found.items() if k not in KNOWN}
    kinds = {d.view for d in files}
    with capsys.disabled():
        print(f"\nchecked {len(files)} files of {len(kinds)} kinds as {len(demo_users())} accounts: {count} problems "
              f"in {len(found)} (kind of file, problem), {len(unexpected)} not yet known")
    assert kinds >= EXPORT_KINDS.keys(), f"not reached: {[EXPORT_KINDS[k] for k in EXPORT_KINDS.keys() - kinds]}"
    assert kinds <= EXPORT_KINDS.keys(), f"a kind of file this test does not know: {kinds - EXPORT_KINDS.keys()}"
    assert not unexpected, "\n".join(f"{v} {k}: {u} {url} …{t}…" for (v, k), (u, url, t) in unexpected.items())
