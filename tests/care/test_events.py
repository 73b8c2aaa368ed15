"""Events that change benefits: admissions and discharges alternate, nothing after death, corrections
are new rows; the inpatient and death imports report row by row and make nothing twice."""

import csv
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ltci.accounts.roles import Role
from ltci.audit.models import AuditEvent
from ltci.care import events
from ltci.care.models import CareEvent
from ltci.enrolment.idcard import make_id_number

A, D, DEATH, MOVED = "hospital_admission", "hospital_discharge", "death", "moved_away"
INPATIENT = ["证件号码", "姓名", "入院日期", "出院日期", "住院流水号"]
DEATHS = ["证件号码", "姓名", "死亡日期", "记录号"]


@pytest.fixture
def home(world):
    return world["home"]


@pytest.fixture
def clerk(home):
    return home.users[Role.CLERK]


def ev(person, user, kind, on, **kw):
    return events.record_event(person, user, kind=kind, on=on, **kw)


def refused(field, call, *args, **kw) -> str:
    with pytest.raises(ValidationError) as exc:
        call(*args, **kw)
    assert field in exc.value.message_dict, exc.value.message_dict
    return exc.value.message_dict[field][0]


def write_csv(tmp_path, header, rows, name="data.csv"):
    path = tmp_path / name
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# Recording by hand ------------------------------------------------------------------------------

def test_an_admission_and_its_discharge_make_a_stay_kept_with_who_entered_it(home, clerk):
    person = home.person
    admitted = ev(person, clerk, A, date(2025, 3, 1), note="脑梗死")
    ev(person, clerk, D, date(2025, 3, 10))
    assert (admitted.region_id, admitted.source, admitted.entered_by, admitted.note) == ("xuzhou", "manual", clerk, "脑梗死")
    assert admitted.entered_at is not None
    assert [events.in_hospital(person, date(2025, 3, d)) for d in (1, 5, 10, 11)] == [True, True, True, False]
    assert not events.in_hospital(person, date(2025, 2, 28))
    stays = events.hospital_stays(person)  # benefits: from the day after admission to the day of discharge (P3)
    assert [events.suspended_on(stays, date(2025, 3, d)) for d in (1, 2, 10, 11)] == [False, True, True, False]
    assert not events.in_hospital(home.other_person, date(2025, 3, 5))
    audit = AuditEvent.objects.filter(action="create", object_type="care.careevent").order_by("id")
    assert audit.count() == 2 and audit[0].detail["kind"] == A and audit[0].region_id == "xuzhou"
    assert audit[0].actor == clerk


def test_a_same_day_transfer_and_a_day_case_fit(home, clerk):
    person = home.person
    ev(person, clerk, A, date(2025, 3, 1))
    ev(person, clerk, D, date(2025, 3, 10))
    ev(person, clerk, A, date(2025, 3, 10))  # moved to another hospital the same day
    assert events.in_hospital(person, date(2025, 3, 12))
    ev(person, clerk, D, date(2025, 3, 20))
    ev(person, clerk, A, date(2025, 4, 1))
    ev(person, clerk, D, date(2025, 4, 1))
    assert events.in_hospital(person, date(2025, 4, 1)) and not events.in_hospital(person, date(2025, 4, 2))
    assert events.hospital_stays(person) == [(date(2025, 3, 1), date(2025, 3, 10)), (date(2025, 3, 10), date(2025, 3, 20)),
                                             (date(2025, 4, 1), date(2025, 4, 1))]


def test_a_date_in_the_future_is_refused(home, clerk):
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert refused("on", ev, home.person, clerk, MOVED, tomorrow) == "日期不能晚于今天"
    assert not CareEvent.objects.exists()


def test_a_discharge_needs_an_open_admission_before_it(home, clerk):
    person = home.person
    assert "没有未出院的入院记录" in refused("on", ev, person, clerk, D, date(2025, 3, 1))
    ev(person, clerk, A, date(2025, 3, 10))
    assert "没有未出院的入院记录" in refused("on", ev, person, clerk, D, date(2025, 3, 5))  # before the admission
    ev(person, clerk, D, date(2025, 3, 12))
    assert "没有未出院的入院记录" in refused("on", ev, person, clerk, D, date(2025, 3, 15))  # discharged already
    assert CareEvent.objects.count() == 2


