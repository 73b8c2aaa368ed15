"""Every field where a person types money, through the API, on the pages and in imported files:
`1e9`, `1e6`, `-5`, `0.001`, `NaN`, `Infinity`, words and an amount above the kind's maximum are
refused with the field and the reason in Chinese, and change nothing; a sensible amount then goes
through, so the refusal was the amount's.

The tables below are checked against the platform: every money property of the OpenAPI schema
(marked `x-money` by ltci.core.money.MoneyText; a property named like money or typed as a number
must be one) and every money input of the templates must have a row here, so a new money field
fails this file until it is added and tested."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import pytest
from openpyxl import Workbook

from ltci.accounts.roles import Role
from ltci.api import api
from ltci.contributions.billing import start_billing
from ltci.contributions.models import Bill, Payment as ContributionPayment
from ltci.contributions.payments import CHANNEL_PAYERS
from ltci.core import money
from ltci.core.models import IssueKind
from ltci.dualcontrol.models import Request
from ltci.enrolment.idcard import make_id_number
from ltci.enrolment.models import Enrolment, Person
from ltci.fund.budget import set_budget
from ltci.fund.models import Budget, Fee, Journal, Posting
from ltci.fund.services import Entry, post
from ltci.providers.models import AgreedPrice, Agreement, CatalogueItem
from ltci.supervision.models import Sanction

from tests.confirming import confirmed_post
from tests.supervision.support import *  # noqa: F401,F403  (fixtures: a confirmed case on settled months)

pytestmark = pytest.mark.django_db
D = Decimal

# What is typed, and the words the refusal must hold.
BAD = {"1e9": "科学计数法", "1e6": "科学计数法", "-5": "不能为负数", "0.001": "最多两位小数", "NaN": "应为金额数字",
       "Infinity": "应为金额数字", "abc": "应为金额数字"}
WATCHED = (Budget, Fee, Journal, Posting, ContributionPayment, Enrolment, AgreedPrice, Agreement, Sanction, Request,
           CatalogueItem, Person)


def snapshot() -> dict:
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in WATCHED}


def typed_values(kind: money.Kind) -> dict[str, str]:
    """Each bad input with what its refusal says; one cent above the kind's maximum among them."""
    return BAD | {f"{kind.maximum + D('0.01')}": "超过上限"}


@pytest.fixture
def w(confirmed, settled, people):
    """The world's Xuzhou with a confirmed case, money in the bank and a budget, a person billed for
    2025, a person not enrolled yet and an agreement of the care home."""
    region = settled.region
    post(region_id=region.pk, key="money:income", posted_on=date(2025, 1, 5), kind="test", memo="缴费", source=region,
         entries=[Entry("1002", debit=D("50000.00")), Entry("4101", credit=D("50000.00"))])
    set_budget(region.pk, 2025, {"5201": "20000.00", "5202": "20000.00"}, None)
    start_billing(region, "2025")
    bill = Bill.objects.filter(person=settled.other_person, period="2025").first()
    payer = next(p for p in ("individual", "employer", "medical_fund", "fiscal") if getattr(bill, p) > 0)
    channel = next(c for c, payers in CHANNEL_PAYERS.items() if payer in payers)
    unenrolled = Person.objects.create(region=region, id_number=make_id_number("320311", date(1970, 5, 5), 77, "M"),
                                       name="周建平", sex="M", birth_date=date(1970, 5, 5), district="测试街道")
    agreement = Agreement.objects.create(institution=settled.institution, number="XZ-MONEY-1", start=date(2024, 1, 1),
                                         end=date(2027, 12, 31), modes=["institution_care"], signed_on=date(2024, 1, 1))
    return SimpleNamespace(home=settled, case=confirmed, billed=settled.other_person, payer=payer, channel=channel,
                           unenrolled=unenrolled, agreement=agreement, users=settled.users)


def _registration(category: str, **money_fields) -> dict:
    """A counter registration (参保登记) in Xuzhou, valid but for the amount typed."""
    return {"id_number": make_id_number("320311", date(1995, 5, 5), 61, "F"), "name": "赵丽", "district": "泉山区",
            "scheme": "employee", "category": category, "start": "2024-01-01", **money_fields}


