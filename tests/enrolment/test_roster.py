"""Roster import: rows validated one by one, strict or lenient, a report, and a re-import that changes nothing."""

import csv
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from ltci.audit.models import Action, AuditEvent
from ltci.core.models import IssueKind, JobStatus
from ltci.core.exports import import_template
from ltci.enrolment.idcard import make_id_number
from ltci.enrolment.models import Enrolment, EnrolmentStatus, Person
from ltci.enrolment.roster import COLUMNS, start_import
from ltci.regions.models import Region

HEADER = ["证件号码", "姓名", "性别", "出生日期", "联系电话", "区县", "居住地址", "险种", "人员类别", "参保日期", "缴费基数",
          "上年度月养老金"]


def row(seq, *, name="王秀英", birth=date(1950, 3, 5), sex="F", district="泉山区", scheme="职工医保",
        category="退休人员", start="2022-01-01", phone="13800000000", base="", pension="", place="320311"):
    number = make_id_number(place, birth, seq, sex)
    return [number, name, "女" if sex == "F" else "男", "", phone, district, "解放路1号", scheme, category, start,
            base, pension]


def write_csv(path, rows, encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


@pytest.fixture
def xuzhou(db):
    return Region.objects.get(pk="xuzhou")


def issues(job, kind=IssueKind.REJECTED):
    return [(i.row, i.column, i.reason) for i in job.issues.filter(kind=kind).order_by("row")]


def test_a_clean_roster_registers_people_and_enrolments_and_is_audited_once(tmp_path, xuzhou):
    path = write_csv(tmp_path / "roster.csv", [row(1), row(2, name="李建国", sex="M", scheme="城乡居民医保", category="")])
    job = start_import(path, xuzhou)
    assert job.status == JobStatus.DONE
    assert job.counts == {"rows": 2, "accepted": 2, "updated": 0, "unchanged": 0, "rejected": 0, "missing": 0}
    li = Person.objects.get(name="李建国")
    assert (li.sex, li.birth_date, li.district, li.name_initials) == ("M", date(1950, 3, 5), "泉山区", "ljg")
    e = li.enrolments.get()
    assert (e.scheme, e.category, e.start, e.status) == ("resident", "", date(2022, 1, 1), EnrolmentStatus.ACTIVE)
    event = AuditEvent.objects.get(action=Action.IMPORT)
    assert event.detail["accepted"] == 2 and event.object_id == str(job.pk)


def test_importing_the_same_file_again_changes_nothing(tmp_path, xuzhou):
    path = write_csv(tmp_path / "roster.csv", [row(1), row(2)])
    start_import(path, xuzhou)
    before = list(Person.objects.values()), list(Enrolment.objects.values())
    again = start_import(path, xuzhou)
    assert again.counts["unchanged"] == 2 and again.counts["accepted"] == again.counts["updated"] == 0
    assert (list(Person.objects.values()), list(Enrolment.objects.values())) == before


def test_a_changed_row_updates_and_says_what_changed(tmp_path, xuzhou):
    start_import(write_csv(tmp_path / "a.csv", [row(1)]), xuzhou)
    job = start_import(write_csv(tmp_path / "b.csv", [row(1, phone="13911112222", category="在职职工")]), xuzhou)
    assert job.counts["updated"] == 1
    [(line, columns, reason)] = issues(job, IssueKind.UPDATED)
    assert line == 2 and columns == "联系电话、人员类别" and "已更新" in reason
    assert "3203" in reason and "****" in reason  # the ID number masked in the report
    assert Enrolment.objects.get().category == "in_service"


BAD = [
    (lambda r: r.__setitem__(0, r[0][:-1] + ("0" if r[0][-1] != "0" else "1")), "证件号码", "校验位"),
    (lambda r: r.__setitem__(9, "2023-02-30"), "参保日期", "日期不存在"),
    (lambda r: r.__setitem__(5, "朝阳区"), "区县", "不是徐州市的区县"),
    (lambda r: r.__setitem__(7, "商业保险"), "险种", "险种应为"),
    (lambda r: r.__setitem__(2, "男"), "性别", "性别与证件号码不一致"),
    (lambda r: r.__setitem__(8, ""), "人员类别", "职工医保参保人须填写人员类别"),
    (lambda r: r.__setitem__(4, "12345"), "联系电话", "联系电话"),
]


@pytest.mark.parametrize("spoil, column, reason", BAD, ids=[b[1] for b in BAD])
def test_strict_mode_imports_nothing_when_a_row_is_bad_and_names_row_column_reason(tmp_path, xuzhou, spoil, column, reason):
    bad = row(2)
    spoil(bad)
    job = start_import(write_csv(tmp_path / "roster.csv", [row(1), bad, row(3)]), xuzhou)
    assert job.status == JobStatus.REJECTED
    assert Person.objects.count() == 0 and Enrolment.objects.count() == 0
    [(line, col, why)] = issues(job)
    assert (line, col) == (3, column) and reason in why


def test_lenient_mode_imports_the_good_rows_and_says_which_were_skipped(tmp_path, xuzhou):
    job = start_import(write_csv(tmp_path / "roster.csv", [row(1), row(1), row(3, district="朝阳区"), row(4)]),
                       xuzhou, strict=False)
    assert job.status == JobStatus.DONE and "跳过 2 行" in job.message
    assert Person.objects.count() == 2
    assert [i[:2] for i in issues(job)] == [(3, "证件号码"), (4, "区县")]
    assert "与第2行重复" in issues(job)[0][2]


def test_a_dry_run_reports_and_keeps_nothing(tmp_path, xuzhou):
    job = start_import(write_csv(tmp_path / "roster.csv", [row(1), row(2)]), xuzhou, dry_run=True)
    assert job.status == JobStatus.DRY_RUN and job.counts["accepted"] == 2
    assert Person.objects.count() == 0


def test_people_missing_from_the_roster_are_reported_not_ended(tmp_path, xuzhou):
    start_import(write_csv(tmp_path / "a.csv", [row(1), row(2, name="李建国")]), xuzhou)
    job = start_import(write_csv(tmp_path / "b.csv", [row(1)]), xuzhou)
    [missing] = job.issues.filter(kind=IssueKind.MISSING)
    assert "李建国" in missing.reason and missing.person.name == "李建国"
    assert Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE).count() == 2


