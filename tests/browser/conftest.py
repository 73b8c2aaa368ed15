"""Playwright driving Debian's Chromium against the live test server.

Playwright cannot download its own browser on this machine, so the tests launch /usr/bin/chromium
(installed by scripts/ensure-chromium.sh) and are skipped with the reason when it is missing.
"""

import os
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in the test's thread; the ORM calls of the fixtures
# happen outside it, so Django's async-safety guard would refuse them for no reason.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("LTCI_CHROMIUM", "/usr/bin/chromium")
# Without the networking switches Chromium keeps calling Google's hosts, which this machine refuses.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing (scripts/ensure-chromium.sh installs Debian's chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, live_server):
    """A tab in a fresh context (no cookies) that records every request it makes off the live server.

    The context is closed after the test so that no keep-alive connection outlives the test's
    database: the live server's request threads would otherwise close it from another thread.
    """
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    host = urlsplit(live_server.url).netloc
    tab.off_host_requests = []

    def note(request):
        url = urlsplit(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.netloc != host:
            tab.off_host_requests.append(request.url)

    tab.on("request", note)
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