# The API ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ApiMoney:
    method: str
    path: str  # as the OpenAPI schema names it
    field: str  # the property as the schema walk names it (`lines.*`: any key of `lines`)
    error_field: str  # the field the 422 names
    role: str
    kind: money.Kind
    url: Callable
    body: Callable  # (world, typed) → the request body
    good: str  # an amount that goes through

    def __str__(self):
        return f"{self.method} {self.path} {self.field} ({self.kind.label})"


API_MONEY = [
    ApiMoney("put", "/api/fund/budget", "lines.*", "lines", Role.BUREAU_ADMIN, money.BUDGET_LINE,
             lambda w: "/api/fund/budget", lambda w, v: {"year": 2025, "lines": {"5201": v}}, "30000.00"),
    ApiMoney("post", "/api/fund/fees", "amount", "amount", Role.BUREAU_ADMIN, money.FEE,
             lambda w: "/api/fund/fees",
             lambda w, v: {"kind": "assessment", "amount": v, "on": "2025-03-03", "memo": "评估费"}, "10.00"),
    ApiMoney("post", "/api/contributions/payments", "amount", "amount", Role.CLERK, money.CONTRIBUTION_PAYMENT,
             lambda w: "/api/contributions/payments",
             lambda w, v: {"person_id": w.billed.pk, "period": "2025", "payer": w.payer, "channel": w.channel,
                           "amount": v, "reference": "MONEY-1", "paid_on": "2025-02-01"}, "1.00"),
    ApiMoney("post", "/api/persons/{person_id}/enrolments", "contribution_base", "contribution_base", Role.CLERK,
             money.CONTRIBUTION_BASE, lambda w: f"/api/persons/{w.unenrolled.pk}/enrolments",
             lambda w, v: {"scheme": "employee", "category": "in_service", "start": "2024-01-01",
                           "contribution_base": v}, "6000.00"),
    ApiMoney("post", "/api/persons/{person_id}/enrolments", "pension", "pension", Role.CLERK, money.PENSION,
             lambda w: f"/api/persons/{w.unenrolled.pk}/enrolments",
             lambda w, v: {"scheme": "employee", "category": "retired", "start": "2024-01-01", "pension": v},
             "3000.00"),
    ApiMoney("post", "/api/persons/register", "contribution_base", "contribution_base", Role.CLERK,
             money.CONTRIBUTION_BASE, lambda w: "/api/persons/register",
             lambda w, v: _registration("in_service", contribution_base=v), "6000.00"),
    ApiMoney("post", "/api/persons/register", "pension", "pension", Role.CLERK, money.PENSION,
             lambda w: "/api/persons/register", lambda w, v: _registration("retired", pension=v), "3000.00"),
    ApiMoney("post", "/api/agreements/{pk}/prices", "prices.*", "prices", Role.CLERK, money.AGREED_PRICE,
             lambda w: f"/api/agreements/{w.agreement.pk}/prices", lambda w, v: {"prices": {"SC06": v}}, "48.00"),
    ApiMoney("post", "/api/agreements/{pk}/prices", "prices.*", "prices", Role.CLERK, money.BED_DAY_PRICE,
             lambda w: f"/api/agreements/{w.agreement.pk}/prices", lambda w, v: {"prices": {"bed_day": v}}, "150.00"),
    ApiMoney("post", "/api/supervision/cases/{pk}/sanctions", "amount", "amount", Role.CLERK, money.FINE,
             lambda w: f"/api/supervision/cases/{w.case.pk}/sanctions",
             lambda w, v: {"kind": "fine", "reason": "违反服务协议", "amount": v}, "100.00"),
]


