"""A beneficiary's care page (长护服务), reached from the person's page: the plans with the link to the
editor, family-care days recorded by the agency, and events (a hospital stay) entered by hand, whose
days are shown held out of benefits. A refusal keeps what was typed and says why, in Chinese."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from ltci.accounts.roles import Role
from ltci.care import choices, events, family
from ltci.care.models import CareEvent, FamilyCareDay
from ltci.enrolment.idcard import make_id_number

from .conftest import HOME

SON = make_id_number("320311", date(1972, 6, 1), 7, "M")


@pytest.fixture
def fam(scene):
    person, clerk = scene["person"], scene["clerk"]
    choices.choose(person, clerk, mode="home_combined", effective_from=date(2025, 3, 1),
                   institution=scene["institution"], home_latitude=str(HOME[0]), home_longitude=str(HOME[1]))
    carer = family.register_family_carer(person, clerk, name="王小明", id_number=SON, trained=True)
    return {**scene, "family_carer": carer}


def test_the_persons_page_links_to_their_care_and_the_care_page_to_the_plan_editor(fam, client_for):
    person = fam["person"]
    clerk = client_for(fam["clerk"])
    page = clerk.get(f"/persons/{person.pk}/").content.decode()
    assert f'href="/care/persons/{person.pk}/"' in page and "长护服务：" in page
    care = clerk.get(f"/care/persons/{person.pk}/")
    text = care.content.decode()
    assert care.status_code == 200 and f"{person.name} 的长护服务" in text
    assert f'href="/care/plans/new/{person.pk}/"' in text and "制定护理计划" in text and "已确认" in text
    assert "王小明" in text and "尚未登记照护日。" in text


def test_the_agency_records_family_care_days_and_a_hospital_stay_by_hand(fam, client_for):
    person, carer = fam["person"], fam["family_carer"]
    clerk = client_for(fam["clerk"])
    url = f"/care/persons/{person.pk}/"
    today = timezone.localdate()
    first, last = today - timedelta(days=6), today - timedelta(days=1)
    done = clerk.post(url, {"action": "days", "carer": carer.pk, "first": first.isoformat(), "last": last.isoformat()},
                      follow=True).content.decode()
    assert "已登记亲情照护 6 天（王小明" in done and FamilyCareDay.objects.filter(person=person).count() == 6
    for kind, day in (("hospital_admission", today - timedelta(days=5)), ("hospital_discharge", today - timedelta(days=2))):
        answer = clerk.post(url, {"action": "event", "kind": kind, "on": day.isoformat(), "note": "市中心医院"}, follow=True)
        assert answer.status_code == 200
    page = answer.content.decode()
    assert "已登记出院" in page
    held_from = (today - timedelta(days=4)).isoformat()
    assert f"{held_from} 至 {(today - timedelta(days=2)).isoformat()}，共 3 天" in page
    assert page.count("<td>住院暂停，不计待遇</td>") == 3 and page.count("<td>计入待遇</td>") == 3
    assert events.hospital_stays(person) == [(today - timedelta(days=5), today - timedelta(days=2))]
    assert set(CareEvent.objects.filter(person=person).values_list("source", flat=True)) == {"manual"}

    # Today's day is recorded; a day inside the stay is refused with its reason, and the form keeps it.
    refused = clerk.post(url, {"action": "days", "carer": carer.pk, "first": (today - timedelta(days=3)).isoformat()})
    text = refused.content.decode()
    assert refused.status_code == 422 and "已登记" in text
    FamilyCareDay.objects.filter(person=person, day=today - timedelta(days=3)).delete()
    refused = clerk.post(url, {"action": "days", "carer": carer.pk, "first": (today - timedelta(days=3)).isoformat()})
    text = refused.content.decode()
    assert refused.status_code == 422 and "住院期间（入院次日至出院当日）暂停待遇" in text
    assert f'value="{(today - timedelta(days=3)).isoformat()}"' in text
    # A discharge with no admission open is refused in words; the typed date stays.
    bad = clerk.post(url, {"action": "event", "kind": "hospital_discharge", "on": today.isoformat()})
    assert bad.status_code == 422 and "出院之前没有未出院的入院记录" in bad.content.decode()
    assert f'value="{today.isoformat()}"' in bad.content.decode()
    empty = clerk.post(url, {"action": "event", "kind": "", "on": ""})
    assert empty.status_code == 422 and "请选择事件" in empty.content.decode()


def test_only_those_who_may_see_the_person_open_the_page_and_only_the_agency_records(fam, client_for):
    person = fam["person"]
    url = f"/care/persons/{person.pk}/"
    assert client_for(fam["home"].users[Role.CARER]).get(url).status_code == 403
    institution = client_for(fam["home"].users[Role.INSTITUTION_ADMIN])
    assert institution.get(url).status_code == 404  # the register is the agency's; plans show the institution
    plan_page = institution.get(f"/care/plans/{person.care_plans.first().pk}/").content.decode()
    assert url not in plan_page
    assert url in client_for(fam["clerk"]).get(f"/care/plans/{person.care_plans.first().pk}/").content.decode()
    away = client_for(fam["home"].users[Role.CLERK]).get(f"/care/persons/{fam['home'].other_person.pk}/")
    assert away.status_code == 200
    auditor = client_for(fam["home"].users[Role.AUDITOR])
    if auditor.get(url).status_code == 200:
        answer = auditor.post(url, {"action": "event", "kind": "death", "on": timezone.localdate().isoformat()})
        assert answer.status_code == 403 and not CareEvent.objects.exists()


def test_the_agency_registers_a_family_carer_on_the_page_and_a_refusal_keeps_what_was_typed(scene, client_for):
    from ltci.providers.models import Carer, CarerKind

    person = scene["person"]
    clerk = client_for(scene["clerk"])
    url = f"/care/persons/{person.pk}/"
    assert "登记亲情照护人员" in clerk.get(url).content.decode()
    refused = clerk.post(url, {"action": "carer", "name": "王小红", "id_number": "320311197206010000",
                               "phone": "13900001111", "trained": "1"})
    text = refused.content.decode()
    assert refused.status_code == 422 and 'value="王小红"' in text and 'value="13900001111"' in text
    assert "checked" in text and not Carer.objects.filter(kind=CarerKind.FAMILY, beneficiary=person).exists()
    done = clerk.post(url, {"action": "carer", "name": "王小红", "id_number": SON, "phone": "13900001111",
                            "trained": "1"}, follow=True).content.decode()
    assert "已登记亲情照护人员 王小红" in done and SON not in done  # the number masked
    carer = Carer.objects.get(kind=CarerKind.FAMILY, beneficiary=person)
    assert carer.trained and carer.phone == "13900001111"
