"""The export injection test (a standing check of issue 15).

Text a spreadsheet would run as a formula is planted in everything the exports show (names, districts,
audit actors and objects, import report reasons, catalogue names, bank account names, references),
then every export is downloaded through its page and its API endpoint by a user allowed to: no cell
may be a live formula, and every planted text must come out as the text it was (in Excel a text cell
with the quote prefix; in CSV behind an apostrophe). Two more tests keep the table complete: every
download route of the URL conf and of the API must be in it, and no module but `ltci/core/exports.py`
may write a spreadsheet or build a download.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import URLResolver, get_resolver, resolve
from openpyxl import load_workbook

from ltci.accounts.roles import (
    AUDIT_EXPORT,
    CONTRIBUTION_EXPORT,
    JOB_VIEW,
    PAYMENT_MAKE,
    PAYMENT_RECORD,
    PROJECTION_VIEW,
    PERSON_EXPORT,
    PERSON_IMPORT,
    PERSON_VIEW_ID,
    REGION_VIEW,
    ROLE_PERMISSIONS,
    ROLE_REACH,
    Reach,
    Role,
)
from ltci.audit.models import Action, Outcome
from ltci.audit.recorder import record
from ltci.contributions.models import Bill
from ltci.contributions.models import Payment as Contribution
from ltci.core.models import IssueKind, Job, JobIssue, JobKind, JobStatus
from ltci.providers.models import CatalogueItem
from ltci.settlement.models import Payment as Transfer
from ltci.settlement.models import PaymentBatch
from tests.conftest import make_person

# What Excel, WPS and LibreOffice may take for the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
PAYLOADS = ('=HYPERLINK("http://x","y")', "=1+1", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\n=1")


@dataclass
class Planted:
    job: int  # an import whose report carries the payloads
    batch: int  # a payment batch whose bank file carries them
    projection: int = 1  # a fund projection (its workbook shows no one's text)
    trial: int = 1  # a re-billing under a draft, whose workbook lists the planted people (billed, not enrolled)


def plant(w) -> Planted:
    """The payloads in the home region's data, one row each, wherever an export shows text."""
    region, clerk = w.region, w.users[Role.CLERK]
    people = []
    for i, text in enumerate(PAYLOADS):
        person = make_person(region, 100 + i, name=text)
        person.district = text
        person.save(update_fields=["district"])
        people.append(person)
    billing = Job.objects.create(kind=JobKind.BILLING, region=region, title="2025", status=JobStatus.DONE)
    for i, (person, text) in enumerate(zip(people, PAYLOADS)):
        Bill.objects.create(region=region, person=person, period="2025", due_date=date(2025, 12, 31),
                            individual=Decimal("100.00"), total=Decimal("100.00"), job=billing)
        Contribution.objects.create(region=region, person=person, period="2025", payer="individual",
                                    channel="personal_account", amount=Decimal("10.00"), reference=text,
                                    paid_on=date(2025, 3, 1))
        record(Action.LOGIN_FAILED, object_type_="accounts.user", object_id=text, object_repr=text,
               actor_name=text, region=region.pk, outcome=Outcome.FAILURE)
    report = Job.objects.create(kind=JobKind.ROSTER_IMPORT, region=region, title="roster.csv",
                                status=JobStatus.DONE, message=PAYLOADS[0])
    JobIssue.objects.bulk_create(JobIssue(job=report, kind=IssueKind.REJECTED, row=i + 2, column=text, reason=text,
                                          person=person) for i, (person, text) in enumerate(zip(people, PAYLOADS)))
    items = CatalogueItem.objects.filter(region=region).order_by("code")[:len(PAYLOADS)]
    for item, text in zip(list(items), PAYLOADS):
        CatalogueItem.objects.filter(pk=item.pk).update(name=text, national_code=text[:16])
    batch = PaymentBatch.objects.create(region=region, number="BF20250410-xuzhou-0001", paid_on=date(2025, 4, 10),
                                        total=Decimal("100.00") * len(PAYLOADS), payees=len(PAYLOADS),
                                        created_by=clerk)
    Transfer.objects.bulk_create(Transfer(batch=batch, payee_kind="institution", institution=w.institution,
                                          account_name=text, bank=text, account_number="6222021234567890",
                                          amount=Decimal("100.00"), reference=text) for text in PAYLOADS)
    from ltci.fund.drafts import current_text
    from ltci.fund.projections import start_projection
    from ltci.fund.trials import start_trial

    projection = start_projection(region, on=date(2025, 6, 1), years=1, runs=1)
    trial = start_trial(region, kind="rebill", target="2025", draft_text=current_text(region.pk, date(2025, 1, 1)))
    return Planted(job=report.pk, batch=batch.pk, projection=projection.pk, trial=trial.pk)