@pytest.mark.parametrize("entry", API_MONEY, ids=str)
def test_every_money_field_of_the_api_refuses_what_is_not_money_and_changes_nothing(w, client_for, entry):
    client = client_for(w.users[entry.role])
    before = snapshot()
    for typed, why in typed_values(entry.kind).items():
        r = getattr(client, entry.method)(entry.url(w), entry.body(w, typed), content_type="application/json")
        assert r.status_code == 422, (entry, typed, r.content)
        body = r.json()
        assert body["field"] == entry.error_field and why in body["message"], (entry, typed, body)
        # The same figure as a JSON number: a float is refused before it can be misread.
        number = _json_number(typed)
        if number is not None:
            r = getattr(client, entry.method)(entry.url(w), entry.body(w, number), content_type="application/json")
            assert r.status_code == 422 and r.json()["field"].startswith(entry.error_field), (entry, number, r.content)
            assert "金额须写成文本" in r.json()["message"] or why in r.json()["message"], r.json()
    assert snapshot() == before, entry
    r = getattr(client, entry.method)(entry.url(w), entry.body(w, entry.good), content_type="application/json")
    assert r.status_code in (200, 201), (entry, r.content)
    assert snapshot() != before


def _json_number(typed: str):
    """The same figure as a JSON number, where JSON has one: 1e9 and 0.001 as floats, -5 as an integer."""
    try:
        number = float(typed)
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return int(number) if typed.lstrip("-").isdigit() else number


def _api_money_properties() -> tuple[set, set]:
    """(money properties, properties that look like money) of every request body and parameter."""
    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]

    def resolve(s):
        while "$ref" in s:
            s = components[s["$ref"].split("/")[-1]]
        return s

    def is_money(s):
        s = resolve(s)
        return bool(s.get("x-money")) or any(is_money(m) for m in s.get("anyOf", []))

    def is_number(s):
        s = resolve(s)
        return s.get("type") == "number" or any(is_number(m) for m in s.get("anyOf", []))

    def walk(s, prefix, out):
        s = resolve(s)
        for m in s.get("anyOf", []) + s.get("allOf", []) + s.get("oneOf", []):
            walk(m, prefix, out)
        for name, prop in s.get("properties", {}).items():
            out.append((prefix + name, prop))
            walk(prop, prefix + name + ".", out)
        # A table of amounts: its values, whether its keys are free or patterned (ltci.core.edge).
        for values in [s.get("additionalProperties"), *(s.get("patternProperties") or {}).values()]:
            if isinstance(values, dict):
                out.append((prefix.rstrip(".") + ".*" if prefix else "*", values))
                walk(values, prefix + "*.", out)
        if s.get("type") == "array" and isinstance(s.get("items"), dict):
            walk(s["items"], prefix, out)

    found, suspects = set(), set()
    named = re.compile(r"amount|price|fee|fine|cost|base|pension|budget|money|yuan|wage|salary", re.I)
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            props = []
            for content in (op.get("requestBody") or {}).get("content", {}).values():
                walk(content["schema"], "", props)
            props += [(p["name"], p.get("schema", {})) for p in op.get("parameters", [])]
            for name, prop in props:
                key = (method, path, name)
                if is_money(prop):
                    found.add(key)
                elif (is_number(prop) or named.search(name.split(".")[-1])) and not any(
                        is_money(v) for v in [resolve(prop).get("additionalProperties") or {},
                                              *(resolve(prop).get("patternProperties") or {}).values()]):  # a table of amounts: its values are
                    suspects.add(key)
    return found, suspects


def test_the_api_table_covers_every_money_field():
    found, suspects = _api_money_properties()
    assert not suspects, f"these look like money but skip ltci.core.money.MoneyText: {sorted(suspects)}"
    assert found == {(e.method, e.path, e.field) for e in API_MONEY}, \
        f"add these money fields to API_MONEY: {sorted(found - {(e.method, e.path, e.field) for e in API_MONEY})}"


# The pages --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PageMoney:
    template: str  # where the input is
    name: str  # its name as the template writes it
    role: str
    kind: money.Kind
    url: Callable
    data: Callable  # (world, typed) → the form's data
    good: str
    asks: bool = False  # the step shows what it will do and waits for 确认

    def __str__(self):
        return f"{self.template} {self.name} ({self.kind.label})"