def test_rate_regions_need_the_base_of_the_category(tmp_path, db):
    nanning = Region.objects.get(pk="nanning")
    rows = [row(1, district="青秀区", place="450103", category="在职职工", base="6000.50"),
            row(2, district="青秀区", place="450103", category="退休人员"),
            row(3, district="青秀区", place="450103", scheme="城乡居民医保", category="")]
    job = start_import(write_csv(tmp_path / "nn.csv", rows), nanning, strict=False)
    assert Enrolment.objects.get().contribution_base == Decimal("6000.50")
    assert [i[:2] for i in issues(job)] == [(3, "上年度月养老金"), (4, "险种")]
    assert "南宁市长护险不覆盖城乡居民医保参保人" in issues(job)[1][2]


def test_excel_and_gb18030_csv_are_read(tmp_path, xuzhou):
    wb = Workbook()
    wb.active.append(HEADER)
    wb.active.append(row(1))
    wb.save(tmp_path / "roster.xlsx")
    assert start_import(tmp_path / "roster.xlsx", xuzhou).counts["accepted"] == 1
    job = start_import(write_csv(tmp_path / "gbk.csv", [row(2, name="张三丰")], encoding="gb18030"), xuzhou)
    assert job.counts["accepted"] == 1 and Person.objects.filter(name="张三丰").exists()


def test_an_unreadable_file_fails_with_the_reason(tmp_path, xuzhou):
    path = tmp_path / "roster.csv"
    path.write_text("姓名,险种\n王秀英,职工医保\n", encoding="utf-8")
    job = start_import(path, xuzhou)
    assert job.status == JobStatus.FAILED and "缺少必需的列：证件号码" in job.message


def test_the_template_lists_every_column_with_its_help(tmp_path):
    (tmp_path / "t.xlsx").write_bytes(import_template(COLUMNS, "参保名单"))
    wb = load_workbook(tmp_path / "t.xlsx")
    assert [c.value for c in wb["参保名单"][1]] == [c.header for c in COLUMNS]
    assert wb["填写说明"].max_row == len(COLUMNS) + 1


def test_one_active_enrolment_per_person_and_ending_one_needs_a_reason(tmp_path, xuzhou):
    from django.core.exceptions import ValidationError

    from ltci.enrolment.services import end_enrolment, enrol

    start_import(write_csv(tmp_path / "roster.csv", [row(1)]), xuzhou)
    person = Person.objects.get()
    with pytest.raises(ValidationError) as exc:
        enrol(person, scheme="resident", start=date(2024, 1, 1))
    assert "已有有效的参保登记（职工医保，2022-01-01 起）" in exc.value.message_dict["start"][0]
    with pytest.raises(ValidationError) as exc:
        end_enrolment(person.enrolments.get(), end=date(2024, 5, 31), reason="bored")
    assert "reason" in exc.value.message_dict
    end_enrolment(person.enrolments.get(), end=date(2024, 5, 31), reason="moved_out")
    with pytest.raises(ValidationError, match="须晚于上次参保终止日期"):
        enrol(person, scheme="resident", start=date(2024, 5, 1))
    again = enrol(person, scheme="resident", start=date(2024, 6, 1))
    assert again.status == EnrolmentStatus.ACTIVE and person.enrolments.count() == 2


def test_a_rejected_row_changes_nothing_and_is_not_reported_missing(tmp_path, xuzhou):
    from ltci.enrolment.services import end_enrolment

    start_import(write_csv(tmp_path / "a.csv", [row(1), row(2, name="李建国")]), xuzhou)
    person = Person.objects.get(name="王秀英")
    end_enrolment(person.enrolments.get(), end=date(2025, 1, 31), reason="moved_out")
    changed = row(1, name="王秀英改", phone="13912345678", start="2024-06-01")
    job = start_import(write_csv(tmp_path / "b.csv", [changed, row(2, name="李建国", district="朝阳区")]), xuzhou,
                       strict=False)
    assert [i[1] for i in issues(job)] == ["参保日期", "区县"]
    person.refresh_from_db()
    assert (person.name, person.phone) == ("王秀英", "13800000000")
    assert job.counts["missing"] == 0  # both are on the roster, with bad rows
