"""Registering a person by hand: identity documents of every kind, districts of the region, groups."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from ltci.accounts.roles import Role
from ltci.enrolment.idcard import check_digit, make_id_number
from ltci.enrolment.models import GroupMembership
from ltci.enrolment.services import add_group, register_person
from ltci.regions.models import Region

from tests.confirming import confirmed_post


@pytest.fixture
def xuzhou(db):
    return Region.objects.get(pk="xuzhou")


def test_a_district_must_be_the_regions_and_is_kept_by_name(xuzhou):
    person, _ = register_person(region=xuzhou, id_number=make_id_number("320311", date(1950, 1, 2), 3, "F"),
                                name="周桂英", district="320311")
    assert person.district == "泉山区" and person.name_initials == "zgy"
    with pytest.raises(ValidationError) as exc:
        register_person(region=xuzhou, id_number=make_id_number("320311", date(1950, 1, 2), 4, "F"), name="吴兰",
                        district="浦东新区")
    assert exc.value.message_dict["district"] == ["不是徐州市的区县：浦东新区"]


def test_residence_permits_register_by_their_own_rules(xuzhou):
    first17 = "81000019800101002"
    person, _ = register_person(region=xuzhou, id_number=first17 + check_digit(first17), name="陈大文")
    assert (person.id_kind, person.sex, person.birth_date) == ("hmt_residence", "F", date(1980, 1, 1))
    with pytest.raises(ValidationError) as exc:
        register_person(region=xuzhou, id_number="KAZ110090123105", name="Aliya")
    assert "须填写性别" in exc.value.message_dict["sex"][0]
    foreigner, _ = register_person(region=xuzhou, id_number="KAZ110090123105", name="Aliya", sex="F")
    assert foreigner.id_kind == "foreign_permanent"


def test_group_memberships_need_evidence_and_do_not_overlap(world, client_for):
    person = world["home"].other_person
    clerk = client_for(world["home"].users[Role.CLERK])
    response = clerk.post(f"/api/persons/{person.pk}/groups", {"group": "medical_aid", "evidence": "JZ-88",
                                                               "valid_from": "2024-01-01", "valid_to": "2024-12-31"},
                          content_type="application/json")
    assert response.status_code == 201 and response.json()["label"] == "医疗救助对象"
    with pytest.raises(ValidationError, match="已有登记"):
        add_group(person, group="medical_aid", evidence="JZ-89", valid_from=date(2024, 6, 1))
    with pytest.raises(ValidationError, match="证明材料编号"):
        add_group(person, group="student", evidence=" ", valid_from=date(2025, 1, 1))
    add_group(person, group="medical_aid", evidence="JZ-90", valid_from=date(2025, 1, 1))
    assert GroupMembership.objects.filter(person=person, group="medical_aid").count() == 2


def test_a_clerk_ends_and_restarts_an_enrolment_and_adds_a_group_on_the_page(world, client_for):
    person = world["home"].other_person
    clerk = client_for(world["home"].users[Role.CLERK])
    page = clerk.get(f"/persons/{person.pk}/").content.decode()
    assert "终止参保登记" in page and "新增参保登记" not in page
    done = confirmed_post(clerk, f"/persons/{person.pk}/end-enrolment", {"end": "2025-03-31", "reason": "moved_out"},
                          follow=True)
    assert "已终止参保登记（迁出本统筹地区，2025-03-31）" in done.content.decode()
    refused = clerk.post(f"/persons/{person.pk}/enrol", {"scheme": "employee", "category": "retired",
                                                         "start": "2025-03-01"}, follow=True)
    assert "参保日期须晚于上次参保终止日期 2025-03-31" in refused.content.decode()
    again = clerk.post(f"/persons/{person.pk}/enrol", {"scheme": "resident", "start": "2025-04-01"}, follow=True)
    assert "已登记参保" in again.content.decode() and person.enrolments.filter(status="active").count() == 1
    group = clerk.post(f"/persons/{person.pk}/groups", {"group": "severe_disability", "evidence": "32031119400701005911",
                                                        "valid_from": "2025-01-01", "valid_to": ""}, follow=True)
    body = group.content.decode()
    assert "已登记特殊人员身份：重度残疾人" in body and "32031119400701005911" not in body  # evidence masked
    bad = clerk.post(f"/persons/{person.pk}/groups", {"group": "student", "evidence": "X", "valid_from": "2025-02-30"},
                     follow=True)
    assert "日期不存在" in bad.content.decode()


def test_ending_an_enrolment_preselects_nothing_and_asks_before_recording_a_death(world, client_for):
    """The finding: one click on the person page recorded the person as dead (today and 死亡 preselected)."""
    person = world["home"].other_person
    clerk = client_for(world["home"].users[Role.CLERK])
    page = clerk.get(f"/persons/{person.pk}/").content.decode()
    form = page[page.index("终止参保登记"):page.index("</form>", page.index("终止参保登记"))]
    assert '<option value="" selected>请选择</option>' in form and 'name="end" required' in form
    assert 'name="end" required value' not in form and "selected" not in form.replace('value="" selected', "")
    url = f"/persons/{person.pk}/end-enrolment"
    ended = lambda: person.enrolments.filter(status="ended").count()  # noqa: E731
    assert "请选择终止原因" in clerk.post(url, {"end": "2025-03-31", "reason": ""}, follow=True).content.decode()
    assert "请填写终止日期" in clerk.post(url, {"end": "", "reason": "death"}, follow=True).content.decode()
    asked = clerk.post(url, {"end": "2025-03-31", "reason": "death"}).content.decode()
    for words in (f"确认终止{person.name}的参保登记", "死亡日期", "2025-03-31", "将登记该参保人已死亡", "确认登记死亡并终止参保"):
        assert words in asked, words
    assert ended() == 0  # a post without confirmation changes nothing
    done = confirmed_post(clerk, url, {"end": "2025-03-31", "reason": "death"}, follow=True).content.decode()
    assert "已终止参保登记（死亡，2025-03-31）" in done and ended() == 1
