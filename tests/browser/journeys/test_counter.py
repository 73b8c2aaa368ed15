"""Counter staff register one person who walks in, by links on the demo: a refused form keeps what
was typed, the person is then found by name in the person list."""

import random
from datetime import date

import pytest
from playwright.sync_api import expect

from ltci.enrolment.idcard import make_id_number
from ltci.enrolment.models import Enrolment, Person
from ltci.policy.regions import load_regions

from .conftest import nav

pytestmark = pytest.mark.browser


def test_the_clerk_registers_a_person_at_the_counter(as_role, demo):
    region = load_regions()[demo]
    rng = random.Random(16)
    number = next(n for n in (make_id_number(region.id_prefixes[0], date(1956, 8, 19), rng.randint(0, 499), "F")
                              for _ in range(50)) if not Person.objects.filter(id_number=n).exists())
    district = region.districts[0].name
    page = as_role("clerk")
    nav(page, "参保人")
    page.get_by_role("link", name="参保登记", exact=True).click()
    expect(page.locator("h1")).to_have_text("参保登记")
    page.get_by_label("证件号码", exact=True).fill(number)
    page.get_by_label("姓名", exact=True).fill("柏玉珍")
    page.get_by_label("联系电话", exact=True).fill("1390000")  # too short: refused, nothing lost
    page.get_by_label("区县", exact=True).select_option(district)
    page.get_by_label("居住地址", exact=True).fill("和平路17号3栋201室")
    page.get_by_label("险种", exact=True).select_option(label="职工医保")
    page.get_by_label("人员类别", exact=True).select_option(label="退休人员")
    page.get_by_label("参保日期", exact=True).fill("2024-01-01")
    page.get_by_role("button", name="登记").click()

    expect(page.locator("#e-phone")).to_contain_text("联系电话")
    expect(page.get_by_label("姓名", exact=True)).to_have_value("柏玉珍")
    expect(page.get_by_label("居住地址", exact=True)).to_have_value("和平路17号3栋201室")
    expect(page.get_by_label("区县", exact=True)).to_have_value(district)
    assert not Person.objects.filter(id_number=number).exists()
    page.get_by_label("联系电话", exact=True).fill("13900001234")
    page.get_by_role("button", name="登记").click()
    confirm = page.get_by_role("button", name="已核对，确认登记")
    if confirm.count():  # the place code is newer than the birth year: a warning the clerk checks
        confirm.click()

    expect(page.locator("h1")).to_have_text("柏玉珍")
    expect(page.locator(".messages")).to_contain_text("已登记参保人 柏玉珍，参保登记：职工医保 退休人员 2024-01-01起")
    expect(page.locator("main")).not_to_contain_text(number)  # the ID number is masked on the page
    person = Person.objects.get(id_number=number)
    assert person.district == district and Enrolment.objects.filter(person=person).count() == 1

    nav(page, "参保人")
    page.get_by_label("查找").fill("byz")  # pinyin initials, as counter staff search
    page.get_by_role("button", name="查询").click()
    expect(page.locator("main table")).to_contain_text("柏玉珍")
