"""A disability assessment by links, from the counter to the notice, each step by its own demo login:
the clerk enters a family's application at the counter, accepts it and has the system draw two
evaluators; one of them records the whole scale on a phone, where the visit is; the two experts
the system then draws decide blind; the conclusion is published; during publicity the family object
at the counter, the committee reviews the dispute, and its final conclusion is the certificate,
whose PDF notice the clerk opens."""

import shutil
import subprocess
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from ltci.assessment import services
from ltci.assessment.demo import PDF, PNG
from ltci.assessment.models import Application, EvaluatorKind
from ltci.audit.masking import mask_name
from ltci.enrolment.models import Enrolment, EnrolmentStatus, Person
from tests.assessment.conftest import SEVERE_1

from .conftest import PHONE, nav, screenshot

pytestmark = pytest.mark.browser
DEPENDENT = {"eating", "bowel_bladder", "bathing", "dressing", "toilet", "transfer"}
VISIT = {"latitude": 34.2611, "longitude": 117.1881}  # 徐州市泉山区


def _applicant(region: str) -> Person:
    """An insured person of the demo who has never applied and may apply today (the one the family
    brings to the counter)."""
    today = services.today()
    for enrolment in (Enrolment.objects.filter(region_id=region, status=EnrolmentStatus.ACTIVE)
                      .exclude(person__applications__isnull=False).select_related("person")
                      .order_by("person__birth_date", "id")):
        person = enrolment.person
        if not services.precheck(person, today, disabled_since=today - timedelta(days=400),
                                 self_assessment={a: "dependent" for a in DEPENDENT}):
            return person
    pytest.fail("the demo has no insured person who may apply today")


def _login(user) -> str:
    """The part of a demo login after the region (`xuzhou.pool3` → `pool3`), for `as_role`."""
    return user.username.split(".", 1)[1]


def _row(page, section: str, number: str):
    return page.locator(f"{section} tbody tr").filter(has_text=number)


