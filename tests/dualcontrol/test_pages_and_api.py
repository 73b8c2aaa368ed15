"""The 双人复核 page and API: who sees the region's requests, who may decide them, and the steps
through the page; pending items link from the pages where they are made."""

from datetime import date
from decimal import Decimal

import pytest

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.audit.models import AuditEvent
from ltci.dualcontrol.models import Request, RequestStatus
from ltci.fund.budget import set_budget
from ltci.fund.fees import post_fee
from ltci.fund.models import Fee
from ltci.fund.services import Entry, post

from tests.confirming import confirmed_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(world):
    """A Xuzhou fee of 12,000.00 waiting for a second fund manager, made by the world's bureau admin."""
    home = world["home"]
    post(region_id="xuzhou", key="dc:income", posted_on=date(2025, 1, 5), kind="test", memo="缴费", source=home.region,
         entries=[Entry("1002", debit=Decimal("50000.00")), Entry("4101", credit=Decimal("50000.00"))])
    set_budget("xuzhou", 2025, {"5202": "20000.00"}, None)
    req = post_fee("xuzhou", "agency", "12000.00", date(2025, 3, 1), "一季度经办费", home.users[Role.BUREAU_ADMIN])
    assert isinstance(req, Request)
    home.second = create_user(username="xz-admin-2", password=None, role=Role.BUREAU_ADMIN, region=home.region,
                              full_name="基金科 陈静")
    return home


def test_the_queue_shows_the_regions_requests_to_those_who_check(waiting, world, client_for):
    maker = client_for(waiting.users[Role.BUREAU_ADMIN])
    page = maker.get("/dual-control/").content.decode()
    assert "双人复核" in page and "经办服务费 12,000.00 元" in page and "等待其他人员复核" in page and "撤回" in page
    assert 'href="/dual-control/"' in maker.get("/").content.decode()  # in the navigation
    assert 'href="/dual-control/"' in maker.get("/fund/").content.decode()  # and from where fees are paid
    assert "待复核的费用" in maker.get("/fund/").content.decode()
    second = client_for(waiting.second).get("/dual-control/").content.decode()
    assert "复核通过" in second and "驳回" in second
    clerk = client_for(waiting.users[Role.CLERK]).get("/dual-control/").content.decode()
    assert "12,000.00" in clerk and "须由有相应权限的其他人员复核" in clerk  # a clerk sees but may not decide a fee
    assert client_for(world["away"].users[Role.CLERK]).get("/api/dual-control/requests").json() == []
    for role in (Role.AUDITOR, Role.SUPERVISOR, Role.INSTITUTION_ADMIN, Role.INSURED, Role.CARER):
        assert client_for(waiting.users[role]).get("/dual-control/").status_code == 403
        assert client_for(waiting.users[role]).get("/api/dual-control/requests").status_code == 403


def test_the_api_lists_filters_and_decides(waiting, world, client_for):
    req = Request.objects.get()
    api = client_for(waiting.second)
    listed = api.get("/api/dual-control/requests?status=pending&kind=fee").json()
    assert [r["id"] for r in listed] == [req.pk] and listed[0]["amount"] == "12000.00"
    assert listed[0]["kind_label"] == "经办与评估费用" and listed[0]["status_label"] == "待复核"
    assert api.get("/api/dual-control/requests?status=odd").json()["field"] == "status"
    own = client_for(waiting.users[Role.BUREAU_ADMIN]).post(f"/api/dual-control/requests/{req.pk}/approve", {},
                                                            content_type="application/json")
    assert own.status_code == 409 and "提交人以外" in own.json()["message"]
    away = client_for(world["away"].users[Role.BUREAU_ADMIN])
    assert away.post(f"/api/dual-control/requests/{req.pk}/approve", {}, content_type="application/json").status_code == 404
    assert client_for(waiting.users[Role.CLERK]).post(f"/api/dual-control/requests/{req.pk}/approve", {},
                                                      content_type="application/json").status_code == 403
    no_reason = api.post(f"/api/dual-control/requests/{req.pk}/reject", {"reason": ""}, content_type="application/json")
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    done = api.post(f"/api/dual-control/requests/{req.pk}/approve", {"note": "已核对合同"},
                    content_type="application/json").json()
    assert done["status"] == "approved" and done["decided_by"] == "xz-admin-2" and done["result"].startswith("fund.fee:")
    again = api.post(f"/api/dual-control/requests/{req.pk}/reject", {"reason": "x"}, content_type="application/json")
    assert again.status_code == 409 and Fee.objects.count() == 1


def test_the_page_approves_rejects_and_withdraws(waiting, client_for):
    req = Request.objects.get()
    second = client_for(waiting.second)
    page = second.post(f"/dual-control/{req.pk}/action", {"action": "reject", "reason": ""}, follow=True).content.decode()
    assert "请填写驳回理由" in page and Request.objects.get().status == RequestStatus.PENDING
    page = second.post(f"/dual-control/{req.pk}/action", {"action": "reject", "reason": "合同金额不符"},
                       follow=True).content.decode()
    assert "已驳回" in page and "合同金额不符" in page and not Fee.objects.exists()
    maker = client_for(waiting.users[Role.BUREAU_ADMIN])
    page = confirmed_post(maker, "/fund/fees", {"kind": "agency", "amount": "12000.00", "on": "2025-03-01",
                                                "memo": "重新提交"}, follow=True).content.decode()
    assert "已提交双人复核" in page and "超过双人复核限额 10,000.00 元" in page
    new = Request.objects.get(status=RequestStatus.PENDING)
    assert "只有提交人可以撤回" in second.post(f"/dual-control/{new.pk}/action", {"action": "withdraw"},
                                             follow=True).content.decode()
    assert "已撤回" in maker.post(f"/dual-control/{new.pk}/action", {"action": "withdraw"}, follow=True).content.decode()
    third = confirmed_post(maker, "/fund/fees", {"kind": "agency", "amount": "12000.00", "on": "2025-03-01",
                                                 "memo": "第三次"})
    assert third.status_code == 302
    last = Request.objects.get(status=RequestStatus.PENDING)
    page = second.post(f"/dual-control/{last.pk}/action", {"action": "approve", "checked": "on"},
                       follow=True).content.decode()
    assert "已复核通过，立即生效" in page and Fee.objects.get().approved_by == waiting.second
    assert second.post(f"/dual-control/{last.pk}/action", {"action": "burn"}).status_code == 404
    steps = list(AuditEvent.objects.filter(object_type="dualcontrol.request").order_by("id")
                 .values_list("detail__step", flat=True))
    assert steps == ["submit", "reject", "submit", "withdraw", "submit", "approve"]
