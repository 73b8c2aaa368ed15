"""Fines typed by hand: at most five times the fund the case's lines paid or 50,000 yuan, whichever is
higher; above the region's dual-control threshold a fine waits for a second clerk and is recorded
only when approved.

The finding: a fine of `1e6` went through at once."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.audit.models import AuditEvent
from ltci.dualcontrol import services as dual
from ltci.dualcontrol.models import Request, RequestStatus
from ltci.fund.models import Journal
from ltci.supervision import sanctions
from ltci.supervision.models import Sanction, SanctionKind
from ltci.settlement.review import StepRefused

from .support import *  # noqa: F401,F403  (fixtures)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def agency(home):
    """A second clerk of the agency: the other person for fines above the threshold."""
    return create_user(username="xz-clerk-2", password=None, role=Role.CLERK, region=home.region, full_name="经办乙")


@pytest.mark.parametrize("typed", ["1e6", "1000000", "1,000,000.00"])
def test_the_fine_of_a_million_is_refused_with_the_cases_ceiling(confirmed, settled, people, typed):
    assert settled.feb_line.fund + settled.march_line.fund == D("2250.00")  # what the case's lines pay
    ceiling, why = sanctions.fine_ceiling(confirmed)
    assert ceiling == D("50000.00")  # 5 × 2,250.00 is less than 50,000
    with pytest.raises(ValidationError) as exc:
        sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="违约", amount=typed)
    message = exc.value.message_dict["amount"][0]
    if typed == "1e6":
        assert "科学计数法" in message
    else:
        assert message == ("罚款金额 1,000,000.00 元超过上限 50,000.00 元（罚款至多为本案涉及基金支付 2,250.00 元的5倍或"
                           " 50,000.00 元，取其高者）")
    assert not Sanction.objects.exists() and not Request.objects.exists()


def test_the_ceiling_grows_with_the_fund_the_case_concerns(confirmed, monkeypatch):
    monkeypatch.setattr(sanctions, "FINE_FIXED_MAX", D("1000.00"))
    assert sanctions.fine_ceiling(confirmed)[0] == D("11250.00")  # 5 × 2,250.00


def test_a_fine_at_the_threshold_is_recorded_at_once(confirmed, people):
    s = sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="违约", amount="10000.00")
    assert isinstance(s, Sanction) and s.amount == D("10000.00") and not Request.objects.exists()


def test_a_fine_above_the_threshold_waits_for_another_clerk(confirmed, people, agency):
    journals = Journal.objects.count()
    req = sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="虚记服务，按协议处罚", amount="20000")
    assert isinstance(req, Request) and req.status == RequestStatus.PENDING and not Sanction.objects.exists()
    assert "超过双人复核限额 10,000.00 元" in req.reason and confirmed.number in req.summary
    with pytest.raises(StepRefused, match="待复核"):  # one pending fine per case
        sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="再罚", amount="30000")
    with pytest.raises(StepRefused, match="提交人以外"):
        dual.approve(req, people["clerk"])
    for stranger in (people["auditor"], people["second"]):  # auditors do not sanction
        with pytest.raises(PermissionDenied):
            dual.approve(req, stranger)
    dual.approve(req, agency)
    s = Sanction.objects.get()
    assert (s.kind, s.amount, s.applied_by, s.reason) == ("fine", D("20000.00"), people["clerk"], "虚记服务，按协议处罚")
    assert s.effects["approved_by"] == "经办乙" and s.effects["dual_control"] == req.pk
    assert Journal.objects.count() == journals  # fines are the treasury's, never the fund's
    steps = [e.detail["step"] for e in AuditEvent.objects.filter(object_type="dualcontrol.request").order_by("id")]
    assert steps == ["submit", "approve"]
    assert AuditEvent.objects.filter(object_type="supervision.case", detail__step="sanction", actor=agency).exists()


def test_a_rejected_or_withdrawn_fine_records_nothing(confirmed, people, agency):
    req = sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="处罚", amount="20000")
    dual.reject(req, agency, "金额与协议违约条款不符")
    again = sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="处罚", amount="15000")
    dual.withdraw(again, people["clerk"])
    assert not Sanction.objects.exists()
    assert list(Request.objects.order_by("id").values_list("status", flat=True)) == ["rejected", "withdrawn"]


def test_the_fine_api_answers_202_while_it_waits(confirmed, people, agency, client_for):
    clerk = client_for(people["clerk"])
    r = clerk.post(f"/api/supervision/cases/{confirmed.pk}/sanctions",
                   {"kind": "fine", "reason": "违约", "amount": "20000.00"}, content_type="application/json")
    assert r.status_code == 202 and r.json()["kind"] == "fine" and r.json()["status"] == "pending"
    other = client_for(agency)
    queue = other.get("/api/dual-control/requests?status=pending").json()
    assert [q["id"] for q in queue] == [r.json()["id"]]
    done = other.post(f"/api/dual-control/requests/{r.json()['id']}/approve", {"note": "已核"},
                      content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "approved"
    assert done.json()["result"] == f"supervision.sanction:{Sanction.objects.get().pk}"
    page = client_for(people["clerk"]).get(f"/supervision/cases/{confirmed.pk}/").content.decode()
    assert "复核人：经办乙" in page and "本案罚款上限 50,000.00 元" in page


def test_a_fine_split_in_two_still_meets_the_threshold_and_the_ceiling(confirmed, people, agency):
    """Review finding: two fines of 10,000 passed without a second person, and fines of 50,000 each
    could go past the case's ceiling. The case's fines count together."""
    first = sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="违约", amount="10000")
    assert isinstance(first, Sanction)
    second = sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="再罚", amount="10000")
    assert isinstance(second, Request) and second.status == RequestStatus.PENDING
    assert second.reason.startswith("连同本案已处罚款 10,000.00 元，金额 20,000.00 元超过双人复核限额 10,000.00 元")
    dual.approve(second, agency)  # the request does not count against itself
    assert Sanction.objects.filter(kind=SanctionKind.FINE).count() == 2
    with pytest.raises(ValidationError) as exc:  # 20,000 fined: 30,000 left of 50,000
        sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="三罚", amount="30000.01")
    assert "已处罚款（含待复核）20,000.00 元，尚可处 30,000.00 元" in exc.value.message_dict["amount"][0]
    third = sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="三罚", amount="30000")
    assert isinstance(third, Request)
    dual.approve(third, agency)
    with pytest.raises(ValidationError, match="尚可处 0.00 元"):
        sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="四罚", amount="0.01")
    assert sum(s.amount for s in Sanction.objects.filter(kind=SanctionKind.FINE)) == D("50000.00")


def test_a_waiting_fine_counts_against_the_ceiling(confirmed, people):
    sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="违约", amount="45000")
    assert sanctions.fined_so_far(confirmed) == D("45000.00")
    with pytest.raises(ValidationError, match="尚可处 5,000.00 元"):
        sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="再罚", amount="6000")