def test_no_second_admission_while_one_is_open(home, clerk):
    person = home.person
    ev(person, clerk, A, date(2025, 3, 1))
    assert refused("on", ev, person, clerk, A, date(2025, 3, 5)) == "2025-03-01入院后尚未出院，不能再次入院"
    assert refused("on", ev, person, clerk, A, date(2025, 3, 1)) == "2025-03-01入院后尚未出院，不能再次入院"
    ev(person, clerk, D, date(2025, 3, 10))
    # An open admission before a stay on record would leave that stay's admission inside it.
    message = refused("on", ev, person, clerk, A, date(2025, 2, 1))
    assert message == "与已登记的住院记录冲突：2025-02-01入院后尚未出院，不能再次入院"
    assert CareEvent.objects.count() == 2


def test_nothing_after_death(home, clerk):
    person = home.person
    ev(person, clerk, A, date(2025, 3, 1))
    assert refused("on", ev, person, clerk, DEATH, date(2025, 2, 1)) == "已有2025-03-01的事件记录，死亡日期不能早于它"
    ev(person, clerk, DEATH, date(2025, 3, 15))  # died in hospital
    assert refused("on", ev, person, clerk, D, date(2025, 3, 16)) == "已于2025-03-15登记死亡，其后不能再登记事件"
    assert refused("on", ev, person, clerk, MOVED, date(2025, 4, 1)) == "已于2025-03-15登记死亡，其后不能再登记事件"
    assert refused("kind", ev, person, clerk, DEATH, date(2025, 3, 15)) == "已登记死亡（2025-03-15）"
    ev(person, clerk, D, date(2025, 3, 15))  # the discharge the day of death fits
    assert events.ended_on(person) == date(2025, 3, 15)


def test_moving_away_once_and_the_end_is_the_earlier_of_death_and_moving_away(home, clerk):
    person = home.person
    assert events.ended_on(person) is None
    ev(person, clerk, MOVED, date(2025, 5, 1))
    assert refused("kind", ev, person, clerk, MOVED, date(2025, 6, 1)) == "已登记迁出（2025-05-01）"
    ev(person, clerk, DEATH, date(2025, 7, 1))
    assert events.ended_on(person) == date(2025, 5, 1)


def test_a_correction_is_a_new_event_and_the_corrected_one_stays(home, clerk):
    person = home.person
    wrong = ev(person, clerk, A, date(2025, 3, 1))
    right = ev(person, clerk, A, date(2025, 3, 3), corrects=wrong, note="入院日期录错")
    assert right.corrects == wrong and CareEvent.objects.filter(pk=wrong.pk).exists()
    assert not events.in_hospital(person, date(2025, 3, 2)) and events.in_hospital(person, date(2025, 3, 3))
    assert refused("corrects", ev, person, clerk, A, date(2025, 3, 4), corrects=wrong).startswith("该事件已被更正")
    again = ev(person, clerk, A, date(2025, 3, 2), corrects=right)  # a correction of the correction
    assert events.hospital_stays(person) == [(date(2025, 3, 2), None)]
    audit = AuditEvent.objects.filter(action="create", object_type="care.careevent").order_by("-id").first()
    assert audit.detail["corrects"] == right.pk and audit.object_id == str(again.pk)


def test_a_correction_must_fit_and_be_of_the_same_person(home, clerk):
    person = home.person
    admitted = ev(person, clerk, A, date(2025, 3, 1))
    discharged = ev(person, clerk, D, date(2025, 3, 10))
    ev(person, clerk, D, date(2025, 3, 5), corrects=discharged)  # an earlier discharge still fits
    assert "没有未出院的入院记录" in refused("on", ev, person, clerk, A, date(2025, 3, 12), corrects=admitted)
    elsewhere = ev(home.other_person, clerk, MOVED, date(2025, 1, 1))
    assert refused("corrects", ev, person, clerk, MOVED, date(2025, 1, 1), corrects=elsewhere) == "要更正的事件不是该参保人的记录"
    dead = ev(home.other_person, clerk, DEATH, date(2025, 2, 1))
    ev(home.other_person, clerk, DEATH, date(2025, 2, 3), corrects=dead)  # the death's date corrected
    assert events.ended_on(home.other_person) == date(2025, 1, 1)


