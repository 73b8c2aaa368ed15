"""The fund's projection as the bureau uses it: asked for on the page with a draft beside the current
policy, read as figures, charts, Excel and a Chinese PDF; refused with the field and the reason when
the settings or the draft cannot be right; seen by the supervisor, asked for only by the bureau."""

import io
import re
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import load_workbook

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.audit.models import Action, AuditEvent
from ltci.core.models import Job, JobStatus
from ltci.fund.drafts import current_text
from ltci.fund.models import Projection
from ltci.regions.models import Region

TODAY_DRAFT_LINE = 'individual = { value = "20.00", clause = "四(一)" }'


@pytest.fixture
def xuzhou(db):
    call_command("demo", region=["xuzhou"], insured=300, seed=2026, stdout=StringIO())
    region = Region.objects.get(pk="xuzhou")
    return {"region": region, "demo": Projection.objects.get(region=region),
            "admin": create_user(username="xz-fund-admin", password=None, role=Role.BUREAU_ADMIN, region=region,
                                 full_name="基金科"),
            "supervisor": create_user(username="xz-audit-office", password=None, role=Role.SUPERVISOR, region=region,
                                      full_name="审计局")}


def made(world) -> Projection:
    """The one projection the test asked for (the demo has made its own)."""
    return Projection.objects.exclude(pk=world["demo"].pk).get()


def made_count(world) -> int:
    return Projection.objects.exclude(pk=world["demo"].pk).count()


def test_the_demo_projects_each_region_beside_a_draft(xuzhou):
    demo = xuzhou["demo"]
    assert demo.draft_name == "缴费标准提高50%" and demo.runs == 200 and demo.years == 10
    assert 'individual = { value = "30.00"' in demo.draft_text  # 20 yuan a year, raised by half
    assert demo.result["years"][0]["contributions"]["total"]["p50"] < demo.draft_result["years"][0]["contributions"]["total"]["p50"]


def raised_draft(region="xuzhou") -> str:
    from django.utils import timezone

    text = current_text(region, timezone.localdate())
    assert TODAY_DRAFT_LINE in text
    return text.replace(TODAY_DRAFT_LINE, 'individual = { value = "120.00", clause = "四(一)" }')


def test_the_bureau_projects_the_fund_with_a_draft_beside_the_current_policy(xuzhou, client_for):
    admin = client_for(xuzhou["admin"])
    form = admin.get("/fund/projections/").content.decode()
    assert "新建测算" in form and "以现行政策参数为底稿编辑" in form
    start = admin.get("/fund/projections/?draft=current").content.decode()
    assert "[contribution.split]" in start  # the current parameter file, to edit
    response = admin.post("/fund/projections/", {"years": "5", "runs": "100", "draft_name": "个人缴费提高 100 元",
                                                 "draft_text": raised_draft()})
    p = made(xuzhou)
    assert response.status_code == 302 and response["Location"] == f"/fund/projections/{p.pk}/"
    assert p.job.status == JobStatus.DONE and p.result and p.draft_result
    now, draft = p.result["years"], p.draft_result["years"]
    assert len(now) == 5 and [y["year"] for y in now] == [y["year"] for y in draft]
    # 100 yuan more from each individual: the draft collects more every year, the benefits are the same
    for a, b in zip(now, draft):
        assert b["contributions"]["individual"]["p50"] > a["contributions"]["individual"]["p50"]
        assert b["benefits"]["total"]["p50"] == pytest.approx(a["benefits"]["total"]["p50"])
    page = admin.get(f"/fund/projections/{p.pk}/").content.decode()
    for text in ("结论", "现行政策：", "政策草案“个人缴费提高 100 元”", "现行政策与政策草案对比（中位数）", "假设与来源",
                 "死亡率", "计算方法", "chart-balance", "projection-data", "下载 Excel", "下载 PDF 报告"):
        assert text in page, text
    assert not re.search(r">\s*(None|nan|inf)\s*<", page)
    shown = re.sub(r"<[^>]+>", " ", page.split("<main")[1].split(">", 1)[1].split('id="projection-data"')[0])
    assert set(re.findall(r"[A-Za-z_]{3,}", shown)) <= {"Excel", "PDF", "script", "type", "application", "json"}

    book = load_workbook(io.BytesIO(admin.get(f"/fund/projections/{p.pk}.xlsx").content))
    assert {"现行政策（中位数）", "政策草案（中位数）", "对比（中位数）", "假设", "死亡率", "计算方法"} <= set(book.sheetnames)
    rows = list(book["对比（中位数）"].values)
    assert rows[0][0] == "年度" and len(rows) == 6 and all(r[3] > 0 for r in rows[1:])  # the draft's balance is higher
    pdf = admin.get(f"/fund/projections/{p.pk}.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert admin.get(f"/fund/projections/{p.pk}/draft.toml").content.decode() == raised_draft()
    assert AuditEvent.objects.filter(action=Action.EXPORT, object_type="fund.projection").count() == 2
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="fund.projection", object_id=str(p.pk)).count() == 1


