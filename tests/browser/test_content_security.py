"""The Content-Security-Policy as a browser applies it: no page, htmx swap, chart or Swagger UI trips
it (no inline script or style left), and the page scripts moved to static files still run."""

import pytest
from playwright.sync_api import expect

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from tests.conftest import PASSWORD, make_person

pytestmark = pytest.mark.browser


def watch(page) -> list[str]:
    """What the browser refused or threw on this tab."""
    refused = []
    page.on("console", lambda m: refused.append(m.text)
            if "Content Security Policy" in m.text or "Refused to" in m.text else None)
    page.on("pageerror", lambda e: refused.append(f"page error: {e}"))
    return refused


def log_in(page, live_server, username):
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


@pytest.fixture
def xuzhou(transactional_db):
    from ltci.regions.models import Region

    return Region.objects.get(pk="xuzhou")


def test_console_pages_htmx_charts_and_swagger_ui_run_under_the_policy(page, live_server, xuzhou):
    create_user(username="xz-clerk", password=PASSWORD, role=Role.CLERK, region=xuzhou, full_name="张伟")
    person = make_person(xuzhou, 7)
    refused = watch(page)
    log_in(page, live_server, "xz-clerk")
    response = page.goto(live_server.url + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("#enrolment-chart canvas")).to_have_count(1)  # ECharts drew the home chart
    page.goto(f"{live_server.url}/persons/{person.pk}/")
    page.get_by_role("button", name="查看完整号码").click()  # an htmx swap
    expect(page.locator("#id-number")).to_contain_text(person.id_number)
    page.goto(live_server.url + "/api/docs")
    expect(page.locator(".opblock").first).to_be_visible()  # Swagger UI drew the operations
    assert page.locator(".opblock").count() > 100
    assert refused == [] and page.off_host_requests == []


def test_the_carer_s_page_script_runs_from_its_file(page, live_server, xuzhou):
    from ltci.providers.models import Carer
    from tests.conftest import make_institution

    institution = make_institution(xuzhou, 3)
    user = create_user(username="xz-carer", password=PASSWORD, role=Role.CARER, region=xuzhou,
                       institution=institution, full_name="刘芳")
    Carer.objects.create(region=xuzhou, institution=institution, kind="certified", user=user, name="刘芳",
                         id_number="11010519491231002X")
    refused = watch(page)
    loaded = []
    page.on("response", lambda r: loaded.append((r.url.rsplit("/", 1)[-1], r.status)) if r.url.endswith(".js") else None)
    log_in(page, live_server, "xz-carer")
    page.goto(live_server.url + "/care/visits/")
    expect(page.get_by_role("heading", level=1)).to_have_text("今日上门服务")
    assert ("locate.js", 200) in loaded and ("forms.js", 200) in loaded
    # locate.js holds the check-in back until the phone's position is known
    assert page.evaluate("""() => { const f = document.getElementById('checkin-form');
        const e = new Event('submit', {cancelable: true}); f.dispatchEvent(e); return e.defaultPrevented; }""")
    assert refused == []
