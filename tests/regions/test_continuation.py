"""The document that keeps an ended policy version in force: recorded by the region's bureau
administrator only, audited, refused in Chinese naming the field, shown beside 延续执行
(docs/decisions/0021)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from ltci.accounts.roles import Role
from ltci.audit.models import Action, AuditEvent
from ltci.regions.continuation import in_force
from ltci.regions.models import Continuation
from tests.conftest import build_region_world

FORM = {"document_number": "长医保〔2021〕3号", "title": "关于长期护理保险试点工作延续执行的通知",
        "issued_on": "2021-01-05"}


@pytest.fixture
def changning(db):
    return build_region_world("changning")


@pytest.fixture
def xuzhou(db):
    return build_region_world("xuzhou")


def test_the_bureau_admin_records_the_document_and_it_shows_beside_延续执行(changning, client_for):
    admin = changning.users[Role.BUREAU_ADMIN]
    client = client_for(admin)
    page = client.get("/regions/").content.decode()
    assert "延续执行（文件原定2020-12-31到期）" in page and "医保局尚未登记延续执行的文件" in page
    assert "登记延续执行文件" in page  # the form, for the bureau administrator

    response = client.post("/regions/changning/continuations", FORM)
    assert response.status_code == 302
    made = Continuation.objects.get()
    assert (made.version.code, made.recorded_by, made.issued_on) == ("changning-2020", admin, date(2021, 1, 5))
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="regions.continuation")
    assert event.actor == admin and event.region_id == "changning"
    assert event.detail["fields"]["document_number"] == "长医保〔2021〕3号"

    page = client.get("/regions/").content.decode()
    assert "延续执行依据：长医保〔2021〕3号《关于长期护理保险试点工作延续执行的通知》（2021-01-05发文）" in page
    assert "测试用户" in page  # who recorded it
    person_page = client_for(changning.users[Role.CLERK]).get(f"/persons/{changning.person.pk}/").content.decode()
    assert "延续执行（文件原定2020-12-31到期）" in person_page and "长医保〔2021〕3号" in person_page


def test_a_later_document_is_the_one_shown_and_the_earlier_stays(changning, client_for):
    client = client_for(changning.users[Role.BUREAU_ADMIN])
    client.post("/regions/changning/continuations", FORM)
    client.post("/regions/changning/continuations", {**FORM, "document_number": "长医保〔2024〕8号",
                                                     "issued_on": "2024-06-30"})
    assert in_force("changning").continuation.document_number == "长医保〔2024〕8号"
    listed = client.get("/api/regions/changning/continuations").json()
    assert [c["document_number"] for c in listed] == ["长医保〔2024〕8号", "长医保〔2021〕3号"]


@pytest.mark.parametrize("role", [Role.CLERK, Role.AUDITOR, Role.SUPERVISOR, Role.INSURED, Role.ASSESSOR])
def test_only_the_bureau_admin_may_record(changning, client_for, role):
    client = client_for(changning.users[role])
    assert "登记延续执行文件" not in client.get("/regions/").content.decode()
    assert client.post("/regions/changning/continuations", FORM).status_code == 403
    api = client.post("/api/regions/changning/continuations", FORM, content_type="application/json")
    assert api.status_code == 403 and api.json()["code"] == "forbidden"
    assert not Continuation.objects.exists()


def test_another_region_s_admin_cannot_record_for_it(changning, xuzhou, client_for):
    client = client_for(xuzhou.users[Role.BUREAU_ADMIN])
    assert client.post("/api/regions/changning/continuations", FORM,
                       content_type="application/json").status_code == 404
    assert client.post("/regions/changning/continuations", FORM).status_code == 404
    assert not Continuation.objects.exists()


def test_a_region_whose_document_is_in_its_term_needs_none(xuzhou, client_for):
    client = client_for(xuzhou.users[Role.BUREAU_ADMIN])
    assert "登记延续执行文件" not in client.get("/regions/").content.decode()
    response = client.post("/api/regions/xuzhou/continuations", FORM, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["message"] == "徐州市的政策文件仍在施行期内，无需登记延续执行文件"
    assert not Continuation.objects.exists()


def test_a_refused_form_keeps_what_was_typed_and_says_why_beside_each_field(changning, client_for):
    client = client_for(changning.users[Role.BUREAU_ADMIN])
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post("/regions/changning/continuations",
                           {"document_number": "长医保〔2027〕1号", "title": "", "issued_on": future})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'value="长医保〔2027〕1号"' in page and f'value="{future}"' in page
    assert "请填写文件名称" in page and "发文日期不能晚于今天" in page
    assert not Continuation.objects.exists()


@pytest.mark.parametrize("body, field, message", [
    ({**FORM, "issued_on": "2021-13-01"}, "issued_on", "发文日期不存在：2021-13-01"),
    ({**FORM, "issued_on": "2019-12-31"}, "issued_on", "发文日期不能早于原文件的施行日期（2020-01-01）"),
    ({**FORM, "document_number": " "}, "document_number", "请填写文号"),
    ({**FORM, "title": "长" * 201}, "title", "文件名称不能超过200个字"),
])
def test_the_api_refuses_bad_input_naming_the_field_in_chinese(changning, client_for, body, field, message):
    client = client_for(changning.users[Role.BUREAU_ADMIN])
    response = client.post("/api/regions/changning/continuations", body, content_type="application/json")
    assert response.status_code == 422
    assert (response.json()["field"], response.json()["message"]) == (field, message)
    assert not Continuation.objects.exists()


def test_the_api_records_and_the_region_says_how_its_policy_applies(changning, client_for):
    client = client_for(changning.users[Role.BUREAU_ADMIN])
    response = client.post("/api/regions/changning/continuations", FORM, content_type="application/json")
    assert response.status_code == 201 and response.json()["version"] == "changning-2020"
    region = client.get("/api/regions/changning").json()
    [version] = region["versions"]
    assert version["in_force"] is True and version["standing"] == "延续执行（文件原定2020-12-31到期）"
    assert region["policy_in_force"] == ("《2020年长宁区长期护理保险工作实施方案》延续执行（文件原定2020-12-31到期）；"
                                         "延续执行依据：长医保〔2021〕3号《关于长期护理保险试点工作延续执行的通知》（2021-01-05发文）")


@pytest.mark.parametrize("path, role", [("/", Role.CLERK), ("/contributions/billing/", Role.CLERK),
                                        ("/settlement/", Role.CLERK), ("/assessment/", Role.CLERK),
                                        ("/assessment/", Role.ASSESSOR), ("/", Role.BUREAU_ADMIN)])
def test_the_staff_pages_say_延续执行_with_its_basis(changning, client_for, path, role):
    client_for(changning.users[Role.BUREAU_ADMIN]).post("/regions/changning/continuations", FORM)
    page = client_for(changning.users[role]).get(path).content.decode()
    assert "延续执行（文件原定2020-12-31到期）" in page, path
    assert "长医保〔2021〕3号" in page and "决策记录" not in page and "changning-2020" not in page
