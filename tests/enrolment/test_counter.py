"""Counter registration (参保登记): one person with their enrolment, by the roster import's own checks."""

import csv
import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ltci.accounts.roles import Role
from ltci.audit.models import Action, AuditEvent
from ltci.core.models import IssueKind
from ltci.enrolment import counter
from ltci.enrolment.idcard import make_id_number
from ltci.enrolment.models import Enrolment, EnrolmentStatus, Person
from ltci.enrolment.roster import FIELD_LABELS, start_import
from ltci.enrolment.services import end_enrolment

FRESH = make_id_number("320311", date(1995, 5, 5), 60, "M")  # no warning: the code existed in 1995
OLD = make_id_number("320311", date(1950, 3, 5), 61, "F")  # 320311 came after 1950: a warning


def form(**over) -> dict:
    values = {"id_kind": "", "id_number": FRESH, "name": "赵志强", "sex": "", "birth_date": "", "phone": "13912345678",
              "district": "泉山区", "address": "解放南路2号", "scheme": "employee", "category": "in_service",
              "start": "2024-01-01", "contribution_base": "", "pension": ""}
    return values | over


@pytest.fixture
def home(world):
    return world["home"]


@pytest.fixture
def clerk(home):
    return home.users[Role.CLERK]


def snapshot():
    return list(Person.objects.order_by("pk").values()), list(Enrolment.objects.order_by("pk").values())


# The service ------------------------------------------------------------------------------------

def test_registers_the_person_with_the_enrolment_in_the_clerks_region_and_audits_the_act(home, clerk):
    done = counter.register(clerk, form(id_number=FRESH.lower()[:-1] + FRESH[-1].lower(), region="nanning"))
    person = done.person
    assert (person.region_id, person.id_number, person.name, person.sex, person.birth_date, person.district) == (
        "xuzhou", FRESH, "赵志强", "M", date(1995, 5, 5), "泉山区")
    assert (person.phone, person.address, person.name_initials) == ("13912345678", "解放南路2号", "zzq")
    e = person.enrolments.get()
    assert (e.region_id, e.scheme, e.category, e.start, e.status) == (
        "xuzhou", "employee", "in_service", date(2024, 1, 1), EnrolmentStatus.ACTIVE)
    event = AuditEvent.objects.get(action=Action.CREATE, object_repr__startswith="柜台参保登记")
    assert event.actor == clerk and event.region_id == "xuzhou" and event.object_id == str(person.pk)
    assert event.detail == {"registration": "counter", "enrolment": e.pk, "confirmed_warnings": []}
    assert FRESH not in event.object_repr and person.masked_id in event.object_repr
    # the person and the enrolment are recorded field by field too, as any change
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="enrolment.enrolment", object_id=str(e.pk)).exists()


# Spoilt form values, the field at fault and the import's reason for the same cell.
SPOILT = [
    ({"id_number": FRESH[:-1] + ("0" if FRESH[-1] != "0" else "1")}, "id_number", "身份证号码校验位不正确"),
    ({"id_number": ""}, "id_number", "证件号码必填"),
    ({"name": ""}, "name", "姓名不能为空，最多64个字符"),
    ({"sex": "F"}, "sex", "性别与证件号码不一致"),
    ({"birth_date": "1995-05-06"}, "birth_date", "出生日期与证件号码不一致"),
    ({"phone": "12345"}, "phone", "联系电话应为11位手机号或带区号的固定电话"),
    ({"district": "青秀区"}, "district", "不是徐州市的区县：青秀区"),
    ({"district": ""}, "district", "区县必填"),
    ({"scheme": ""}, "scheme", "险种必填"),
    ({"category": ""}, "category", "职工医保参保人须填写人员类别"),
    ({"scheme": "resident"}, "category", "城乡居民医保参保人不填人员类别"),
    ({"start": ""}, "start", "参保日期必填"),
    ({"start": "2024-02-30"}, "start", "日期不存在：2024-02-30"),
    ({"start": "1990-01-01"}, "start", "参保日期不能早于出生日期或晚于今天"),
    ({"contribution_base": "1e9"}, "contribution_base", "科学计数法"),
]


