"""The insured on a phone (390 px): follow the application, confirm the care plan, rate a visit, read
the month's benefit and how it was computed; no page is wider than the screen."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.assessment.models import Transition
from ltci.care import choices, plans, visits
from ltci.care.models import CarePlan, VisitRating
from ltci.providers.models import Agreement, Carer, InstitutionKind
from ltci.settlement.models import Claim, Line
from tests.care.conftest import certified, priced
from tests.conftest import PASSWORD, make_institution, make_person

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
HOME = ("34.261000", "117.188000")


@pytest.fixture
def insured(transactional_db):
    from ltci.regions.models import Region

    region = Region.objects.get(pk="xuzhou")
    institution = make_institution(region, 8)
    institution.kind = InstitutionKind.HOME_CARE
    institution.name = "鼓楼区康乐居家护理服务中心"
    institution.save()
    Agreement.objects.create(institution=institution, number="XY-B1", start=date(2025, 1, 1), end=date(2099, 1, 1),
                             modes=["home_visit"], signed_on=date(2025, 1, 1))
    clerk = create_user(username="xz-clerk-p", password=None, role=Role.CLERK, region=region, full_name="张伟")
    person = make_person(region, 42, name="周秀英")
    cert = certified(person, clerk)
    Transition.objects.create(application=cert.application, action="submit", source="", target="submitted", by=clerk)
    Transition.objects.create(application=cert.application, action="certify", source="in_publicity",
                              target="certified", by=clerk, note="公示期满")
    choices.choose(person, clerk, mode="home_visit", effective_from=date(2025, 2, 1), institution=institution,
                   home_latitude=HOME[0], home_longitude=HOME[1])
    priced("xuzhou", {"SC06": "45.00", "SC19": "20.00"})
    plans.confirm(plans.draft(person, clerk, valid_from=date(2025, 2, 1), items=[("SC06", 8), ("SC19", 12)]), clerk)
    today = timezone.localdate()
    plans.draft(person, clerk, valid_from=today.replace(day=1) + timedelta(days=35), items=[("SC06", 10)])
    carer_user = create_user(username="xz-carer-p", password=None, role=Role.CARER, region=region,
                             institution=institution, full_name="刘芳")
    Carer.objects.create(region=region, institution=institution, kind="certified", user=carer_user, name="刘芳",
                         id_number="11010519491231002X")
    begin = timezone.make_aware(datetime.combine(today - timedelta(days=2), time(9, 0)))
    visit = visits.check_in(carer_user, person=person, request_id="b-1", latitude=HOME[0], longitude=HOME[1], at=begin)
    visits.check_out(carer_user, visit, request_id="b-1-out", latitude=HOME[0], longitude=HOME[1], items=["SC06"],
                     face_check="passed", at=begin + timedelta(minutes=55))
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    claim = Claim.objects.create(region=region, month=month, payee_kind="institution", institution=institution,
                                 number="JS-B-1")
    Line.objects.create(claim=claim, person=person, service_month=month, kind="regular", payee="institution",
                        mode="home_visit", grade="severe_1", part_from=month, part_to=month + timedelta(days=27),
                        eligible_days=28, units={"visits": 12}, cost=Decimal("540.00"), fund=Decimal("540.00"),
                        personal=Decimal("0.00"), policy_version="xuzhou-2022",
                        explanation=[{"what": "上门护理项目费用 540.00 元，在月度限额 1000 元以内，基金全额支付",
                                      "clause": "xuzhou 五(三)2", "fund": "540.00", "personal": "0.00"}])
    return create_user(username="xz-insured-p", password=PASSWORD, role=Role.INSURED, region=region, person=person,
                       full_name="周小明")


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_the_insured_uses_the_portal_on_a_phone(browser, live_server, insured):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    refused = []  # the Content-Security-Policy holds on every page and swap below
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(live_server.url + "/login/?next=/my/")
    page.get_by_label("用户名").fill("xz-insured-p")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的长护险")).to_be_visible()
    expect(page.locator("#certificate")).to_contain_text("重度失能Ⅰ级")
    _fits(page)

    # Follow the application.
    page.get_by_role("link", name="查看办理进度").click()
    expect(page.locator("#state")).to_contain_text("已出具评估结论")
    expect(page.locator("#steps")).to_contain_text("公示期满，出具结论")
    _fits(page)
    page.get_by_role("link", name="← 我的长护险").click()

    # Confirm the plan waiting for confirmation.
    page.locator("#plans").get_by_role("link").click()
    expect(page.locator("#plan")).to_contain_text("待本人确认")
    _fits(page)
    page.get_by_role("button", name="确认护理计划").click()
    expect(page.locator(".messages")).to_contain_text("护理计划已确认")
    assert CarePlan.objects.filter(status="draft").count() == 0

    # Rate the visit: four stars and a comment, the card answers in place.
    page.goto(live_server.url + "/my/")
    page.get_by_role("link", name="去评价").click()
    card = page.locator(".visit").first
    card.get_by_title("4星").click()
    page.evaluate("document.querySelector('.visit textarea').removeAttribute('maxlength')")  # past the form's guard
    card.get_by_label("评价（选填，不超过200字）").fill("好" * 201)
    card.get_by_role("button", name="提交评价").click()
    expect(page.locator(".visit").first).to_contain_text("评价不能超过200个字")  # the refusal (422) swapped in
    assert not VisitRating.objects.exists()
    card = page.locator(".visit").first
    card.get_by_title("4星").click()
    card.get_by_label("评价（选填，不超过200字）").fill("护理员很耐心")
    card.get_by_role("button", name="提交评价").click()
    expect(page.locator(".visit").first).to_contain_text("感谢您的评价")
    expect(page.locator(".visit").first).to_contain_text("★★★★☆")
    _fits(page)
    rating = VisitRating.objects.get()
    assert (rating.score, rating.comment) == (4, "护理员很耐心")

    # The month's benefit and its explanation.
    page.goto(live_server.url + "/my/")
    expect(page.locator("#benefit")).to_contain_text("540.00")
    page.get_by_role("link", name="查看计算说明").click()
    expect(page.locator(".line")).to_contain_text("在月度限额 1000 元以内，基金全额支付（徐州市 五(三)2）")
    _fits(page)
    page.goto(live_server.url + "/my/institutions/")
    expect(page.locator("#offers")).to_contain_text("鼓楼区康乐居家护理服务中心")
    _fits(page)
    page.goto(live_server.url + "/my/apply/")
    expect(page.get_by_role("button", name="提交申请")).to_be_visible()
    _fits(page)
    assert refused == []
    context.close()
