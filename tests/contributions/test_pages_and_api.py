"""The register and contributions through the pages and the JSON API, as a clerk uses them."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from ltci.accounts.roles import Role
from ltci.audit.models import Action, AuditEvent
from ltci.contributions.models import Bill, Payment
from ltci.core.models import Job
from ltci.enrolment.idcard import make_id_number
from ltci.enrolment.models import Person

HEADER = "证件号码,姓名,性别,联系电话,区县,居住地址,险种,人员类别,参保日期,缴费基数,上年度月养老金\n"


def roster_csv(*lines) -> SimpleUploadedFile:
    return SimpleUploadedFile("roster.csv", (HEADER + "".join(lines)).encode(), "text/csv")


def line(seq, name="王秀英", district="泉山区", start="2023-01-01"):
    number = make_id_number("320311", date(1950, 3, 5), seq, "F")
    return f"{number},{name},女,13800000000,{district},解放路1号,职工医保,退休人员,{start},,\n"


@pytest.fixture
def clerk(world, client_for):
    return client_for(world["home"].users[Role.CLERK])


def test_a_clerk_imports_a_roster_on_the_page_and_reads_the_report(clerk):
    response = clerk.post("/persons/import/", {"file": roster_csv(line(11), line(12, district="朝阳区")),
                                               "mode": "lenient"})
    job = Job.objects.latest("id")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    page = clerk.get(f"/jobs/{job.pk}/").content.decode()
    assert "宽松模式：已导入正确的行，跳过 1 行错误" in page and "不是徐州市的区县" in page
    report = load_workbook(io.BytesIO(clerk.get(f"/jobs/{job.pk}/report.xlsx").content))
    rows = list(report["明细"].values)
    assert rows[1] == ("拒绝", 3, "区县", "不是徐州市的区县：朝阳区", None, None)
    assert AuditEvent.objects.filter(action=Action.EXPORT, object_type="core.jobissue").count() == 1


def test_the_api_imports_a_roster_and_lists_the_rejected_rows(world, clerk):
    response = clerk.post("/api/imports/roster", {"file": roster_csv(line(11), line(11)), "strict": "true"})
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "rejected" and body["counts"]["rejected"] == 1
    issues = clerk.get(f"/api/jobs/{body['id']}/issues").json()["items"]
    assert issues[0] == {"kind": "rejected", "row": 3, "column": "证件号码", "reason": "与第2行重复", "person_id": None}
    missing = clerk.get(f"/api/jobs/{body['id']}/issues?kind=missing").json()["items"]
    assert {i["person_id"] for i in missing} == {world["home"].person.pk, world["home"].other_person.pk}
    assert not Person.objects.filter(name="王秀英", id_number=make_id_number("320311", date(1950, 3, 5), 11, "F")).exists()


def test_people_are_found_by_id_number_name_or_pinyin_initials(world, clerk):
    li = world["home"].other_person  # 李建国
    assert [p["id"] for p in clerk.get("/api/persons?q=ljg").json()["items"]] == [li.pk]
    assert [p["id"] for p in clerk.get(f"/api/persons?q={li.id_number[:14]}").json()["items"]] == [li.pk]
    assert [p["id"] for p in clerk.get("/api/persons?q=建国").json()["items"]] == [li.pk]
    assert li.name in clerk.get("/persons/?q=ljg").content.decode()


def test_billing_paying_and_the_standing_through_the_api(world, clerk):
    person = world["home"].other_person  # a retired employee of Xuzhou insured since 2022
    job = clerk.post("/api/contributions/billing", {"period": "2025"}, content_type="application/json")
    assert job.status_code == 202 and job.json()["counts"]["original"] == 2
    [bill] = clerk.get(f"/api/contributions/bills?person_id={person.pk}").json()["items"]
    assert (bill["individual"], bill["total"]) == ("20.00", "70.00")
    paid = clerk.post("/api/contributions/payments", {
        "person_id": person.pk, "period": "2025", "payer": "individual", "channel": "personal_account",
        "amount": "20.00", "reference": "PA-77", "paid_on": "2025-01-20"}, content_type="application/json")
    assert paid.status_code == 201 and Payment.objects.get().reference == "PA-77"
    again = clerk.post("/api/contributions/payments", {
        "person_id": person.pk, "period": "2025", "payer": "individual", "channel": "personal_account",
        "amount": "1.00", "reference": "PA-78", "paid_on": "2025-01-20"}, content_type="application/json")
    assert again.status_code == 422 and again.json()["field"] == "amount"
    standing = clerk.get(f"/api/persons/{person.pk}/standing").json()
    assert standing["periods"][0]["arrears"] == "50.00"  # medical fund and fiscal parts not yet received
    owed = clerk.get("/api/contributions/arrears?period=2025").json()
    assert {r["person_id"]: r["owed"] for r in owed}[person.pk] == "50.00"
    assert all("*" in r["id_number_masked"] for r in owed)
    export = clerk.get("/api/contributions/arrears/export?period=2025")
    assert export.status_code == 200
    assert AuditEvent.objects.filter(action=Action.EXPORT, object_type="contributions.arrears").count() == 1


def test_the_person_page_shows_bills_arrears_verdict_and_takes_a_payment(world, clerk):
    person = world["home"].other_person
    clerk.post("/contributions/billing/", {"period": "2025"})
    assert Bill.objects.filter(person=person).count() == 1
    page = clerk.get(f"/persons/{person.pk}/").content.decode()
    assert "2025年" in page and "70.00" in page and "今日待遇资格" in page and "尚无失能等级评估结论" in page
    response = clerk.post(f"/contributions/persons/{person.pk}/payments", {
        "period": "2025", "payer": "fiscal", "channel": "fiscal_transfer", "amount": "20.00", "reference": "F-1",
        "paid_on": "2025-02-01"}, follow=True)
    assert "已登记" in response.content.decode()
    bad = clerk.post(f"/contributions/persons/{person.pk}/payments", {
        "period": "2025", "payer": "fiscal", "channel": "employer", "amount": "20.00", "reference": "F-2",
        "paid_on": "2025-02-01"}, follow=True)
    assert "单位缴纳不能缴纳财政补助部分" in bad.content.decode()
    assert Payment.objects.count() == 1


def test_an_upload_of_the_wrong_kind_is_refused_on_the_page(clerk):
    response = clerk.post("/persons/import/", {"file": SimpleUploadedFile("roster.pdf", b"%PDF", "application/pdf")},
                          follow=True)
    assert "只接受 .csv 或 .xlsx 文件" in response.content.decode() and not Job.objects.exclude(title="roster.csv").exists()


def test_an_insured_account_without_a_person_sees_no_arrears_list(world, client_for):
    from ltci.accounts.models import User

    clerk = client_for(world["home"].users[Role.CLERK])
    clerk.post("/api/contributions/billing", {"period": "2025"}, content_type="application/json")
    # Not possible through create_user; a record damaged by hand must still show nothing.
    stray = User.objects.create(username="xz-family", role=Role.INSURED, region=world["home"].region)
    page = client_for(stray).get("/contributions/arrears/?period=2025").content.decode()
    assert world["home"].other_person.name not in page and "共 0 人欠费" in page
    own = client_for(world["home"].users[Role.INSURED]).get("/contributions/arrears/?period=2025").content.decode()
    assert world["home"].person.name in own and world["home"].other_person.name not in own


def test_the_arrears_page_lists_at_once_and_counts_on_asking(world, clerk):
    from ltci.contributions import queries

    rows, count = queries.arrears("xuzhou", "2025", limit=50)
    assert count == len(rows)  # the streamed rows are the counted ones
    page = clerk.get("/contributions/arrears/?period=2025").content.decode()
    if rows:
        assert rows[0].name in page and "统计欠费人数" in page and "人欠费。" not in page
    counted = clerk.get("/contributions/arrears/?period=2025&count=1", HTTP_HX_REQUEST="true").content.decode()
    assert f"共 {count} 人欠费" in counted and "<table" not in counted
    whole = clerk.get("/contributions/arrears/?period=2025&count=1").content.decode()
    assert f"共 {count} 人欠费" in whole and "<table" in whole
    assert clerk.get("/api/contributions/arrears?period=2025").json() == [
        {"person_id": r.person_id, "name": r.name, "id_number_masked": r.masked_id, "district": r.district,
         "billed": f"{r.billed:.2f}", "paid": f"{r.paid:.2f}", "owed": f"{r.owed:.2f}"} for r in rows]
