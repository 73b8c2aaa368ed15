"""A carer's visit on a phone: check in at the home with the phone's location, check out with the
items done and the face check's result."""

from datetime import date

import pytest
from playwright.sync_api import expect

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.care import choices, plans
from ltci.care.models import Visit
from ltci.providers.models import Carer, InstitutionKind
from tests.care.conftest import certified, priced
from tests.conftest import PASSWORD, make_institution, make_person

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
HOME = {"latitude": 34.2610, "longitude": 117.1880}


@pytest.fixture
def carer(transactional_db):
    from ltci.regions.models import Region

    region = Region.objects.get(pk="xuzhou")
    institution = make_institution(region, 7)
    institution.kind = InstitutionKind.HOME_CARE
    institution.save()
    clerk = create_user(username="xz-clerk", password=PASSWORD, role=Role.CLERK, region=region, full_name="张伟")
    person = make_person(region, 41, name="周秀英")
    choices.choose(person, clerk, mode="home_visit", effective_from=date(2025, 1, 1), institution=institution,
                   home_latitude=str(HOME["latitude"]), home_longitude=str(HOME["longitude"]))
    certified(person, clerk)
    priced("xuzhou", {"SC06": "45.00", "SC19": "20.00"})
    plans.confirm(plans.draft(person, clerk, valid_from=date(2025, 2, 1), items=[("SC06", 8), ("SC19", 12)]), clerk)
    user = create_user(username="xz-carer", password=PASSWORD, role=Role.CARER, region=region,
                       institution=institution, full_name="刘芳")
    Carer.objects.create(region=region, institution=institution, kind="certified", user=user, name="刘芳",
                         id_number="11010519491231002X")
    return user


def test_a_carer_checks_in_and_out_on_a_phone(browser, live_server, carer):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE,
                                  geolocation={"latitude": 34.2619, "longitude": 117.1880},
                                  permissions=["geolocation"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名").fill("xz-carer")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("navigation", name="导航").get_by_role("link", name="今日上门服务").click()
    page.get_by_label("服务对象").select_option(label="周秀英 · ")
    page.get_by_role("button", name="签到").click()
    expect(page.locator(".messages")).to_contain_text("已签到：周秀英")
    expect(page.locator(".messages")).to_contain_text("距居所 100 米")
    page.get_by_label("沐浴").check()
    page.get_by_label("协助翻身叩背排痰").check()
    page.get_by_label("人脸核验结果").select_option("passed")
    page.get_by_role("button", name="签退").click()
    expect(page.locator(".messages")).to_contain_text("已签退：周秀英")
    expect(page.locator(".visit")).to_contain_text("人脸核验：通过")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    visit = Visit.objects.get()
    assert visit.checkin_distance_m == 100 and visit.items == ["SC06", "SC19"] and visit.face_check == "passed"
    context.close()


def _login(browser, live_server, **context):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE, **context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名").fill("xz-carer")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("navigation", name="导航").get_by_role("link", name="今日上门服务").click()
    return context, page


def test_a_checkin_5_km_away_is_told_at_once_and_the_face_check_starts_unchecked(browser, live_server, carer):
    context, page = _login(browser, live_server, geolocation={"latitude": 34.3060, "longitude": 117.1880},
                           permissions=["geolocation"])
    page.get_by_label("服务对象").select_option(label="周秀英 · ")
    page.get_by_role("button", name="签到", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("已签到：周秀英")
    expect(page.locator(".messages .warning")).to_contain_text("签到位置距居所5004米，超出本地区规定的500米")
    expect(page.get_by_label("人脸核验结果")).to_have_value("not_done")
    assert page.locator('input[name="items"]').count() == 2  # the plan's items, not the catalogue
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert Visit.objects.get().acceptance == "pending"
    context.close()


def test_with_location_denied_the_page_explains_and_the_carer_may_check_in_without_it(browser, live_server, carer):
    context, page = _login(browser, live_server)  # no geolocation permission: the phone says no
    page.get_by_label("服务对象").select_option(label="周秀英 · ")
    page.get_by_role("button", name="签到", exact=True).click()
    help_panel = page.locator("details.locate-help")
    expect(help_panel).to_have_attribute("open", "")
    expect(help_panel).to_contain_text("未允许本网站使用位置信息")
    expect(help_panel).to_contain_text("请在手机设置中打开定位服务")
    assert not Visit.objects.exists()  # nothing was sent
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="不定位签到（记为异常）").click()
    expect(page.locator(".messages")).to_contain_text("已签到：周秀英")
    expect(page.locator(".messages .warning")).to_contain_text("签到时未定位")
    visit = Visit.objects.get()
    assert visit.checkin_latitude is None and visit.exceptions == ["checkin_no_location"]
    context.close()