@dataclass(frozen=True)
class Export:
    name: str
    url: Callable[[Planted], str]
    needs: tuple[str, ...]  # the permissions of the user who downloads it
    shows_payloads: bool = True  # an import template shows only its own headers


EXPORTS = (
    Export("参保人名单（页面）", lambda p: "/persons/export.xlsx", (PERSON_EXPORT,)),
    Export("参保人名单（接口）", lambda p: "/api/persons/export", (PERSON_EXPORT,)),
    Export("参保人名单·完整证件号码（接口）", lambda p: "/api/persons/export?full_ids=true",
           (PERSON_EXPORT, PERSON_VIEW_ID)),
    Export("审计日志（页面）", lambda p: "/audit/export.xlsx", (AUDIT_EXPORT,)),
    Export("审计日志（接口）", lambda p: "/api/audit/events/export", (AUDIT_EXPORT,)),
    Export("导入任务报告（页面）", lambda p: f"/jobs/{p.job}/report.xlsx", (JOB_VIEW,)),
    Export("欠费名单（页面）", lambda p: "/contributions/arrears/export.xlsx?period=2025", (CONTRIBUTION_EXPORT,)),
    Export("欠费名单（接口）", lambda p: "/api/contributions/arrears/export?period=2025", (CONTRIBUTION_EXPORT,)),
    Export("缴费记录（页面）", lambda p: "/contributions/payments/export.xlsx", (CONTRIBUTION_EXPORT,)),
    Export("服务项目目录（页面）", lambda p: "/institutions/catalogue/export.xlsx", (REGION_VIEW,)),
    Export("参保名单导入模板（页面）", lambda p: "/persons/import/template.xlsx", (PERSON_IMPORT,), False),
    Export("缴费记录导入模板（页面）", lambda p: "/contributions/payments/import/template.xlsx", (PAYMENT_RECORD,),
           False),
    Export("银行代发文件（页面）", lambda p: f"/settlement/payments/{p.batch}/bank-file.csv", (PAYMENT_MAKE,)),
    Export("银行代发文件（接口）", lambda p: f"/api/settlement/payment-batches/{p.batch}/bank-file", (PAYMENT_MAKE,)),
    Export("基金收支预测（页面）", lambda p: f"/fund/projections/{p.projection}.xlsx", (PROJECTION_VIEW,), False),
    Export("政策草案试算对比（页面）", lambda p: f"/fund/trials/{p.trial}.xlsx", (PROJECTION_VIEW,)),
)


def role_for(needs: tuple[str, ...]) -> Role:
    """A role of the whole region holding the permissions (the table of roles decides, not this test)."""
    return next(r for r in Role if ROLE_REACH[r] == Reach.REGION and set(needs) <= ROLE_PERMISSIONS[r])


def _xml_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")  # XML reads every line end as a line feed