def test_an_unchanged_draft_projects_the_same_as_the_current_policy(xuzhou, client_for):
    from django.utils import timezone

    admin = client_for(xuzhou["admin"])
    admin.post("/fund/projections/", {"years": "3", "runs": "1", "draft_text": current_text("xuzhou", timezone.localdate())})
    p = made(xuzhou)
    assert p.draft_name == "政策草案"
    assert p.result["years"] == p.draft_result["years"]


@pytest.mark.parametrize("fields, message", [
    ({"years": "0"}, "预测年数应为 1～30 的整数"),
    ({"years": "ten"}, "预测年数应为 1～30 的整数"),
    ({"runs": "5000"}, "随机模拟次数应为 1～2000 的整数"),
    ({"draft_text": "[contribution\nrule = 1"}, "TOML 格式错误"),
    ({"draft_text": "[eligibility]\n"}, "政策草案参数有误"),
    ({"draft_name": "只有名称"}, "没有上传或填写草案参数"),
])
def test_a_projection_that_cannot_be_right_is_refused_keeping_what_was_typed(xuzhou, client_for, fields, message):
    admin = client_for(xuzhou["admin"])
    jobs_before = Job.objects.count()
    typed = {"years": "5", "runs": "10", "draft_name": "", "draft_text": ""} | fields
    response = admin.post("/fund/projections/", typed)
    page = response.content.decode()
    assert response.status_code == 400 and message in page
    assert made_count(xuzhou) == 0 and Job.objects.count() == jobs_before
    for value in typed.values():
        if value:
            assert value.split("\n")[0] in page  # kept in the form


def test_a_draft_file_is_uploaded_and_a_wrong_one_refused(xuzhou, client_for):
    admin = client_for(xuzhou["admin"])
    bad = admin.post("/fund/projections/", {"years": "3", "runs": "1",
                                            "draft_file": SimpleUploadedFile("draft.txt", b"x", "text/plain")})
    assert bad.status_code == 400 and "应为政策参数文件" in bad.content.decode()
    good = admin.post("/fund/projections/", {"years": "3", "runs": "1", "draft_file": SimpleUploadedFile(
        "提高缴费.toml", raised_draft().encode(), "application/toml")})
    p = made(xuzhou)
    assert good.status_code == 302 and p.draft_name == "提高缴费" and p.draft_result


def test_the_supervisor_reads_projections_but_does_not_run_them_and_no_one_sees_another_region(xuzhou, client_for):
    admin, supervisor = client_for(xuzhou["admin"]), client_for(xuzhou["supervisor"])
    admin.post("/fund/projections/", {"years": "3", "runs": "1"})
    p = made(xuzhou)
    listing = supervisor.get("/fund/projections/").content.decode()
    assert "新建测算" not in listing and f"/fund/projections/{p.pk}/" in listing
    assert supervisor.get(f"/fund/projections/{p.pk}/").status_code == 200
    assert supervisor.post("/fund/projections/", {"years": "3", "runs": "1"}).status_code == 403
    assert supervisor.post("/api/fund/projections", {"years": 3}, content_type="application/json").status_code == 403
    nanning = create_user(username="nn-fund-admin", password=None, role=Role.BUREAU_ADMIN,
                          region=Region.objects.get(pk="nanning"), full_name="南宁基金科")
    other = client_for(nanning)
    assert other.get(f"/fund/projections/{p.pk}/").status_code == 404
    assert other.get(f"/api/fund/projections/{p.pk}").status_code == 404
    assert f"/fund/projections/{p.pk}/" not in other.get("/fund/projections/").content.decode()
    clerk = create_user(username="xz-counter", password=None, role=Role.CLERK, region=xuzhou["region"], full_name="窗口")
    assert client_for(clerk).get("/fund/projections/").status_code == 403


