"""Journeys on the demo that `make run` loads, one region of it: each step done by the role who does
it, every page reached by clicking from the home page (only the login page is typed). Phone
journeys leave a 390 px screenshot of their last page in var/test-artifacts/journeys/."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401  (the browser fixture's switches)
from tests.core.crawl import analyze

ARTIFACTS = Path(django_settings.BASE_DIR) / "var" / "test-artifacts" / "journeys"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
REGION = "xuzhou"


@pytest.fixture
def demo(transactional_db, settings):
    """One region of the demo, as `make run` builds it (fewer people, the same journeys)."""
    settings.DEMO_MODE = True
    call_command("demo", region=[REGION], insured=60, seed=2026)
    analyze()
    return REGION


@pytest.fixture
def as_role(browser, live_server, demo):
    """`as_role("clerk")` → a tab logged in as `<region>.clerk` at the home page; `phone=True` for 390 px."""
    contexts = []

    def open_as(role: str, *, phone: bool = False, **options):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE if phone else DESK,
                                      is_mobile=phone, has_touch=phone, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(live_server.url + "/login/")
        page.get_by_label("用户名").fill(f"{demo}.{role}")
        page.get_by_label("密码").fill(django_settings.DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()


def nav(page, name: str) -> None:
    """Clicks an entry of the navigation (on a phone the same links, wrapped above the page)."""
    page.get_by_role("navigation", name="导航").get_by_role("link", name=name, exact=True).click()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