def texts_of_xlsx(name: str, content: bytes) -> set[str]:
    """The text of every cell, after checking none would run: no formula, and text that looks like one
    is marked as text (the quote prefix, as Excel marks text typed after an apostrophe)."""
    texts = set()
    for ws in load_workbook(io.BytesIO(content)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                where = f"{name} {ws.title}!{cell.coordinate}"
                assert cell.data_type != "f", f"{where} is a live formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    if cell.value.startswith(FORMULA_STARTS):
                        assert cell.data_type == "s" and cell.quotePrefix, f"{where} is not marked as text: {cell.value!r}"
                    texts.add(cell.value)
    return texts


def texts_of_csv(name: str, content: bytes) -> set[str]:
    """Every field, after checking that none begins like a formula unless it is a number."""
    texts = set()
    for n, row in enumerate(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")), start=1):
        for field in row:
            if field.startswith(FORMULA_STARTS):
                try:
                    Decimal(field)
                except InvalidOperation:
                    pytest.fail(f"{name} row {n}: {field!r} begins like a formula")
            texts.add(field)
    return texts


@pytest.mark.parametrize("export", EXPORTS, ids=[e.name for e in EXPORTS])
def test_no_export_writes_a_formula(export, world, client_for):
    home = world["home"]
    planted = plant(home)
    user = home.users[role_for(export.needs)]
    response = client_for(user).get(export.url(planted))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Disposition"].startswith("attachment;")
    if response["Content-Type"].startswith("text/csv"):
        texts = texts_of_csv(export.name, response.content)
        expected = {"'" + text for text in PAYLOADS}
    else:
        texts = texts_of_xlsx(export.name, response.content)
        expected = {_xml_text(text) for text in PAYLOADS}
    if export.shows_payloads:  # the planted text came through, whole and as it was typed
        assert expected <= texts, sorted(expected - texts)


# ---- keeping the table complete ---------------------------------------------------------------

# A route is a download if its path, name or summary says so; every one must be in EXPORTS.
DOWNLOAD = re.compile(r"export|\.xlsx|\.csv|bank.file|template|report|excel|csv|导出|下载|download", re.I)


def _page_routes(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _page_routes(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p.name or ""


def _tested_routes() -> set[str]:
    planted = Planted(job=1, batch=1)
    return {resolve(urlsplit(e.url(planted)).path).route for e in EXPORTS}


def test_every_download_page_and_endpoint_is_in_the_table():
    tested = _tested_routes()
    pages = {route for route, name in _page_routes(get_resolver().url_patterns)
             if not route.startswith(("admin/", "api/")) and (DOWNLOAD.search(route) or DOWNLOAD.search(name))}
    assert pages and pages <= tested, f"downloads missing from EXPORTS: {sorted(pages - tested)}"

    from ltci.api import api

    missing = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        op = operations.get("get")
        if op and (DOWNLOAD.search(path) or DOWNLOAD.search(op.get("summary", ""))):
            route = re.sub(r"\{(\w+)\}", r"<\1>", path.lstrip("/"))
            if not any(t.replace("<int:", "<") == route for t in tested):
                missing.append(path)
    assert not missing, f"API downloads missing from EXPORTS: {missing}"


LTCI = Path(__file__).resolve().parents[2] / "ltci"
WRITER = LTCI / "core" / "exports.py"
# What writes a spreadsheet or builds a download by hand.
BYPASS = re.compile(r"from openpyxl\S* import .*\b(Workbook|WriteOnlyCell)\b|openpyxl\.Workbook|"
                    r"csv\.(writer|DictWriter)\s*\(|xlsxwriter|\.to_(excel|csv)\s*\(|\.write_(excel|csv)\s*\(|"
                    r"text/csv|spreadsheetml|attachment;|as_attachment\s*=\s*True")


def test_no_module_but_the_writer_writes_a_spreadsheet_or_a_download():
    found = []
    for path in sorted(LTCI.rglob("*.py")):
        if path == WRITER or "migrations" in path.parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if BYPASS.search(line):
                found.append(f"{path.relative_to(LTCI.parent)}:{n}: {line.strip()}")
    assert not found, "write exports through ltci.core.exports:\n" + "\n".join(found)