def test_unknown_kinds_and_a_reference_twice_are_refused(home, clerk):
    assert refused("kind", ev, home.person, clerk, "holiday", date(2025, 1, 1)).startswith("事件应为")
    ev(home.person, clerk, A, date(2025, 3, 1), reference="ZY-1", source="inpatient_import")
    assert refused("reference", ev, home.other_person, clerk, A, date(2025, 3, 1), reference="ZY-1",
                   source="inpatient_import") == "来源记录号 ZY-1 的住院已登记"
    assert refused("note", ev, home.person, clerk, D, date(2025, 3, 2), note="长" * 201) == "说明不能超过200个字"


# The inpatient import ---------------------------------------------------------------------------

def inpatient_rows(home):
    stranger = make_id_number("320311", date(1950, 1, 1), 77, "M")
    tomorrow = timezone.localdate() + timedelta(days=1)
    return [
        [home.person.id_number, home.person.name, "2025-03-01", "2025-03-10", "ZY-001"],  # 2: admission and discharge
        [home.other_person.id_number.lower(), f" {home.other_person.name} ", "2025/04/02", "", "ZY-002"],  # 3: still in
        [stranger, "张三", "2025-03-01", "", "ZY-003"],  # 4: nobody of the region
        [home.person.id_number, "王秀", "2025-05-01", "", "ZY-004"],  # 5: the name differs
        [home.person.id_number, home.person.name, "2025-13-01", "", "ZY-005"],  # 6: no such date
        [home.person.id_number, home.person.name, f"{tomorrow:%Y-%m-%d}", "", "ZY-006"],  # 7: in the future
        [home.person.id_number, home.person.name, "2025-06-10", "2025-06-01", "ZY-007"],  # 8: out before in
        [home.person.id_number, home.person.name, "2025-06-10", "", ""],  # 9: no reference
        [home.person.id_number[:17] + "0", home.person.name, "2025-06-10", "", "ZY-009"],  # 10: a bad number
    ]


def test_the_inpatient_import_keeps_good_rows_and_reports_each_bad_one(home, clerk, world, tmp_path):
    away = world["away"].person
    rows = [*inpatient_rows(home), [away.id_number, away.name, "2025-03-01", "", "ZY-010"]]  # 11: another region
    report = events.import_inpatient("xuzhou", write_csv(tmp_path, INPATIENT, rows), clerk)
    assert (report["rows"], report["accepted"], report["events"], report["skipped"], report["rejected"]) == (10, 2, 3, 0, 8)
    assert [(r["row"], r["column"], r["reason"]) for r in report["rejected_rows"]] == [
        (4, "证件号码", "未在本地区参保登记"),
        (5, "姓名", "姓名与参保登记不一致"),
        (6, "入院日期", "日期不存在：2025-13-01"),
        (7, "入院日期", "入院日期不能晚于今天"),
        (8, "出院日期", "出院日期早于入院日期"),
        (9, "住院流水号", "住院流水号为空"),
        (10, "证件号码", "身份证号码校验位不正确"),
        (11, "证件号码", "未在本地区参保登记"),
    ]
    made = CareEvent.objects.order_by("id")
    assert [(e.person, e.kind, e.on, e.source, e.reference, e.entered_by) for e in made] == [
        (home.person, A, date(2025, 3, 1), "inpatient_import", "ZY-001", clerk),
        (home.person, D, date(2025, 3, 10), "inpatient_import", "ZY-001", clerk),
        (home.other_person, A, date(2025, 4, 2), "inpatient_import", "ZY-002", clerk)]
    assert events.in_hospital(home.other_person, date(2025, 5, 1))
    audit = AuditEvent.objects.get(action="import", object_type="care.careevent")
    assert audit.region_id == "xuzhou" and audit.detail["accepted"] == 2 and audit.detail["rejected"] == 8
    assert not AuditEvent.objects.filter(action="create", object_type="care.careevent").exists()  # one record an import


