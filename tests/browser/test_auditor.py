"""An auditor on a phone: opens the samples assigned to them, records a home check with the phone's
location, and the page fits a 390 px screen."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.supervision import sampling
from ltci.supervision.models import Sample, SampleOutcome
from tests.conftest import PASSWORD, make_institution, make_person

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
HOME = {"latitude": 34.2610, "longitude": 117.1880}


@pytest.fixture
def auditor(transactional_db):
    from ltci.care.models import Visit
    from ltci.providers.models import Carer, InstitutionKind
    from ltci.regions.models import Region

    region = Region.objects.get(pk="xuzhou")
    institution = make_institution(region, 8)
    institution.kind = InstitutionKind.HOME_CARE
    institution.save()
    clerk = create_user(username="xz-clerk", password=PASSWORD, role=Role.CLERK, region=region, full_name="张伟")
    user = create_user(username="xz-auditor", password=PASSWORD, role=Role.AUDITOR, region=region,
                       full_name="稽核员 周婷")
    person = make_person(region, 42, name="周秀英")
    person.phone, person.address = "13912345678", "徐州市鼓楼区中山北路一百二十八号院三号楼二单元五〇一室"
    person.save()
    carer = Carer.objects.create(region=region, institution=institution, kind="certified", name="刘芳",
                                 id_number="11010519491231002X")
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    at = datetime.combine(date(2025, 3, 5), time(9, 0), ZoneInfo("Asia/Shanghai"))
    Visit.objects.create(region=region, person=person, institution=institution, carer=carer, request_id="v1",
                         checkin_at=at, checkin_latitude="34.261", checkin_longitude="117.188",
                         checkout_at=at + timedelta(minutes=50), items=["SC06", "SC19"], entered_by=clerk)
    from ltci.supervision import rulebase

    rulebase.change_setting("xuzhou", rulebase.SAMPLING, user, enabled=True, params={"share": "1"},
                            valid_from=date(2025, 1, 1), reason="全部核查")
    [sample] = sampling.draw("xuzhou", date(2025, 3, 1), user)
    sampling.assign([sample.pk], user, user, region="xuzhou")
    return user


def test_an_auditor_records_a_home_check_on_a_phone(browser, live_server, auditor):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE,
                                  geolocation=HOME, permissions=["geolocation"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名").fill("xz-auditor")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(live_server.url + "/supervision/samples/mine")
    card = page.locator(".sample")
    expect(card).to_contain_text("周秀英")
    expect(card).to_contain_text("3203**********")  # masked ID number
    expect(card.get_by_role("link", name="13912345678")).to_have_attribute("href", "tel:13912345678")
    expect(card).to_contain_text("刘芳")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    card.get_by_label("核查方式").select_option("visit")
    card.get_by_label("核查结果").select_option("confirmed")
    card.get_by_label("核查记录").fill("入户见到本人，确认当日已洗浴")
    card.get_by_role("button", name="登记结果").click()
    expect(page.locator(".messages")).to_contain_text("已登记：周秀英 · 服务属实")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    sample = Sample.objects.get()
    assert sample.outcome == SampleOutcome.CONFIRMED and sample.method == "visit"
    assert abs(float(sample.latitude) - HOME["latitude"]) < 1e-5
    assert abs(float(sample.longitude) - HOME["longitude"]) < 1e-5
    context.close()