def test_an_application_from_the_counter_through_a_dispute_to_the_notice(as_role, demo, live_server, tmp_path):
    summary = tmp_path / "出院小结.pdf"
    summary.write_bytes(PDF)
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(PNG)
    person = _applicant(demo)
    family = f"{person.name[0]}小红"

    # The family bring the person's application to the counter; the clerk enters it.
    clerk = as_role("clerk")
    nav(clerk, "失能评估")
    clerk.get_by_role("link", name="窗口受理申请").click()
    clerk.get_by_label("参保人证件号码").fill(person.id_number)
    clerk.get_by_label("申请人姓名").fill(family)
    clerk.get_by_label("与参保人关系").select_option(label="子女")
    clerk.get_by_label("联系电话").fill("13912345678")
    clerk.get_by_label("失能起始日期").fill(f"{services.today() - timedelta(days=400):%Y-%m-%d}")
    for activity in DEPENDENT:
        clerk.locator(f"input[name=sa_{activity}][value=dependent]").check()
    clerk.set_input_files("input[name=file_discharge_summary]", str(summary))
    clerk.get_by_role("checkbox", name="诚信承诺书").check()
    clerk.get_by_role("button", name="提交申请").click()
    expect(clerk.locator("h1")).to_contain_text("已提交，待受理")
    app = Application.objects.get(person=person)
    assert app.channel == "counter" and app.created_by.username == f"{demo}.clerk"

    # From the workbench's list the clerk accepts it and has two evaluators drawn.
    nav(clerk, "失能评估")
    clerk.get_by_role("link", name=app.number).click()
    clerk.get_by_role("button", name="受理", exact=True).click()
    expect(clerk.locator(".messages")).to_contain_text("已办理：受理")
    expect(clerk.locator("h1")).to_contain_text("已受理，待派单")
    clerk.get_by_role("button", name="派单给评估人员").click()
    expect(clerk.locator(".messages")).to_contain_text("已办理：派单给评估人员")
    expect(clerk.locator("h1")).to_contain_text("待现场评估")
    task = app.site_assessments.select_related("first__user", "second__user").get()
    pair = {task.first.user.get_full_name(), task.second.user.get_full_name()}
    for name in pair:
        expect(clerk.locator("main")).to_contain_text(name)

    # One of the two (the assessor, if an assessor was drawn) visits with a phone and its location.
    visitor = task.second if task.second.kind == EvaluatorKind.ASSESSOR else task.first
    assessor = as_role(_login(visitor.user), phone=True, geolocation=VISIT, permissions=["geolocation"])
    nav(assessor, "失能评估")
    _row(assessor, "#site-tasks", app.number).get_by_role("link", name="开始评估").click()
    expect(assessor.locator("main")).to_contain_text(person.name)
    for indicator, items in SEVERE_1.items():
        for item, score in items.items():
            assessor.locator(f"select[name='{indicator}.{item}']").select_option(str(score))
    assessor.get_by_label("在场的监护人或代理人").fill(family)
    assessor.set_input_files("input[name=photo]", str(photo))
    assessor.get_by_role("button", name="获取当前位置").click()
    expect(assessor.locator("#latitude")).to_have_value("34.261100")
    expect(assessor.locator("#longitude")).to_have_value("117.188100")
    assert assessor.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(assessor, "assessment-site-visit-form")
    assessor.get_by_role("button", name="提交评估").click()
    expect(assessor.locator(".messages")).to_contain_text("系统初评：重度失能Ⅰ级")
    expect(assessor.locator("#site-tasks")).to_contain_text(f"最近完成：{app.number}")
    assert assessor.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(assessor, "assessment-site-visit-done")

    # The two experts drawn decide, each without seeing who visited or the other's grade.
    reviews = list(app.reviews.select_related("expert__user"))
    assert len(reviews) == 2 and not {r.expert_id for r in reviews} & {task.first_id, task.second_id}
    for review in reviews:
        expert = as_role(_login(review.expert.user))
        nav(expert, "失能评估")
        _row(expert, "#reviews", app.number).get_by_role("link", name="评定").click()
        expect(expert.locator("h1")).to_contain_text(app.number)
        expect(expert.locator("#site")).to_contain_text("系统初评：重度失能Ⅰ级")
        body = expert.locator("main").inner_text()
        assert not any(name in body for name in pair) and person.name not in body
        assert "此前的评定" not in body and "专家1" not in body
        expert.get_by_label("评定等级").select_option(label="重度失能Ⅰ级")
        expert.get_by_role("button", name="提交评定").click()
        expect(expert.locator(".messages")).to_contain_text("评定已提交")
        expect(expert.locator("#reviews")).to_contain_text(f"已评定：{app.number}")

    # The conclusion is published, the name masked.
    app.refresh_from_db()
    nav(clerk, "失能评估")
    clerk.get_by_role("link", name="评估结论公示").click()
    published = clerk.locator("main tbody tr").filter(has_text=app.number)
    expect(published).to_contain_text(mask_name(person.name))
    expect(published).to_contain_text("重度失能Ⅰ级")
    expect(published).to_contain_text(f"{app.publicity_from:%Y-%m-%d} 至 {app.publicity_until:%Y-%m-%d}")
    assert person.name not in clerk.locator("main").inner_text()

    # During publicity the family object at the counter; the clerk records it.
    nav(clerk, "失能评估")
    clerk.get_by_role("link", name=app.number).click()
    expect(clerk.locator("h1")).to_contain_text("公示中")
    objection = clerk.locator("#actions form").filter(has=clerk.get_by_role("button", name="提出异议"))
    objection.get_by_label("异议理由").fill("家属认为老人夜间需专人看护，等级偏低，申请复评")
    objection.get_by_role("button", name="提出异议").click()
    expect(clerk.locator(".messages")).to_contain_text("已办理：提出异议")
    expect(clerk.locator("h1")).to_contain_text("争议复核中")
    expect(clerk.locator("main")).to_contain_text("家属认为老人夜间需专人看护")

    # The committee, another body than the one that visited, settles the dispute: final.
    dispute = app.reviews.get(round="dispute")
    assert dispute.expert.committee and dispute.expert.body != visitor.body
    committee = as_role(_login(dispute.expert.user))
    nav(committee, "失能评估")
    _row(committee, "#reviews", app.number).get_by_role("link", name="评定").click()
    expect(committee.locator("main")).to_contain_text("家属认为老人夜间需专人看护")
    expect(committee.locator("main")).to_contain_text("专家1")
    assert not any(name in committee.locator("main").inner_text() for name in pair)
    committee.get_by_label("评定等级").select_option(label="重度失能Ⅱ级")
    committee.get_by_label("理由（必填）").fill("复评：夜间躁动需专人看护，调整为重度失能Ⅱ级")
    committee.get_by_role("button", name="提交评定").click()
    expect(committee.locator(".messages")).to_contain_text("评定已提交")
    expect(committee.locator("#reviews")).to_contain_text(f"已评定：{app.number}")

    # The dispute review's conclusion is the certificate; the clerk opens its notice.
    nav(clerk, "失能评估")
    clerk.get_by_role("link", name=app.number).click()
    expect(clerk.locator("h1")).to_contain_text("已出具评估结论")
    certificate = clerk.locator("#certificate")
    expect(certificate).to_contain_text("重度失能Ⅱ级")
    expect(certificate).to_contain_text("重度失能Ⅱ级，达到待遇等级")
    expect(clerk.locator("main")).to_contain_text("争议复核结论（终局）")
    link = certificate.get_by_role("link", name="评估结论通知书（PDF）")
    response = clerk.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    if shutil.which("pdftotext"):  # poppler-utils, which `make test` installs with the browser
        notice = tmp_path / "通知书.pdf"
        notice.write_bytes(response.body())
        text = "".join(subprocess.run(["pdftotext", "-enc", "UTF-8", str(notice), "-"], capture_output=True,
                                      check=True, text=True).stdout.split())
        assert person.name in text and "重度失能Ⅱ级" in text and person.masked_id in text
        assert person.id_number not in text