def test_importing_the_same_file_again_makes_nothing_new(home, clerk, tmp_path):
    path = write_csv(tmp_path, INPATIENT, inpatient_rows(home)[:2])
    events.import_inpatient("xuzhou", path, clerk)
    again = events.import_inpatient("xuzhou", path, clerk)
    assert (again["accepted"], again["events"], again["skipped"], again["rejected"]) == (0, 0, 2, 0)
    assert [(r["row"], r["column"], r["reason"]) for r in again["skipped_rows"]] == [
        (2, "住院流水号", "住院已导入；出院已导入"), (3, "住院流水号", "住院已导入")]
    assert CareEvent.objects.count() == 3
    assert AuditEvent.objects.filter(action="import", object_type="care.careevent").count() == 2


def test_a_later_file_adds_the_discharge_and_a_changed_date_is_refused(home, clerk, tmp_path):
    other = home.other_person
    events.import_inpatient("xuzhou", write_csv(tmp_path, INPATIENT, inpatient_rows(home)[1:2]), clerk)
    later = write_csv(tmp_path, INPATIENT, [[other.id_number, other.name, "2025-04-02", "2025-04-20", "ZY-002"],
                                            [other.id_number, other.name, "2025-04-03", "2025-04-25", "ZY-002"]],
                      name="later.csv")
    report = events.import_inpatient("xuzhou", later, clerk)
    assert (report["accepted"], report["events"]) == (1, 1)
    assert report["rejected_rows"] == [{"row": 3, "column": "入院日期",
                                        "reason": "与已导入的住院日期（2025-04-02）不一致，请人工登记更正"}]
    assert events.hospital_stays(other) == [(date(2025, 4, 2), date(2025, 4, 20))]


def test_a_row_that_does_not_fit_the_record_is_rejected_whole(home, clerk, tmp_path):
    person = home.person
    ev(person, clerk, DEATH, date(2025, 3, 5))
    ev(home.other_person, clerk, A, date(2025, 3, 1))  # by hand, before the hospital's data came
    rows = [[person.id_number, person.name, "2025-03-01", "2025-03-08", "ZY-101"],  # discharged after death
            [home.other_person.id_number, home.other_person.name, "2025-03-01", "2025-03-09", "ZY-102"],
            [home.other_person.id_number, home.other_person.name, "2025-03-05", "", "ZY-103"]]
    report = events.import_inpatient("xuzhou", write_csv(tmp_path, INPATIENT, rows), clerk)
    assert report["rejected_rows"] == [
        {"row": 2, "column": "出院日期", "reason": "已于2025-03-05登记死亡，其后不能再登记事件"},
        {"row": 4, "column": "入院日期", "reason": "2025-03-01入院后尚未出院，不能再次入院"}]
    assert not CareEvent.objects.filter(person=person, kind=A).exists()  # the row's admission went with it
    # The admission by hand is not made twice; the discharge is added.
    assert (report["accepted"], report["events"]) == (1, 1)
    assert events.hospital_stays(home.other_person) == [(date(2025, 3, 1), date(2025, 3, 9))]


def test_a_file_without_a_required_column_changes_nothing(home, clerk, tmp_path):
    path = write_csv(tmp_path, ["证件号码", "姓名", "入院日期"], [[home.person.id_number, home.person.name, "2025-03-01"]])
    assert refused("file", events.import_inpatient, "xuzhou", path, clerk) == "缺少必需的列：住院流水号"
    bad = tmp_path / "data.txt"
    bad.write_text("x")
    assert refused("file", events.import_deaths, "xuzhou", bad, clerk) == "只接受 .xlsx 或 .csv 文件"
    assert not CareEvent.objects.exists() and not AuditEvent.objects.filter(action="import").exists()