PAGE_MONEY = [
    PageMoney("fund/ledger.html", "line_{{ r.account }}", Role.BUREAU_ADMIN, money.BUDGET_LINE,
              lambda w: "/fund/budget", lambda w, v: {"year": "2025", "line_5201": v}, "30000.00"),
    PageMoney("fund/ledger.html", "amount", Role.BUREAU_ADMIN, money.FEE, lambda w: "/fund/fees",
              lambda w, v: {"kind": "assessment", "amount": v, "on": "2025-03-03", "memo": "评估费"}, "10.00", asks=True),
    PageMoney("enrolment/person_detail.html", "amount", Role.CLERK, money.CONTRIBUTION_PAYMENT,
              lambda w: f"/contributions/persons/{w.billed.pk}/payments",
              lambda w, v: {"period": "2025", "payer": w.payer, "channel": w.channel, "amount": v,
                            "reference": "MONEY-2", "paid_on": "2025-02-01"}, "1.00"),
    PageMoney("enrolment/person_detail.html", "contribution_base", Role.CLERK, money.CONTRIBUTION_BASE,
              lambda w: f"/persons/{w.unenrolled.pk}/enrol",
              lambda w, v: {"scheme": "employee", "category": "in_service", "start": "2024-01-01",
                            "contribution_base": v, "pension": ""}, "6000.00"),
    PageMoney("enrolment/person_detail.html", "pension", Role.CLERK, money.PENSION,
              lambda w: f"/persons/{w.unenrolled.pk}/enrol",
              lambda w, v: {"scheme": "employee", "category": "retired", "start": "2024-01-01",
                            "contribution_base": "", "pension": v}, "3000.00"),
    PageMoney("enrolment/register.html", "contribution_base", Role.CLERK, money.CONTRIBUTION_BASE,
              lambda w: "/persons/register/", lambda w, v: _registration("in_service", contribution_base=v, pension=""),
              "6000.00"),
    PageMoney("enrolment/register.html", "pension", Role.CLERK, money.PENSION,
              lambda w: "/persons/register/", lambda w, v: _registration("retired", contribution_base="", pension=v),
              "3000.00"),
    PageMoney("supervision/case_detail.html", "amount", Role.CLERK, money.FINE,
              lambda w: f"/supervision/cases/{w.case.pk}/action",
              lambda w, v: {"action": "sanction", "kind": "fine", "reason": "违反服务协议", "amount": v}, "100.00",
              asks=True),
]


@pytest.mark.parametrize("entry", PAGE_MONEY, ids=str)
def test_every_money_input_of_the_pages_refuses_what_is_not_money_and_changes_nothing(w, client_for, entry):
    client = client_for(w.users[entry.role])
    before = snapshot()
    for typed, why in typed_values(entry.kind).items():
        page = client.post(entry.url(w), entry.data(w, typed), follow=True).content.decode()
        assert why in page and entry.kind.label[:2] in page, (entry, typed)
    assert snapshot() == before, entry
    if entry.asks:  # a step that asks first changes nothing until confirmed (ltci.core.confirm)
        client.post(entry.url(w), entry.data(w, entry.good))
        assert snapshot() == before, entry
        confirmed_post(client, entry.url(w), entry.data(w, entry.good))
    else:
        client.post(entry.url(w), entry.data(w, entry.good))
    assert snapshot() != before


TEMPLATES = Path(__file__).resolve().parents[2] / "ltci"
INPUT = re.compile(r"<input\b[^>]*>", re.S)
NOT_MONEY = {"latitude", "longitude"}  # decimal inputs that are coordinates, not amounts


