"""Phone pages fit a 360 px screen: every page the demo's carer, assessor, expert, committee member,
insured and family account reach by links (their navigation and one page of each kind linked from
there) is no wider than the screen. Tables turn into a card per row (core/tables.js)."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import Resolver404, resolve

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 740}
ROLES = ("carer", "assessor", "expert", "committee", "insured", "family")
SKIP = ("/api/", "/admin/", "/static/", "/media/", "/logout", "/healthz")
LINKS = """() => Array.from(document.querySelectorAll('a[href^="/"]')).map(a => a.getAttribute('href'))"""
# The right edge of the widest element (a wide table may sit in a box that hides its overflow).
WIDTH = """() => [Math.ceil(Math.max(document.documentElement.scrollWidth,
  ...Array.from(document.querySelectorAll('body *')).filter(e => e.offsetParent !== null)
     .map(e => e.getBoundingClientRect().right))), window.innerWidth]"""


def _kind(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def _walk(page, base: str, start: str, depth: int = 2) -> tuple[int, list[str]]:
    """(pages seen, pages wider than the screen) by links from `start`, one page of each kind."""
    seen, kinds, wide, queue = set(), set(), [], [(start, 0)]
    while queue:
        url, level = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(base + url)
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        right, _ = page.evaluate(WIDTH)  # a phone widens its layout to the page: measure against the screen
        if right > NARROW["width"]:
            wide.append(f"{url} {right}px")
        if level >= depth:
            continue
        for href in page.evaluate(LINKS):
            href = href.split("#")[0]
            kind = _kind(urlsplit(href).path)
            if not href or href.startswith(SKIP) or kind is None or kind in kinds or href in seen:
                continue
            kinds.add(kind)
            queue.append((href, level + 1))
    return len(seen), wide


def test_the_phone_roles_pages_fit_360_px(browser, live_server, transactional_db, settings):
    settings.DEMO_MODE = True
    call_command("demo", region=["xuzhou"], insured=40, seed=2026)
    total, wide = 0, []
    for role in ROLES:
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=NARROW,
                                      is_mobile=True, has_touch=True)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(live_server.url + "/login/")
        page.get_by_label("用户名").fill(f"xuzhou.{role}")
        page.get_by_label("密码").fill(django_settings.DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        assert "/login/" not in page.url, role
        seen, too_wide = _walk(page, live_server.url, "/")
        total += seen
        wide += [f"{role}: {w}" for w in too_wide]
        context.close()
    print(f"\n{total} phone pages at 360 px, {len(wide)} wider")
    assert total > 30 and not wide, "\n".join(wide)
