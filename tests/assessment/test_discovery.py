"""Active discovery: another department's list becomes leads, row by row, checked against the register."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from ltci.accounts.roles import Role
from ltci.assessment import discovery
from ltci.assessment.models import Application, Certificate, Lead, LeadStatus
from ltci.audit.models import AuditEvent
from ltci.enrolment.idcard import make_id_number

from ..conftest import build_region_world

HEADER = ["证件号码", "姓名", "名单日期", "说明"]
TODAY = date.today()
LISTED = TODAY - timedelta(days=10)


@pytest.fixture
def jx(db):
    """Jiaxing's world, its people with no application or certificate yet."""
    world = build_region_world("jiaxing")
    Certificate.objects.filter(region=world.region).delete()
    Application.objects.filter(region=world.region).delete()
    return world


def write_csv(tmp_path, rows, header=HEADER, encoding="utf-8-sig", name="list.csv"):
    path = tmp_path / name
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def row(person, listed_on=LISTED, detail="脑梗死出院", name=None):
    return [person.id_number, name or person.name, f"{listed_on:%Y-%m-%d}", detail]


def run(jx, path, source="hospital_discharge", **kw):
    return discovery.import_leads("jiaxing", source, path, jx.users[Role.CLERK], **kw)


def application(jx, person, state, number):
    return Application.objects.create(
        region=jx.region, person=person, number=number, kind="initial", channel="counter", applicant_name="王小明",
        applicant_relation="child", applicant_phone="13800000000", disabled_since=date(2024, 1, 1),
        self_assessment_letter="C", submitted_on=TODAY - timedelta(days=40), intake_due=TODAY, state=state,
        created_by=jx.users[Role.CLERK])


def test_rows_of_registered_people_become_open_leads_and_the_import_is_audited(jx, tmp_path):
    spaced = jx.person.id_number[:6] + " " + jx.person.id_number[6:].lower()
    path = write_csv(tmp_path, [[spaced, f" {jx.person.name} ", f"{LISTED:%Y/%m/%d}", "脑梗死出院"],
                                row(jx.other_person, detail="")])
    report = run(jx, path)
    assert report.accepted == 2 and not report.skipped and not report.rejected
    lead = Lead.objects.get(person=jx.person)
    assert (lead.region_id, lead.source, lead.listed_on, lead.detail, lead.status) == (
        "jiaxing", "hospital_discharge", LISTED, "脑梗死出院", LeadStatus.OPEN)
    event = AuditEvent.objects.get(action="import", object_type="assessment.lead")
    assert event.region_id == "jiaxing" and event.detail["accepted"] == 2 and event.detail["rows"] == 2


