"""The evaluator pool is kept in the admin: listed with its kinds and titles, recusals inline, their
person named by ID number and shown masked (docs/decisions/0015)."""

import pytest

from ltci.accounts.services import create_user
from ltci.assessment.models import Recusal
from ltci.audit.models import Action, AuditEvent


@pytest.fixture
def client(world, client_for):
    admin = create_user(username="root", password=None, role="", full_name="平台管理员", is_superuser=True,
                        is_staff=True)
    return client_for(admin)


def test_the_platform_administrator_keeps_the_pool_in_the_admin(world, pool, client):
    page = client.get("/admin/assessment/evaluator/").content.decode()
    assert "评估3（评定专家）" in page and "副高级" in page
    assert client.get(f"/admin/assessment/evaluator/{pool.experts[0].pk}/change/").status_code == 200


def _form(expert, **recusal):
    values = {"user": expert.user_id, "region": expert.region_id, "kind": expert.kind, "title": expert.title,
              "title_rank": expert.title_rank, "body": expert.body, "institution": "", "active": "on",
              "recusals-TOTAL_FORMS": "1", "recusals-INITIAL_FORMS": "0", "recusals-MIN_NUM_FORMS": "0",
              "recusals-MAX_NUM_FORMS": "1000"}
    if expert.committee:
        values["committee"] = "on"
    return values | {f"recusals-0-{k}": v for k, v in recusal.items()}


def test_a_recusal_names_its_person_by_id_number_and_shows_it_masked(world, pool, client):
    expert, person, away = pool.experts[0], world["home"].person, world["away"].person
    url = f"/admin/assessment/evaluator/{expert.pk}/change/"
    refused = client.post(url, _form(expert, person_id_number=away.id_number, reason="亲属"))
    assert refused.status_code == 200 and "该统筹地区没有此证件号码的参保人" in refused.content.decode()
    assert not Recusal.objects.exists()
    assert client.post(url, _form(expert, person_id_number=person.id_number, reason="亲属")).status_code == 302
    recusal = Recusal.objects.get()
    assert recusal.person == person and recusal.evaluator == expert
    page = client.get(url).content.decode()
    assert person.masked_id in page and person.id_number not in page and person.name not in page
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="assessment.recusal")
    assert event.region_id == "xuzhou" and person.id_number not in str(event.detail) + event.object_repr
