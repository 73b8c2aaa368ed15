"""The demo carer's day on a phone: check in at a beneficiary's home with the phone's location,
check out with the plan's items and the face check; the page fits the screen."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ltci.accounts.models import User
from ltci.care import visits
from ltci.care.choices import mode_on
from ltci.care.models import Visit

from .conftest import nav, screenshot

pytestmark = pytest.mark.browser


def test_the_carer_checks_in_and_out_at_a_beneficiarys_home(as_role, demo):
    carer = User.objects.get(username=f"{demo}.carer")
    today = timezone.localdate()
    visited_today = set(Visit.objects.filter(carer__user=carer, checkin_at__date=today).values_list("person_id", flat=True))
    person = next(p for p in visits.beneficiaries_for(carer, today)
                  if p.pk not in visited_today and mode_on(p, today).home_latitude is not None)
    home = mode_on(person, today)
    page = as_role("carer", phone=True, permissions=["geolocation"],
                   geolocation={"latitude": float(home.home_latitude), "longitude": float(home.home_longitude)})
    nav(page, "今日上门服务")
    page.get_by_label("服务对象").select_option(value=str(person.pk))
    page.get_by_role("button", name="签到", exact=True).click()
    card = page.locator("section.visit").filter(has_text=person.name).first
    expect(card).to_contain_text("签到（距居所 0 米）")
    card.locator("input[name=items]").first.check()
    expect(card.get_by_label("人脸核验结果")).to_have_value("not_done")  # nothing chosen for the carer
    card.get_by_label("人脸核验结果").select_option(label="通过")
    card.get_by_role("button", name="签退", exact=True).click()
    card = page.locator("section.visit").filter(has_text=person.name).first
    expect(card).to_contain_text("签退 · 人脸核验：通过")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "carer-visit")
    visit = Visit.objects.filter(carer__user=carer, person=person).latest("checkin_at")
    assert visit.checkout_at is not None and visit.acceptance in ("", "not_needed") and visit.items
