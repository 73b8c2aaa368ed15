"""One application walked in the browser from the request to the certificate, by every role in turn:
the insured applies on a phone, the clerk accepts and assigns, an assessor records the scale on a
phone with its location, two experts decide blind, and after publicity the clerk issues the
certificate, whose PDF notice the insured opens."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.assessment import services
from ltci.assessment.models import Application, Evaluator
from tests.assessment.conftest import SEVERE_1, PDF, PNG, make_pool, paid_up
from tests.conftest import PASSWORD, make_person

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def scheme(transactional_db):
    from ltci.regions.models import Region

    region = Region.objects.get(pk="xuzhou")
    person = make_person(region, 31, name="周秀英")
    person.address = "徐州市泉山区解放路12号"
    person.save()
    paid_up(person)
    pool = make_pool(region, assessors=1, experts=4, committee=0, prefix="b")
    for evaluator in Evaluator.objects.select_related("user"):
        evaluator.user.set_password(PASSWORD)
        evaluator.user.save()
    return {
        "person": person, "pool": pool,
        "insured": create_user(username="xz-insured", password=PASSWORD, role=Role.INSURED, region=region,
                               person=person, full_name="周秀英"),
        "clerk": create_user(username="xz-clerk", password=PASSWORD, role=Role.CLERK, region=region, full_name="张伟"),
    }


def tab(browser, live_server, user, **options):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport=options.pop("viewport", {"width": 1280, "height": 900}), **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("navigation", name="导航").get_by_role("link", name="失能评估").click()
    return page


def test_an_application_from_the_request_to_the_certificate(browser, live_server, scheme, tmp_path, monkeypatch):
    summary = tmp_path / "出院小结.pdf"
    summary.write_bytes(PDF)
    photo = tmp_path / "visit.png"
    photo.write_bytes(PNG)

    # The insured apply on a phone.
    insured = tab(browser, live_server, scheme["insured"], viewport=PHONE)
    insured.get_by_role("link", name="申请评估").click()
    insured.get_by_label("申请人姓名").fill("周小明")
    insured.get_by_label("与参保人关系").select_option("child")
    insured.get_by_label("联系电话").fill("13800000000")
    insured.get_by_label("失能起始日期").fill("2025-01-01")
    for radio in insured.locator("input[type=radio][value=dependent]").all():
        radio.check()
    insured.set_input_files("input[name=file_discharge_summary]", str(summary))
    insured.get_by_role("checkbox", name="诚信承诺书").check()
    insured.get_by_role("button", name="提交申请").click()
    expect(insured.locator("h1")).to_contain_text("已提交，待受理")
    app = Application.objects.get()
    assert app.channel == "online" and app.materials.count() == 1
    assert insured.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The clerk accepts and assigns.
    clerk = tab(browser, live_server, scheme["clerk"])
    clerk.get_by_role("link", name=app.number).click()
    clerk.get_by_role("button", name="受理", exact=True).click()
    expect(clerk.locator(".messages")).to_contain_text("已办理：受理")
    clerk.get_by_role("button", name="派单给评估人员").click()
    expect(clerk.locator(".messages")).to_contain_text("已办理：派单给评估人员")
    expect(clerk.locator("h1")).to_contain_text("待现场评估")

    # One of the two assessors records the scale on a phone, with the location of the visit.
    task = app.site_assessments.get()
    assessor = tab(browser, live_server, task.first.user, viewport=PHONE, geolocation={"latitude": 34.2611,
                   "longitude": 117.1881}, permissions=["geolocation"])
    assessor.get_by_role("link", name="开始评估").click()
    for indicator, items in SEVERE_1.items():
        for item, score in items.items():
            assessor.locator(f"select[name='{indicator}.{item}']").select_option(str(score))
    assessor.get_by_label("在场的监护人或代理人").fill("周小明")
    assessor.set_input_files("input[name=photo]", str(photo))
    assessor.get_by_role("button", name="获取当前位置").click()
    expect(assessor.locator("#latitude")).to_have_value("34.261100")
    assessor.get_by_role("button", name="提交评估").click()
    expect(assessor.locator(".messages")).to_contain_text("系统初评：重度失能Ⅰ级")

    # Two experts decide, each without seeing the assessors or the other.
    names = {task.first.user.get_full_name(), task.second.user.get_full_name()}
    for review in app.reviews.select_related("expert__user"):
        expert = tab(browser, live_server, review.expert.user)
        expert.get_by_role("link", name="评定").click()
        expect(expert.locator("#site")).to_contain_text("系统初评：重度失能Ⅰ级")
        body = expert.locator("main").inner_text()
        assert not any(name in body for name in names) and "周秀英" not in body
        expert.get_by_label("评定等级").select_option("severe_1")
        expert.get_by_role("button", name="提交评定").click()
        expect(expert.locator(".messages")).to_contain_text("评定已提交")
    app.refresh_from_db()
    insured.reload()
    expect(insured.locator("h1")).to_contain_text("公示中")
    expect(insured.locator("#decided-grade")).to_have_text("重度失能Ⅰ级")

    # Publicity ends; the clerk issues the certificate and the insured open the notice.
    monkeypatch.setattr(services, "today", lambda: app.publicity_until + timedelta(days=1))
    clerk.reload()
    clerk.get_by_role("button", name="公示期满，出具结论").click()
    # The page says what will be issued and waits for 确认.
    expect(clerk.locator("#confirm-summary")).to_contain_text("重度失能Ⅰ级")
    assert Application.objects.get().state != "certified"
    clerk.get_by_role("button", name="确认出具结论").click()
    expect(clerk.locator("#certificate")).to_contain_text("重度失能Ⅰ级")
    insured.reload()
    link = insured.get_by_role("link", name="评估结论通知书（PDF）")
    response = insured.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    assert Application.objects.get().state == "certified"
    for context in browser.contexts:
        context.close()