def _money_inputs() -> set[tuple[str, str]]:
    found = set()
    named = re.compile(r"amount|price|fee|fine|cost|base|pension|budget|money|yuan|line_", re.I)
    for path in TEMPLATES.glob("*/templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in INPUT.findall(text):
            name = re.search(r'name="([^"]*)"', tag)
            if name is None or name.group(1) in NOT_MONEY or re.search(r'type="(hidden|date|file|checkbox|radio)"', tag):
                continue
            if 'inputmode="decimal"' in tag or named.search(name.group(1)):
                found.add((path.as_posix().split("/templates/", 1)[1], name.group(1)))
    return found


def test_the_page_table_covers_every_money_input():
    found = _money_inputs()
    assert found == {(e.template, e.name) for e in PAGE_MONEY}, \
        f"add these money inputs to PAGE_MONEY: {sorted(found - {(e.template, e.name) for e in PAGE_MONEY})}"


# Imported files ---------------------------------------------------------------------------------

def _csv(tmp_path: Path, name: str, header: list[str], rows: list[list]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize("column, code, kind", [("缴费基数", "contribution_base", money.CONTRIBUTION_BASE),
                                                ("上年度月养老金", "pension", money.PENSION)])
def test_a_roster_with_a_bad_amount_imports_nothing(w, tmp_path, column, code, kind):
    from ltci.enrolment.roster import start_import

    values = typed_values(kind)
    rows = [[make_id_number("320311", date(1960, 1, 1), 40 + n, "M"), f"测试{n}", "泉山区", "职工医保", "在职职工",
             "2024-01-01", typed] for n, typed in enumerate(values)]
    before = snapshot()
    job = start_import(_csv(tmp_path, "roster.csv", ["证件号码", "姓名", "区县", "险种", "人员类别", "参保日期", column],
                            rows), w.home.region)
    reasons = [(i.column, i.reason) for i in job.issues.filter(kind=IssueKind.REJECTED).order_by("row")]
    assert len(reasons) == len(values) and all(c == column for c, _ in reasons), reasons
    for (_, reason), why in zip(reasons, values.values()):
        assert why in reason and kind.label in reason, reason
    assert snapshot() == before


def test_a_payment_file_with_a_bad_amount_imports_nothing(w, tmp_path):
    from ltci.contributions.payments import start_import

    values = typed_values(money.CONTRIBUTION_PAYMENT)
    payer = {"individual": "个人", "employer": "用人单位", "medical_fund": "医保统筹基金划转", "fiscal": "财政补助"}[w.payer]
    channel = {"personal_account": "个人账户划扣", "employer": "单位缴纳", "fiscal_transfer": "财政划拨", "tax": "税务征收",
               "donation": "社会捐助", "medical_fund": "医保基金划转"}[w.channel]
    rows = [[w.billed.id_number, "2025", payer, channel, typed, f"F-{n}", "2025-02-01"] for n, typed in enumerate(values)]
    before = snapshot()
    job = start_import(_csv(tmp_path, "pay.csv", ["证件号码", "缴费期间", "缴费主体", "缴费渠道", "金额", "渠道流水号", "到账日期"],
                            rows), w.home.region)
    reasons = [(i.column, i.reason) for i in job.issues.filter(kind=IssueKind.REJECTED).order_by("row")]
    assert len(reasons) == len(values) and all(c == "金额" for c, _ in reasons), reasons
    for (_, reason), why in zip(reasons, values.values()):
        assert why in reason, reason
    assert snapshot() == before


def test_a_catalogue_with_a_bad_price_changes_nothing(w, tmp_path):
    from django.core.exceptions import ValidationError

    from ltci.providers import catalogue

    values = typed_values(money.ITEM_PRICE)
    wb = Workbook()
    ws = wb.active
    ws.append([c.header for c in catalogue.COLUMNS])
    codes = list(CatalogueItem.objects.filter(region=w.home.region).order_by("code").values_list("code", flat=True))
    for code, typed in zip(codes, values):
        ws.append([code, "", "", typed, None, "", ""])
    path = tmp_path / "catalogue.xlsx"
    wb.save(path)
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        catalogue.import_prices(w.home.region.pk, date.today(), path, w.users[Role.CLERK])
    errors = exc.value.message_dict["file"]
    assert len(errors) == len(values)
    for error, why in zip(errors, values.values()):
        assert why in error and "服务项目单价" in error, error
    assert snapshot() == before