def test_an_excel_list_uploaded_from_a_page_is_read_the_same_way(jx, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(HEADER[:3])
    wb.active.append([jx.person.id_number, jx.person.name, LISTED])
    out = io.BytesIO()
    wb.save(out)
    upload = SimpleUploadedFile("残联名单.xlsx", out.getvalue())
    report = run(jx, upload, source="disability_certificate")
    assert report.accepted == 1 and Lead.objects.get().source == "disability_certificate"


def test_a_gb18030_csv_as_chinese_excel_saves_it_is_read(jx, tmp_path):
    path = write_csv(tmp_path, [row(jx.person)], encoding="gb18030")
    assert run(jx, path, source="civil_affairs").accepted == 1


@pytest.mark.parametrize("make,column,reason", [
    (lambda jx: [jx.person.id_number[:-1] + ("0" if jx.person.id_number[-1] != "0" else "1"), jx.person.name,
                 f"{LISTED}"], "证件号码", "校验位不正确"),
    (lambda jx: ["33040", jx.person.name, f"{LISTED}"], "证件号码", "18位"),
    (lambda jx: [make_id_number("330402", date(1950, 1, 1), 77, "M"), "赵大海", f"{LISTED}"], "证件号码",
     "未在本地区参保登记"),
    (lambda jx: [jx.person.id_number, "王秀", f"{LISTED}"], "姓名", "姓名与参保登记不一致"),
    (lambda jx: [jx.person.id_number, "", f"{LISTED}"], "姓名", "姓名为空"),
    (lambda jx: [jx.person.id_number, jx.person.name, "2025-13-01"], "名单日期", "日期不存在"),
    (lambda jx: [jx.person.id_number, jx.person.name, "去年"], "名单日期", "日期格式"),
    (lambda jx: [jx.person.id_number, jx.person.name, f"{TODAY + timedelta(days=1)}"], "名单日期", "不能晚于"),
])
def test_a_bad_row_is_rejected_with_its_row_column_and_reason_and_the_good_rows_kept(jx, tmp_path, make, column,
                                                                                     reason):
    path = write_csv(tmp_path, [row(jx.other_person), make(jx)], header=HEADER[:3])
    report = run(jx, path)
    assert report.accepted == 1 and not report.skipped
    [rejected] = report.rejected
    assert rejected["row"] == 3 and rejected["column"] == column and reason in rejected["reason"]
    assert list(Lead.objects.values_list("person_id", flat=True)) == [jx.other_person.pk]
    assert AuditEvent.objects.get(action="import").detail["rejected"] == 1


def test_a_person_already_in_the_flow_or_with_a_certificate_in_force_is_skipped(jx, tmp_path):
    application(jx, jx.person, "accepted", "JX-OPEN-1")
    done = application(jx, jx.other_person, "certified", "JX-DONE-1")
    Certificate.objects.create(region=jx.region, person=jx.other_person, application=done, number="JXPG-1",
                               grade="severe_1", qualifies=True, valid_from=TODAY - timedelta(days=30),
                               valid_until=TODAY + timedelta(days=700))
    report = run(jx, write_csv(tmp_path, [row(jx.person), row(jx.other_person)]))
    assert report.accepted == 0 and not report.rejected
    assert [(s["row"], s["column"]) for s in report.skipped] == [(2, "证件号码"), (3, "证件号码")]
    assert "JX-OPEN-1" in report.skipped[0]["reason"] and "办理中" in report.skipped[0]["reason"]
    assert "有效的评估结论" in report.skipped[1]["reason"] and "重度失能Ⅰ级" in report.skipped[1]["reason"]
    assert not Lead.objects.exists()


def test_a_closed_application_or_an_ended_certificate_does_not_stop_a_lead(jx, tmp_path):
    application(jx, jx.person, "withdrawn", "JX-GONE-1")
    done = application(jx, jx.other_person, "certified", "JX-DONE-2")
    Certificate.objects.create(region=jx.region, person=jx.other_person, application=done, number="JXPG-2",
                               grade="severe_1", qualifies=True, valid_from=TODAY - timedelta(days=800),
                               valid_until=TODAY - timedelta(days=70))
    assert run(jx, write_csv(tmp_path, [row(jx.person), row(jx.other_person)])).accepted == 2


def test_importing_the_same_list_again_creates_nothing_new(jx, tmp_path):
    path = write_csv(tmp_path, [row(jx.person), row(jx.person), row(jx.other_person)])
    first = run(jx, path)
    assert first.accepted == 2 and [s["row"] for s in first.skipped] == [3]  # the same line twice in one file
    again = run(jx, path)
    assert again.accepted == 0 and len(again.skipped) == 3
    assert all(s["reason"] == "该名单记录已导入" for s in again.skipped)
    assert Lead.objects.count() == 2
    assert run(jx, path, source="civil_affairs").accepted == 2  # another department's list is another lead


def test_a_region_without_active_discovery_or_an_unknown_source_is_refused(world, tmp_path):
    home = world["home"]
    path = write_csv(tmp_path, [row(home.person)])
    with pytest.raises(ValidationError) as exc:
        discovery.import_leads("xuzhou", "hospital_discharge", path, home.users[Role.CLERK])
    assert exc.value.message_dict["source"] == ["本地区未开展主动发现"]
    jx = build_region_world("jiaxing")
    with pytest.raises(ValidationError) as exc:
        run(jx, path, source="police")
    assert "source" in exc.value.message_dict
    assert not Lead.objects.exists() and not AuditEvent.objects.filter(action="import").exists()


def test_a_file_without_a_required_column_or_unreadable_changes_nothing(jx, tmp_path):
    missing = write_csv(tmp_path, [[jx.person.id_number, jx.person.name]], header=["证件号码", "姓名"])
    with pytest.raises(ValidationError) as exc:
        run(jx, missing)
    assert "名单日期" in exc.value.message_dict["file"][0]
    broken = tmp_path / "list.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(ValidationError):
        run(jx, broken)
    assert not Lead.objects.exists() and not AuditEvent.objects.filter(action="import").exists()


def test_a_clerk_marks_a_lead_and_open_leads_come_first(jx, tmp_path):
    run(jx, write_csv(tmp_path, [row(jx.person, LISTED), row(jx.other_person, LISTED - timedelta(days=5))]))
    clerk = jx.users[Role.CLERK]
    lead = Lead.objects.get(person=jx.person)
    with pytest.raises(ValidationError) as exc:
        discovery.mark_lead(lead, clerk, LeadStatus.DISMISSED, " ")
    assert "note" in exc.value.message_dict
    for bad in (LeadStatus.OPEN, "called"):
        with pytest.raises(ValidationError) as exc:
            discovery.mark_lead(lead, clerk, bad, "x")
        assert "status" in exc.value.message_dict
    marked = discovery.mark_lead(lead, clerk, LeadStatus.DISMISSED, "已入住医疗机构长期住院")
    assert (marked.status, marked.handled_by, marked.handled_note) == (
        LeadStatus.DISMISSED, clerk, "已入住医疗机构长期住院")
    assert [x.person_id for x in discovery.leads_for("jiaxing")] == [jx.other_person.pk, jx.person.pk]
    assert AuditEvent.objects.filter(action="update", object_type="assessment.lead", object_id=str(lead.pk)).exists()
    assert not discovery.leads_for("xuzhou").exists()


def test_a_person_without_an_active_enrolment_is_skipped(jx, tmp_path):
    from ltci.enrolment.models import Enrolment

    Enrolment.objects.filter(person=jx.other_person).update(status="ended")
    report = run(jx, write_csv(tmp_path, [row(jx.other_person)]))
    assert report.accepted == 0 and "未在参保状态" in report.skipped[0]["reason"]