@pytest.mark.parametrize("spoil, field, reason", SPOILT, ids=[s[1] + str(i) for i, s in enumerate(SPOILT)])
def test_refuses_what_the_import_refuses_in_the_same_words(home, clerk, tmp_path, spoil, field, reason):
    values = form(**spoil)
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        counter.register(clerk, values)
    [said] = exc.value.message_dict[field]
    assert reason in said
    assert snapshot() == before
    # The same values as a roster row: the same column and the very same words.
    path = tmp_path / "roster.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(values)
        writer.writerow(values.values())
    job = start_import(path, home.region)
    [(column, why)] = job.issues.filter(kind=IssueKind.REJECTED).values_list("column", "reason")
    assert (column, why) == (FIELD_LABELS[field], said)


def test_the_start_may_not_be_after_today(home, clerk):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        counter.register(clerk, form(start=f"{tomorrow:%Y-%m-%d}"))
    assert exc.value.message_dict == {"start": ["参保日期不能早于出生日期或晚于今天"]}


def test_a_region_that_bills_from_the_base_asks_for_it(world):
    nanning_clerk = world["away"].users[Role.CLERK]
    values = form(id_number=make_id_number("450103", date(1995, 5, 5), 60, "M"), district="青秀区")
    with pytest.raises(ValidationError) as exc:
        counter.register(nanning_clerk, values)
    assert exc.value.message_dict == {"contribution_base": ["在职职工按缴费基数缴费，须填写"]}
    done = counter.register(nanning_clerk, values | {"contribution_base": "6000.50"})
    assert str(done.enrolment.contribution_base) == "6000.50" and done.person.region_id == "nanning"


# An ID already registered -----------------------------------------------------------------------

def test_an_id_number_the_region_holds_is_refused_naming_that_person(home, clerk):
    person = home.other_person
    before = snapshot()
    with pytest.raises(counter.AlreadyRegistered) as exc:
        counter.register(clerk, form(id_number=" " + person.id_number.lower() + " "))
    assert exc.value.person == person
    assert exc.value.message_dict == {"id_number": [f"该证件号码已登记为参保人 李建国（{person.masked_id}），不能重复登记"]}
    assert snapshot() == before
    end_enrolment(person.enrolments.get(), end=date(2025, 3, 31), reason="moved_out")
    with pytest.raises(counter.AlreadyRegistered, match="目前没有有效的参保登记，请在其页面新增参保登记"):
        counter.register(clerk, form(id_number=person.id_number))


def test_a_number_registered_by_someone_else_meanwhile_is_the_same_refusal(home, clerk, monkeypatch):
    """Two clerks at once: the check finds no one, the unique constraint then does."""
    person = home.other_person
    real, calls = counter._registered, []

    def not_yet(region, number):
        calls.append(number)
        return None if len(calls) == 1 else real(region, number)

    monkeypatch.setattr(counter, "_registered", not_yet)
    before = snapshot()
    with pytest.raises(counter.AlreadyRegistered) as exc:
        counter.register(clerk, form(id_number=person.id_number, category="retired"), confirmed=[WARNING])
    assert exc.value.person == person and snapshot() == before


def test_another_regions_register_is_neither_consulted_nor_named(world):
    xuzhou_person = world["home"].person
    nanning_clerk = world["away"].users[Role.CLERK]
    done = counter.register(nanning_clerk, form(id_number=xuzhou_person.id_number, name="王秀英", district="青秀区",
                                                category="retired", pension="2000.00", start="2025-01-01"),
                            confirmed=["地址码 320311 不在行政区划代码表中（或晚于出生年份启用），请核对"])
    assert done.person.region_id == "nanning" and done.person != xuzhou_person


