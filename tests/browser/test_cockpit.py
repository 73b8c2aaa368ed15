"""The cockpit in Chromium: every chart draws (judged from the pixels of its screenshot), a click on a
figure opens its list, and nothing is fetched from another host."""

import io

import pytest
from playwright.sync_api import expect

from ltci.accounts.roles import Role
from tests.cockpit import data
from tests.conftest import PASSWORD, build_region_world

pytestmark = pytest.mark.browser

CHARTS = ("chart-grades", "chart-modes", "chart-flow", "chart-fund", "chart-institutions", "chart-hits", "chart-cases")


@pytest.fixture
def bureau(transactional_db):
    world = build_region_world("xuzhou")
    data.build(world)
    user = world.users[Role.BUREAU_ADMIN]
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(page, live_server, username):
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("您好")


def open_cockpit(page, live_server):
    page.goto(f"{live_server.url}/cockpit/?start={data.START}&end={data.END}")
    for chart in CHARTS:
        page.wait_for_selector(f"#{chart}[data-drawn='1']")


def drawn(png: bytes) -> tuple[int, float]:
    """(distinct colours, share of pixels that are not the white background) of a screenshot."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    pixels = list(image.getdata())
    ink = sum(1 for p in pixels if p != (255, 255, 255))
    return len(set(pixels)), ink / len(pixels)


def test_every_chart_draws(page, live_server, bureau):
    log_in(page, live_server, bureau.username)
    open_cockpit(page, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("驾驶舱 · 徐州市")
    for chart in CHARTS:
        colours, ink = drawn(page.locator(f"#{chart}").screenshot())
        # An empty canvas is one colour; axes alone are a handful of greys; a drawn chart has its
        # series' colours and anti-aliased text and shapes.
        assert colours >= 20, (chart, colours)
        assert ink >= 0.02, (chart, ink)
    assert page.off_host_requests == []


def _bar(page, chart: str, series: int, index: int) -> tuple[float, float]:
    """The middle of a bar as the chart laid it out, on the screen, scrolled into view."""
    page.locator(f"#{chart}").scroll_into_view_if_needed()
    return page.evaluate(
        """([id, series, index]) => {
            const el = document.getElementById(id);
            const chart = echarts.getInstanceByDom(el);
            const box = chart.getModel().getSeriesByIndex(series).getData().getItemLayout(index);
            const r = el.getBoundingClientRect();
            return [r.left + box.x + box.width / 2, r.top + box.y + box.height / 2];
        }""", [chart, series, index])


def test_clicking_a_figure_opens_its_list(page, live_server, bureau):
    log_in(page, live_server, bureau.username)
    open_cockpit(page, live_server)
    x, y = _bar(page, "chart-flow", 0, 0)  # the bar of applications waiting for intake (1)
    page.mouse.click(x, y)
    page.wait_for_url("**/assessment/?state=submitted")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    open_cockpit(page, live_server)
    x, y = _bar(page, "chart-fund", 0, 0)  # January's income bar (1000.00 yuan)
    page.mouse.click(x, y)
    page.wait_for_url("**/fund/journals/?month=2025-01")
    expect(page.locator("main table")).to_contain_text("2025-01-15")  # January's journal, only it

    open_cockpit(page, live_server)
    x, y = _bar(page, "chart-hits", 0, 0)  # the first rule's hits waiting to be handled
    page.mouse.click(x, y)
    rule = data.rule_codes()[0]
    page.wait_for_url(f"**/supervision/hits/?rule={rule}&status=new")

    open_cockpit(page, live_server)
    page.locator("#kpi-providers").get_by_role("link").first.click()
    page.wait_for_url("**/institutions/")
    assert page.off_host_requests == []
