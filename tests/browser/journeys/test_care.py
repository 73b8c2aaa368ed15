"""A beneficiary's care on the demo, each step by its own role, by links: the serving institution
drafts a new care plan, the clerk confirms it at the counter on the insured's word; the carer visits
on a phone (check-in at the home, check-out with the plan's items and the face check); the clerk
records a day of family care for another beneficiary and a hospital stay by hand, whose days are
held out of benefits. Then the agency decides on the demo's visit checked in away from the home."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ltci.accounts.models import User
from ltci.care import events, plans, visits
from ltci.care.holds import checkin_radius
from ltci.care.choices import mode_on
from ltci.care.models import Acceptance, CareEvent, CarePlan, FamilyCareDay, Mode, PlanStatus, Visit
from ltci.providers.models import Carer, CarerKind

from .conftest import nav, screenshot

pytestmark = pytest.mark.browser


def _open_care_page(page, name: str) -> None:
    """参保人 → the person found by name → the link to their care (护理计划、亲情照护、住院)."""
    nav(page, "参保人")
    page.get_by_label("查找").fill(name)
    page.get_by_role("button", name="查询").click()
    page.locator("main table").get_by_role("link", name=name, exact=True).click()
    page.get_by_role("link", name=re.compile("^长护服务")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{name} 的长护服务")


def test_a_plan_is_drafted_and_confirmed_carried_out_on_a_phone_and_family_care_and_a_stay_recorded(as_role, demo):
    today = timezone.localdate()
    carer = User.objects.get(username=f"{demo}.carer")
    visited_today = set(Visit.objects.filter(checkin_at__date=today).values_list("person_id", flat=True))
    with_family = set(Carer.objects.filter(kind=CarerKind.FAMILY).values_list("beneficiary_id", flat=True))
    person = next(p for p in visits.beneficiaries_for(carer, today)
                  if p.pk not in visited_today | with_family and mode_on(p, today).mode == Mode.HOME_VISIT
                  and mode_on(p, today).home_latitude is not None and plans.plan_on(p, today)
                  and not CarePlan.objects.filter(person=p, status=PlanStatus.DRAFT).exists())
    old_plan = plans.plan_on(person, today)
    chosen = list(old_plan.items.select_related("item").order_by("item__code"))[:2]

    # The serving institution drafts a new plan: its plan list → the plan in force → 调整护理计划.
    institution = as_role("institution_admin")
    nav(institution, "护理计划")
    institution.locator("main table").last.locator("tbody tr").filter(has_text="已确认").get_by_role(
        "link", name=person.name, exact=True).click()
    expect(institution.get_by_role("heading", level=1)).to_contain_text("已确认")
    institution.get_by_role("link", name=re.compile("调整护理计划")).click()
    expect(institution.get_by_role("heading", level=1)).to_have_text(f"为 {person.name} 制定护理计划")
    for line in chosen:
        institution.get_by_label(f"{line.item.name}每月次数").fill("2")
    if institution.get_by_label("每周上门次数").count():
        institution.get_by_label("每周上门次数").fill("1")
    institution.get_by_role("button", name="保存，待本人确认").click()
    expect(institution.locator(".messages")).to_contain_text("护理计划已保存")
    expect(institution.get_by_role("heading", level=1)).to_contain_text("待本人确认")
    assert institution.get_by_role("button", name="确认护理计划").count() == 0  # the drafter never confirms

    # The clerk confirms it at the counter, on the insured's word: 参保人 → the person → 长护服务.
    clerk = as_role("clerk")
    _open_care_page(clerk, person.name)
    clerk.locator("#plans tbody tr").filter(has_text="待本人确认").get_by_role("link").click()
    clerk.get_by_role("button", name="确认护理计划").click()
    expect(clerk.locator(".messages")).to_contain_text("护理计划已确认")
    expect(clerk.get_by_role("heading", level=1)).to_contain_text("已确认")
    for line in chosen:
        expect(clerk.locator("main table")).to_contain_text(line.item.name)
    plan = plans.plan_on(person, today)
    assert plan.pk != old_plan.pk and plan.status == PlanStatus.CONFIRMED and plan.drafted_by.username.endswith(
        ".institution_admin") and plan.confirmed_by.username == f"{demo}.clerk"
    assert CarePlan.objects.get(pk=old_plan.pk).status == PlanStatus.REPLACED

    # The carer at the home, on a phone: check in with its location, check out with the new plan's items.
    home = mode_on(person, today)
    phone = as_role("carer", phone=True, permissions=["geolocation"],
                    geolocation={"latitude": float(home.home_latitude), "longitude": float(home.home_longitude)})
    nav(phone, "今日上门服务")
    phone.get_by_label("服务对象").select_option(value=str(person.pk))
    phone.get_by_role("button", name="签到", exact=True).click()
    expect(phone.locator(".messages")).to_contain_text(f"已签到：{person.name}")
    card = phone.locator("section.visit").filter(has_text=person.name).first
    expect(card).to_contain_text("签到（距居所 0 米）")
    expect(card.locator("input[name=items]")).to_have_count(len(chosen))  # the confirmed plan's items only
    for line in chosen:
        card.get_by_label(line.item.name).check()
    card.get_by_label("人脸核验结果").select_option(label="通过")
    card.get_by_role("button", name="签退", exact=True).click()
    expect(phone.locator(".messages")).to_contain_text(f"已签退：{person.name}")
    card = phone.locator("section.visit").filter(has_text=person.name).first
    expect(card).to_contain_text("签退 · 人脸核验：通过")
    expect(card).to_contain_text("、".join(line.item.name for line in chosen))
    expect(card.locator(".warning")).to_have_count(0)  # at the home, in time: nothing waits for the agency
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "care-visit")
    visit = Visit.objects.filter(person=person, checkin_at__date=today).get()
    assert visit.acceptance == Acceptance.NOT_NEEDED and visit.items == sorted(line.item.code for line in chosen)

    # Family care: the clerk records today's day for the beneficiary cared for by a relative.
    family_carer = Carer.objects.filter(region_id=demo, kind=CarerKind.FAMILY, active=True).select_related(
        "beneficiary").first()
    cared = family_carer.beneficiary
    assert not FamilyCareDay.objects.filter(person=cared, day=today).exists()
    _open_care_page(clerk, cared.name)
    form = clerk.locator("#family-days-form")
    form.get_by_label("亲情照护人员").select_option(label=family_carer.name)
    form.get_by_label("照护日期自").fill(f"{today:%Y-%m-%d}")
    form.get_by_role("button", name="登记照护天数").click()
    expect(clerk.locator(".messages")).to_contain_text(f"已登记亲情照护 1 天（{family_carer.name}")
    first_row = clerk.locator("#family-days tbody tr").first
    expect(first_row).to_contain_text(f"{today:%Y-%m-%d}")
    expect(first_row).to_contain_text(family_carer.name)
    expect(first_row).to_contain_text("计入待遇")

    # A hospital stay entered by hand: admitted five days ago, discharged two days ago.
    admitted, discharged = today - timedelta(days=5), today - timedelta(days=2)
    for kind, day in (("住院", admitted), ("出院", discharged)):
        form = clerk.locator("#event-form")
        form.get_by_label("事件").select_option(label=kind)
        form.get_by_label("日期").fill(f"{day:%Y-%m-%d}")
        form.get_by_label("说明").fill("徐州市中心医院")
        form.get_by_role("button", name="登记事件").click()
        expect(clerk.locator(".messages")).to_contain_text(f"已登记{kind}：{day:%Y-%m-%d}")
    stay = clerk.locator("#hospital-stays tbody tr").first
    expect(stay).to_contain_text(f"{admitted:%Y-%m-%d}")
    expect(stay).to_contain_text(f"{admitted + timedelta(days=1):%Y-%m-%d} 至 {discharged:%Y-%m-%d}，共 3 天")
    held = [d for d in FamilyCareDay.objects.filter(person=cared).values_list("day", flat=True)
            if admitted < d <= discharged]
    for day in held:  # days of family care already recorded in the stay no longer count
        expect(clerk.locator("#family-days tbody tr").filter(has_text=f"{day:%Y-%m-%d}")).to_contain_text(
            "住院暂停，不计待遇")
    if FamilyCareDay.objects.filter(person=cared, day=admitted).exists():  # the day of admission still counts
        expect(clerk.locator("#family-days tbody tr").filter(has_text=f"{admitted:%Y-%m-%d}")).to_contain_text(
            "计入待遇")
    # A day of family care inside the stay is refused, with the reason in words.
    form = clerk.locator("#family-days-form")
    form.get_by_label("照护日期自").fill(f"{discharged:%Y-%m-%d}")
    form.get_by_role("button", name="登记照护天数").click()
    if discharged in held:
        expect(clerk.locator(".errorlist")).to_contain_text("已登记")
    else:
        expect(clerk.locator(".errorlist")).to_contain_text("住院期间（入院次日至出院当日）暂停待遇")
    expect(clerk.locator("#family-days-form").get_by_label("照护日期自")).to_have_value(f"{discharged:%Y-%m-%d}")
    # The stay shows on the agency's list of events too.
    nav(clerk, "住院与死亡等事件")
    expect(clerk.locator("main table").last.locator("tbody tr").filter(has_text=cared.name).first).to_contain_text(
        "人工登记")
    assert events.hospital_stays(cared) == [(admitted, discharged)]
    assert CareEvent.objects.filter(person=cared, entered_by__username=f"{demo}.clerk").count() == 2


def test_the_agency_accepts_the_demo_visit_checked_in_away_from_the_home(as_role, demo):
    today = timezone.localdate()
    away = next(v for v in Visit.objects.filter(region_id=demo, acceptance=Acceptance.PENDING)
                if v.exceptions == ["checkin_far"])
    clerk = as_role("clerk")
    nav(clerk, "上门服务受理")
    row = clerk.locator("main table tbody tr").filter(has_text="签到位置距居所")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(away.person.name)
    radius, _ = checkin_radius(demo, today)
    expect(row).to_contain_text(f"签到位置距居所{away.checkin_distance_m}米，超出本地区规定的{radius}米")
    row.get_by_role("link", name="审核").click()
    expect(clerk.get_by_role("heading", level=1)).to_contain_text("待经办机构受理")
    expect(clerk.locator("#reasons")).to_contain_text(f"签到位置距居所{away.checkin_distance_m}米")
    clerk.get_by_label(re.compile("受理意见")).fill("护理员说明当日手机定位漂移，经电话回访参保人家属确认已上门")
    clerk.get_by_role("button", name="受理，纳入结算").click()
    expect(clerk.locator(".messages")).to_contain_text(f"已受理：{away.person.name}")
    expect(clerk.locator("main table tbody tr").filter(has_text="签到位置距居所")).to_have_count(0)
    away.refresh_from_db()
    assert away.acceptance == Acceptance.ACCEPTED and away.acceptance_by.username == f"{demo}.clerk"