def test_an_excel_file_with_date_cells_is_read_the_same_way(home, clerk, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(INPATIENT)
    wb.active.append([home.person.id_number, home.person.name, date(2025, 3, 1), None, "ZY-201"])
    path = tmp_path / "住院.xlsx"
    wb.save(path)
    assert events.import_inpatient("xuzhou", path, clerk)["accepted"] == 1
    assert events.in_hospital(home.person, date(2025, 3, 2))


def test_the_import_reaches_only_the_users_people(home, tmp_path):
    institution_admin = home.users[Role.INSTITUTION_ADMIN]
    report = events.import_inpatient("xuzhou", write_csv(tmp_path, INPATIENT, inpatient_rows(home)[:1]), institution_admin)
    assert report["accepted"] == 0 and report["rejected_rows"][0]["reason"] == "未在本地区参保登记"


# The death import -------------------------------------------------------------------------------

def test_the_death_import_reports_row_by_row_and_skips_what_it_has(home, clerk, tmp_path):
    stranger = make_id_number("320311", date(1950, 1, 1), 77, "M")
    tomorrow = timezone.localdate() + timedelta(days=1)
    ev(home.other_person, clerk, DEATH, date(2025, 6, 1))  # known already, by hand
    rows = [[home.person.id_number, home.person.name, "2025-05-04", "MZ-1"],  # 2
            [home.other_person.id_number, home.other_person.name, "2025-06-01", "MZ-2"],  # 3: the same day: skipped
            [home.other_person.id_number, home.other_person.name, "2025-06-02", "MZ-3"],  # 4: another day: refused
            [stranger, "张三", "2025-05-04", "MZ-4"],  # 5
            [home.person.id_number, "李四", "2025-05-04", "MZ-5"],  # 6
            [home.person.id_number, home.person.name, f"{tomorrow:%Y-%m-%d}", "MZ-6"],  # 7
            [home.person.id_number, home.person.name, "", "MZ-7"]]  # 8
    path = write_csv(tmp_path, DEATHS, rows)
    report = events.import_deaths("xuzhou", path, clerk)
    assert (report["accepted"], report["skipped"], report["rejected"]) == (1, 1, 5)
    assert report["skipped_rows"] == [{"row": 3, "column": "记录号", "reason": "已有同日的死亡记录（人工登记）"}]
    assert [(r["row"], r["column"], r["reason"]) for r in report["rejected_rows"]] == [
        (4, "死亡日期", "已登记死亡（2025-06-01）"), (5, "证件号码", "未在本地区参保登记"),
        (6, "姓名", "姓名与参保登记不一致"), (7, "死亡日期", "死亡日期不能晚于今天"), (8, "死亡日期", "死亡日期为空")]
    death = CareEvent.objects.get(person=home.person)
    assert (death.kind, death.on, death.source, death.reference) == (DEATH, date(2025, 5, 4), "civil_affairs_import", "MZ-1")
    assert events.ended_on(home.person) == date(2025, 5, 4)
    again = events.import_deaths("xuzhou", path, clerk)
    assert again["accepted"] == 0 and again["skipped_rows"][0] == {"row": 2, "column": "记录号", "reason": "已导入"}
    assert CareEvent.objects.count() == 2
    audit = AuditEvent.objects.filter(action="import", object_type="care.careevent").order_by("id")
    assert [a.detail["accepted"] for a in audit] == [1, 0] and audit[0].detail["source"] == "civil_affairs_import"


def test_a_death_file_without_its_columns_changes_nothing(home, clerk, tmp_path):
    path = write_csv(tmp_path, ["证件号码", "姓名", "死亡日期"], [[home.person.id_number, home.person.name, "2025-05-04"]])
    assert refused("file", events.import_deaths, "xuzhou", path, clerk) == "缺少必需的列：记录号"
    assert not CareEvent.objects.exists()


# The API and the page ---------------------------------------------------------------------------

def test_the_api_records_lists_and_corrects_events(home, clerk, client_for):
    api = client_for(clerk)
    url = f"/api/persons/{home.person.pk}/events"
    first = api.post(url, {"kind": A, "on": "2025-03-01", "note": "脑梗死"}, content_type="application/json")
    assert first.status_code == 201 and first.json()["entered_by"] == clerk.username
    fixed = api.post(url, {"kind": A, "on": "2025-03-02", "corrects_id": first.json()["id"]},
                     content_type="application/json")
    assert fixed.status_code == 201 and fixed.json()["corrects_id"] == first.json()["id"]
    listed = {e["id"]: e for e in api.get(url).json()}
    assert listed[first.json()["id"]]["corrected"] and not listed[fixed.json()["id"]]["corrected"]
    late = api.post(url, {"kind": D, "on": "2025-02-01"}, content_type="application/json")
    assert late.status_code == 422 and late.json()["field"] == "on"
    other = api.post(f"/api/persons/{home.other_person.pk}/events", {"kind": MOVED, "on": "2025-01-01",
                                                                    "corrects_id": first.json()["id"]},
                     content_type="application/json")
    assert other.status_code == 422 and other.json()["field"] == "corrects_id"


def test_the_api_answers_404_for_another_regions_person(world, clerk, client_for):
    away = world["away"].person
    api = client_for(clerk)
    assert api.post(f"/api/persons/{away.pk}/events", {"kind": MOVED, "on": "2025-01-01"},
                    content_type="application/json").status_code == 404
    assert api.get(f"/api/persons/{away.pk}/events").status_code == 404
    assert not CareEvent.objects.exists()
    insured = client_for(world["home"].users[Role.INSURED])
    assert insured.get(f"/api/persons/{world['home'].person.pk}/events").status_code == 200
    assert insured.post(f"/api/persons/{world['home'].person.pk}/events", {"kind": MOVED, "on": "2025-01-01"},
                        content_type="application/json").status_code == 403


def test_the_api_imports_files(home, clerk, client_for):
    api = client_for(clerk)
    text = "\n".join([",".join(INPATIENT), f"{home.person.id_number},{home.person.name},2025-03-01,,ZY-9"]) + "\n"
    response = api.post("/api/events/import/inpatient", {"file": SimpleUploadedFile("住院.csv", text.encode())})
    assert response.status_code == 200 and response.json()["accepted"] == 1
    text = "\n".join([",".join(DEATHS), f"{home.other_person.id_number},{home.other_person.name},2025-03-01,MZ-9"])
    response = api.post("/api/events/import/deaths", {"file": SimpleUploadedFile("死亡.csv", text.encode())})
    assert response.status_code == 200 and response.json()["accepted"] == 1
    response = api.post("/api/events/import/deaths", {"file": SimpleUploadedFile("死亡.csv", b"a,b\n1,2\n")})
    assert response.status_code == 422 and response.json()["field"] == "file"
    assert CareEvent.objects.count() == 2


def test_the_page_shows_the_scopes_events_and_imports_with_a_report(world, home, clerk, client_for, tmp_path):
    away = world["away"]
    ev(home.person, clerk, MOVED, date(2025, 1, 1))
    ev(away.person, away.users[Role.CLERK], MOVED, date(2025, 1, 1))
    page = client_for(clerk)
    html = page.get("/care/events/").content.decode()
    assert home.person.masked_id in html and away.person.masked_id not in html
    assert "住院数据" in html and "死亡数据" in html
    text = "\n".join([",".join(INPATIENT), f"{home.other_person.id_number},{home.other_person.name},2025-03-01,,ZY-1",
                      f"{home.other_person.id_number},王某,2025-03-01,,ZY-2"]).encode()
    response = page.post("/care/events/", {"which": "inpatient", "file": SimpleUploadedFile("zy.csv", text)})
    html = response.content.decode()
    assert response.status_code == 200 and "导入 1 行" in html and "姓名与参保登记不一致" in html
    response = page.post("/care/events/", {"which": "deaths", "file": SimpleUploadedFile("mz.csv", b"a,b\n1,2\n")})
    assert response.status_code == 422 and "缺少必需的列" in response.content.decode()
    viewer = client_for(home.users[Role.BUREAU_ADMIN])
    html = viewer.get("/care/events/").content.decode()
    assert home.other_person.name in html and 'name="which"' not in html
    assert viewer.post("/care/events/", {"which": "inpatient"}).status_code == 403
    assert client_for(home.users[Role.CARER]).get("/care/events/").status_code == 403