def test_a_user_who_may_not_see_the_person_is_not_told_who_it_is(home, clerk, monkeypatch):
    monkeypatch.setattr(counter, "visible", lambda queryset, user: queryset.none())
    with pytest.raises(counter.AlreadyRegistered) as exc:
        counter.register(clerk, form(id_number=home.person.id_number))
    assert exc.value.person is None
    assert exc.value.message_dict == {"id_number": ["该证件号码已在本统筹地区登记，不能重复登记"]}


# Warnings ---------------------------------------------------------------------------------------

WARNING = "地址码 320311 不在行政区划代码表中（或晚于出生年份启用），请核对"


def test_a_warning_stops_until_the_clerk_confirms_it_and_the_confirmation_is_audited(home, clerk):
    before = snapshot()
    with pytest.raises(counter.NeedsConfirmation) as exc:
        counter.register(clerk, form(id_number=OLD, category="retired"))
    assert exc.value.warnings == (WARNING,)
    assert snapshot() == before
    with pytest.raises(counter.NeedsConfirmation):  # a warning of another number does not count
        counter.register(clerk, form(id_number=OLD, category="retired"),
                         confirmed=["地址码 320312 不在行政区划代码表中（或晚于出生年份启用），请核对"])
    done = counter.register(clerk, form(id_number=OLD, category="retired"), confirmed=[WARNING])
    assert done.warnings == (WARNING,) and done.person.birth_date == date(1950, 3, 5)
    event = AuditEvent.objects.get(action=Action.CREATE, object_repr__startswith="柜台参保登记")
    assert event.detail["confirmed_warnings"] == [WARNING]


def test_the_import_takes_a_row_with_a_warning_as_before(home, tmp_path):
    path = tmp_path / "roster.csv"
    values = form(id_number=OLD, category="retired")
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(values)
        writer.writerow(values.values())
    job = start_import(path, home.region)
    assert job.counts["accepted"] == 1
    assert not job.issues.filter(kind__in=[IssueKind.REJECTED, IssueKind.WARNING]).exists()


# The page ---------------------------------------------------------------------------------------

