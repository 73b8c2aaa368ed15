"""The console as people use it: log in through the form, read the page in Chinese, use htmx and charts."""

from datetime import date

import pytest
from playwright.sync_api import expect

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.audit.models import Action, AuditEvent
from tests.conftest import PASSWORD, make_person

pytestmark = pytest.mark.browser


@pytest.fixture
def xuzhou(transactional_db):
    from ltci.regions.models import Region

    return Region.objects.get(pk="xuzhou")


@pytest.fixture
def clerk(xuzhou):
    return create_user(username="xz-clerk", password=PASSWORD, role=Role.CLERK, region=xuzhou, full_name="张伟")


def log_in(page, live_server, username, password=PASSWORD):
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_clerk_logs_in_and_sees_a_chinese_console_of_their_region(page, live_server, clerk):
    log_in(page, live_server, "xz-clerk")

    expect(page.get_by_role("heading", level=1)).to_have_text("您好，张伟")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    expect(page.locator("header .who")).to_contain_text("经办人员 · 徐州市")
    nav = page.get_by_role("navigation", name="导航")
    for label in ("参保人", "定点机构", "统筹地区与政策"):
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    expect(nav.get_by_role("link", name="审计日志")).to_have_count(0)
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.off_host_requests == []


def test_a_wrong_password_is_refused_in_chinese_and_audited(page, live_server, clerk):
    log_in(page, live_server, "xz-clerk", "wrong-password")

    expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确")
    assert "/login/" in page.url
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED, actor_name="xz-clerk").count() == 1


def test_clerk_reveals_an_id_number_through_htmx_and_the_view_is_audited(page, live_server, clerk, xuzhou):
    person = make_person(xuzhou, 7, birth=date(1945, 2, 3))
    log_in(page, live_server, "xz-clerk")
    page.goto(f"{live_server.url}/persons/{person.pk}/")

    field = page.locator("#id-number")
    expect(field).not_to_contain_text(person.id_number)
    field.get_by_role("button", name="查看完整号码").click()
    expect(field).to_contain_text(person.id_number)

    assert "/persons/" in page.url  # swapped in place, no navigation
    assert AuditEvent.objects.filter(action=Action.VIEW_ID, object_id=str(person.pk), actor=clerk).count() == 1


def test_bureau_admin_home_draws_the_enrolment_chart_from_local_assets(page, live_server, xuzhou):
    create_user(username="xz-admin", password=PASSWORD, role=Role.BUREAU_ADMIN, region=xuzhou, full_name="李娜")
    for seq in range(1, 4):
        make_person(xuzhou, seq)
    log_in(page, live_server, "xz-admin")

    chart = page.locator("#enrolment-chart")
    expect(chart.locator("canvas")).to_have_count(1)
    box = chart.bounding_box()
    assert box["width"] > 200 and box["height"] > 100
    assert page.evaluate("typeof window.echarts") == "object"
    assert page.off_host_requests == []


def test_the_console_fits_a_phone_without_horizontal_scrolling(page, live_server, clerk):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "xz-clerk")
    expect(page.get_by_role("heading", level=1)).to_have_text("您好，张伟")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