def test_the_api_asks_for_a_projection_and_reads_its_years(xuzhou, client_for):
    admin = client_for(xuzhou["admin"])
    response = admin.post("/api/fund/projections", {"years": 4, "runs": 50, "draft_text": raised_draft(),
                                                    "draft_name": "提高缴费"}, content_type="application/json")
    assert response.status_code == 202
    body = response.json()
    assert body["job"]["status"] == "done" and len(body["rows"]) == 4 and len(body["draft_rows"]) == 4
    first = body["rows"][0]
    assert re.fullmatch(r"-?\d+\.\d{2}", first["balance"]["p50"]) and isinstance(first["insured"]["p50"], int)
    assert body["verdict"] and body["assumptions"][0]["name"] == "死亡率"
    assert admin.get(f"/api/fund/projections/{body['id']}").json()["rows"] == body["rows"]
    refused = admin.post("/api/fund/projections", {"years": 99}, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["errors"] == [
        {"field": "years", "message": "预测年数应为 1～30 的整数"}]
    assert made_count(xuzhou) == 1


def test_the_bureau_replays_a_settled_month_and_rebills_a_period_under_a_draft(xuzhou, client_for):
    from datetime import date as _date
    from decimal import Decimal

    from django.db.models import Max

    from ltci.contributions.models import Bill
    from ltci.fund.drafts import scaled_draft
    from ltci.fund.models import Trial
    from ltci.settlement.models import Line

    admin = client_for(xuzhou["admin"])
    month = Line.objects.filter(claim__region_id="xuzhou").aggregate(m=Max("service_month"))["m"]
    period = Bill.objects.filter(region_id="xuzhou").aggregate(p=Max("period"))["p"]
    text = current_text("xuzhou", month)
    cut, _ = scaled_draft(text, "benefit", Decimal("0.8"))
    lines, demo = Line.objects.count(), set(Trial.objects.values_list("pk", flat=True))
    assert len(demo) == 1  # the demo's own trial
    response = admin.post("/fund/trials/", {"kind": "replay", "target": f"{month:%Y-%m}", "draft_name": "待遇八成",
                                            "draft_text": cut})
    t = Trial.objects.exclude(pk__in=demo).get()
    assert response.status_code == 302 and response["Location"] == f"/fund/trials/{t.pk}/"
    assert Decimal(t.totals["difference"]) < 0 and Line.objects.count() == lines
    page = admin.get(f"/fund/trials/{t.pk}/").content.decode()
    assert "基金支付：已结算" in page and "按支付对象" in page and "计算所用数据" in page
    book = load_workbook(io.BytesIO(admin.get(f"/fund/trials/{t.pk}.xlsx").content))
    assert book.sheetnames == ["合计", "按机构", "按人员"]

    raised, _ = scaled_draft(current_text("xuzhou", _date(int(period[:4]), 1, 1)), "contribution", Decimal("1.5"))
    body = admin.post("/api/fund/trials", {"kind": "rebill", "target": period, "draft_text": raised},
                      content_type="application/json").json()
    assert body["job"]["status"] == "done" and Decimal(body["totals"]["difference"]) > 0
    assert {r["name"] for r in body["totals"]["rows"]} >= {"个人", "医保统筹基金划转"}

    refused = admin.post("/fund/trials/", {"kind": "replay", "target": "2001-01", "draft_text": cut})
    kept = refused.content.decode()
    assert refused.status_code == 400 and "尚未结算" in kept and 'value="2001-01"' in kept  # what was typed stays
    assert Trial.objects.count() == 3
    supervisor = client_for(xuzhou["supervisor"])
    assert supervisor.get(f"/fund/trials/{t.pk}/").status_code == 200
    assert supervisor.post("/fund/trials/", {"kind": "replay", "target": f"{month:%Y-%m}",
                                             "draft_text": cut}).status_code == 403