def test_the_person_list_links_to_the_page_for_those_who_may_register(home, client_for):
    clerk_page = client_for(home.users[Role.CLERK]).get("/persons/").content.decode()
    assert 'href="/persons/register/">参保登记</a>' in clerk_page
    for role in (Role.SUPERVISOR, Role.AUDITOR, Role.BUREAU_ADMIN):
        page = client_for(home.users[role]).get("/persons/").content.decode()
        assert "/persons/register/" not in page, role


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AUDITOR, Role.BUREAU_ADMIN, Role.INSURED, Role.CARER])
def test_other_roles_may_not_register(home, client_for, role):
    client = client_for(home.users[role])
    before = snapshot()
    assert client.get("/persons/register/").status_code == 403
    assert client.post("/persons/register/", form()).status_code == 403
    response = client.post("/api/persons/register", form(), content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert snapshot() == before


def test_a_search_for_an_unregistered_number_offers_to_register_it(home, client_for):
    client = client_for(home.users[Role.CLERK])
    page = client.get(f"/persons/?q={FRESH}").content.decode()
    assert f'href="/persons/register/?id_number={FRESH}">为其办理参保登记</a>' in page
    assert "为其办理参保登记" not in client.get(f"/persons/?q={home.person.id_number}").content.decode()
    form_page = client.get(f"/persons/register/?id_number={FRESH}").content.decode()
    assert f'name="id_number" value="{FRESH}"' in form_page and "徐州市" in form_page
    assert "青秀区" not in form_page and "泉山区" in form_page  # the clerk's own region's districts only
    assert 'name="contribution_base"' not in form_page  # Xuzhou bills by fixed amounts, not from a base


def test_registering_on_the_page_goes_to_the_new_persons_page(home, client_for):
    client = client_for(home.users[Role.CLERK])
    response = client.post("/persons/register/", form())
    person = Person.objects.get(id_number=FRESH)
    assert response.status_code == 302 and response["Location"] == f"/persons/{person.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "已登记参保人 赵志强，参保登记：职工医保 在职职工 2024-01-01起" in page


def test_a_refused_form_keeps_every_value_with_the_reason_beside_its_field(home, client_for):
    client = client_for(home.users[Role.CLERK])
    typed = form(district="", address="解放南路2号 3单元", phone="13900001111", name="赵志强",
                 birth_date="1995-05-05", sex="M")
    before = snapshot()
    response = client.post("/persons/register/", typed)
    page = response.content.decode()
    assert response.status_code == 422 and snapshot() == before
    for name in ("id_number", "name", "birth_date", "phone", "address", "start"):
        assert f'name="{name}" value="{typed[name]}"' in page, name
    for name in ("sex", "scheme", "category"):
        assert re.search(rf'<select id="f-{name}" name="{name}"[^>]*>.*?<option value="{typed[name]}" selected>', page, re.S), name
    # The reason sits under the district's own field, in Chinese, without the field's code.
    assert re.search(r'<select id="f-district" name="district"[^>]*aria-invalid="true".*?</select>'
                     r'<div class="error" id="e-district" role="alert">区县必填</div>', page, re.S)
    assert "district" not in re.sub(r'(name|id|for|aria-describedby)="[^"]*"', "", page)
    again = client.post("/persons/register/", typed | {"district": "朝阳区"}).content.decode()
    assert "不是徐州市的区县：朝阳区" in again


def test_an_id_already_registered_links_to_that_person_on_the_page(home, client_for):
    client = client_for(home.users[Role.CLERK])
    person = home.other_person
    page = client.post("/persons/register/", form(id_number=person.id_number)).content.decode()
    assert f"该证件号码已登记为参保人 李建国（{person.masked_id}），不能重复登记" in page
    assert f'<a id="existing" href="/persons/{person.pk}/">打开 李建国 的参保人页面</a>' in page
    assert f'name="name" value="赵志强"' in page


def test_a_warning_is_shown_and_the_clerk_confirms_it_on_the_page(home, client_for):
    client = client_for(home.users[Role.CLERK])
    typed = form(id_number=OLD, category="retired", name="周桂英")
    first = client.post("/persons/register/", typed)
    page = first.content.decode()
    assert first.status_code == 200 and not Person.objects.filter(id_number=OLD).exists()
    assert WARNING in page and "已核对，确认登记" in page and 'name="name" value="周桂英"' in page
    confirmed = re.findall(r'<input type="hidden" name="confirmed" value="([^"]*)">', page)
    assert confirmed == [WARNING]
    second = client.post("/persons/register/", typed | {"confirmed": confirmed})
    person = Person.objects.get(id_number=OLD)
    assert second["Location"] == f"/persons/{person.pk}/"
    assert f"（已核对：{WARNING}）" in client.get(second["Location"]).content.decode()


# The API ----------------------------------------------------------------------------------------

def test_the_api_registers_refuses_and_asks_to_confirm(home, client_for):
    client = client_for(home.users[Role.CLERK])

    def post(body):
        return client.post("/api/persons/register", body, content_type="application/json")

    bad = post(form(district="朝阳区"))
    assert bad.status_code == 422
    assert (bad.json()["field"], bad.json()["message"]) == ("district", "不是徐州市的区县：朝阳区")
    made = post(form(region="nanning"))
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["region"] == "xuzhou" and body["name"] == "赵志强" and body["warnings"] == []
    assert body["enrolment"] == {"scheme": "employee", "category": "in_service", "start": "2024-01-01", "end": None,
                                 "status": "active"}
    assert FRESH not in made.content.decode()  # the number comes back masked
    again = post(form())
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    assert again.json()["person_id"] == body["id"] and again.json()["field"] == "id_number"
    ask = post(form(id_number=OLD, category="retired"))
    assert ask.status_code == 409 and ask.json()["code"] == "needs_confirmation"
    assert ask.json()["warnings"] == [WARNING] and not Person.objects.filter(id_number=OLD).exists()
    done = post(form(id_number=OLD, category="retired") | {"confirmed_warnings": ask.json()["warnings"]})
    assert done.status_code == 201 and done.json()["warnings"] == [WARNING]
