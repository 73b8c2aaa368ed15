"""Settlement over the API and on pages: who may do what, what is masked, what is refused."""


import re

import pytest

from ltci.accounts.roles import Role
from ltci.audit.models import AuditEvent
from ltci.settlement import review, run
from ltci.settlement.models import Claim, Line

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(home):
    run.start_settlement(home.region, "2025-03", user=home.users[Role.CLERK], today=TODAY)
    return Claim.objects.get()


def test_a_clerk_runs_a_month_through_the_api(home, client_for):
    c = client_for(home.users[Role.CLERK])
    r = c.post("/api/settlement/runs", {"month": "2025-03"}, content_type="application/json")
    assert r.status_code == 202 and r.json()["status"] == "done" and r.json()["counts"]["lines"] == 1
    assert c.get(f"/api/settlement/runs/{r.json()['id']}").json()["percent"] == 100
    bad = c.post("/api/settlement/runs", {"month": "2025-3"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "month"
    assert client_for(home.users[Role.AUDITOR]).post(
        "/api/settlement/runs", {"month": "2025-03"}, content_type="application/json").status_code == 403


def test_lines_carry_their_explanation_and_viewing_them_is_logged(claim, home, client_for):
    c = client_for(home.users[Role.CLERK])
    lines = c.get(f"/api/settlement/claims/{claim.pk}/lines").json()
    assert lines[0]["explanation"][0]["clause"].startswith("xuzhou") and lines[0]["status"] == "waiting"
    assert "*" in lines[0]["masked_id"] and home.person.id_number not in str(lines)
    assert AuditEvent.objects.filter(action="view_health", object_id=str(claim.pk)).exists()


def test_an_institution_sees_and_disputes_only_its_own_claims(claim, home, world, client_for):
    own = client_for(home.users[Role.INSTITUTION_ADMIN])
    assert [x["id"] for x in own.get("/api/settlement/claims").json()] == [claim.pk]
    line = Line.objects.get()
    r = own.post(f"/api/settlement/lines/{line.pk}/dispute", {"reason": "床日数有误"}, content_type="application/json")
    assert r.status_code == 201
    again = own.post(f"/api/settlement/lines/{line.pk}/dispute", {"reason": "再次"}, content_type="application/json")
    assert again.status_code == 409
    away = client_for(world["away"].users[Role.INSTITUTION_ADMIN])
    assert away.get(f"/api/settlement/claims/{claim.pk}").status_code == 404
    assert away.post(f"/api/settlement/lines/{line.pk}/dispute", {"reason": "x"},
                     content_type="application/json").status_code == 404


def test_the_steps_over_the_api_refuse_one_person_doing_two(claim, home, clerks, client_for):
    reviewer = client_for(clerks["reviewer"])
    a = reviewer.post(f"/api/settlement/claims/{claim.pk}/review", {"note": ""}, content_type="application/json")
    assert a.status_code == 201
    same = reviewer.post(f"/api/settlement/approvals/{a.json()['id']}/approve", {}, content_type="application/json")
    assert same.status_code == 409 and "不同人员" in same.json()["message"]
    ok = client_for(clerks["approver"]).post(f"/api/settlement/approvals/{a.json()['id']}/approve", {},
                                              content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "approved"


def test_accounts_are_masked_except_in_the_bank_file(claim, home, clerks, client_for):
    review.approve(review.review(claim, clerks["reviewer"]), clerks["approver"])
    payer = client_for(clerks["payer"])
    bad = payer.put("/api/settlement/payee-accounts", {"institution_id": home.institution.pk, "account_name": "护理院",
                                                        "bank": "工行", "account_number": "62220A"},
                    content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "account_number"
    r = payer.put("/api/settlement/payee-accounts", {"institution_id": home.institution.pk, "account_name": "护理院",
                                                      "bank": "工行", "account_number": "6222021234567890123"},
                  content_type="application/json")
    assert r.status_code == 202 and r.json()["status"] == "pending" and "6222 **** **** 0123" in r.json()["summary"]
    assert "6222021234567890123" not in r.content.decode()
    assert client_for(clerks["approver"]).post(f"/api/dual-control/requests/{r.json()['id']}/approve", {},
                                               content_type="application/json").status_code == 200
    page = payer.get("/settlement/payments/").content.decode()
    assert "6222 **** **** 0123" in page and "6222021234567890123" not in page
    batch = payer.post("/api/settlement/payment-batches")
    assert batch.status_code == 201 and batch.json()["payees"] == 1
    csv = payer.get(f"/api/settlement/payment-batches/{batch.json()['id']}/bank-file")
    assert "6222021234567890123" in csv.content.decode("utf-8-sig")
    assert AuditEvent.objects.filter(action="export", object_type="settlement.payment_bank_file").exists()
    assert client_for(clerks["reviewer"]).get("/settlement/payments/").status_code == 200  # clerks may pay
    assert client_for(home.users[Role.INSTITUTION_ADMIN]).get(
        f"/api/settlement/payment-batches/{batch.json()['id']}/bank-file").status_code == 403


def test_the_claim_page_works_its_forms(claim, home, clerks, client_for):
    c = client_for(clerks["reviewer"])
    page = c.get(f"/settlement/claims/{claim.pk}/").content.decode()
    assert "计算说明" in page and "五(三)1" in page and home.person.masked_id in page
    line = Line.objects.get()
    r = c.post(f"/settlement/claims/{claim.pk}/action", {"action": "hold", "id": line.pk, "text": "疑点核查"})
    assert r.status_code == 302 and "暂缓支付" in c.get(f"/settlement/claims/{claim.pk}/").content.decode()
    empty = c.post(f"/settlement/claims/{claim.pk}/action", {"action": "review", "id": claim.pk}, follow=True)
    assert "没有待审核" in empty.content.decode()
    other = client_for(home.users[Role.INSTITUTION_ADMIN])
    assert other.post(f"/settlement/claims/{claim.pk}/action", {"action": "recover", "id": line.pk,
                                                                 "text": "x"}).status_code == 403


def test_statements_are_pdfs_for_those_who_may_see_them(claim, home, world, client_for):
    clerk = client_for(home.users[Role.CLERK])
    pdf = clerk.get(f"/settlement/claims/{claim.pk}/statement.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    mine = client_for(home.users[Role.INSURED])
    assert mine.get(f"/settlement/statements/{home.person.pk}/2025-03.pdf").content.startswith(b"%PDF")
    assert "我的待遇" in mine.get("/settlement/").content.decode()
    assert mine.get(f"/settlement/statements/{home.other_person.pk}/2025-03.pdf").status_code == 404
    assert client_for(world["away"].users[Role.CLERK]).get(
        f"/settlement/claims/{claim.pk}/statement.pdf").status_code == 404


def test_the_settlement_page_starts_a_run_and_shows_its_progress(home, client_for):
    c = client_for(home.users[Role.CLERK])
    assert "执行结算" in c.get("/settlement/").content.decode()
    r = c.post("/settlement/", {"month": "2025-03"})
    assert r.status_code == 302 and "/jobs/" in r["Location"]
    job_page = c.get(r["Location"]).content.decode()
    assert "月度结算" in job_page and "新增结算明细 1 条" in job_page
    bad = c.post("/settlement/", {"month": "2099-01"}, follow=True).content.decode()
    assert "尚未结束" in bad


def test_the_platform_administrator_takes_no_step_with_money(claim, home, clerks, client_for):
    """Issue 15: the platform administrator approved a claim. He now reaches no claim and no step."""
    from ltci.accounts.models import User
    from ltci.settlement.models import Approval

    approval = review.review(claim, clerks["reviewer"])
    admin = client_for(User.objects.create_superuser("root", password=None))
    steps = [(f"/api/settlement/approvals/{approval.pk}/approve", {"note": ""}),
             ("/api/settlement/runs", {"month": "2025-04"}),
             (f"/api/settlement/claims/{claim.pk}/review", {"note": ""}),
             (f"/api/settlement/approvals/{approval.pk}/return", {"note": "退回"}),
             ("/api/settlement/payment-batches", {})]
    for url, body in steps:
        assert admin.post(url, body, content_type="application/json").status_code == 403, url
    page = admin.post(f"/settlement/claims/{claim.pk}/action", {"action": "approve", "id": approval.pk})
    assert page.status_code == 403
    assert admin.get(f"/api/settlement/claims/{claim.pk}").status_code == 403
    assert Approval.objects.get(pk=approval.pk).status == approval.status and approval.status != "approved"


def _claim_cells(page: str, claim: Claim) -> list[str]:
    row = re.search(rf">{claim.number}</a></td>(.*?)</tr>", page, re.S).group(1)
    return re.findall(r"<td>(.*?)</td>", row, re.S)


def test_the_claims_list_shows_each_claims_figures_as_the_api_does(claim, home, clerks, client_for):
    """The list's figures come from the page's claims alone (a city's every line is not summed for
    50 rows); a held line no longer waits for review, on the page as in the API."""
    c = client_for(clerks["reviewer"])
    line = Line.objects.get()
    api = c.get("/api/settlement/claims").json()[0]
    assert (api["lines"], api["waiting"]) == (1, 1)
    assert c.get("/api/settlement/claims?offset=1").json() == []  # 20 a page unless limit says (at most 500)
    assert [x["id"] for x in c.get("/api/settlement/claims?limit=0").json()] == [claim.pk]
    cells = _claim_cells(c.get("/settlement/").content.decode(), claim)
    assert cells[2:] == ["1", "1", f"{line.fund:,.2f}", f"{line.personal:,.2f}"]
    review.hold(line, clerks["reviewer"], "疑点核查")
    assert c.get("/api/settlement/claims").json()[0]["waiting"] == 0
    assert _claim_cells(c.get("/settlement/").content.decode(), claim)[3] == "0"
