"""The console's shell: a navigation that shows only what the role may use, a home page per role."""

import pytest

from ltci.accounts.roles import ROLE_PERMISSIONS, Role
from ltci.core.nav import NAV


def nav_labels(html: str) -> list[str]:
    start = html.index('aria-label="导航"')
    nav = html[start:html.index("</nav>", start)]
    return [item.label for item in NAV if f">{item.label}</a>" in nav]


@pytest.mark.parametrize("role", list(Role))
def test_navigation_shows_only_what_the_role_may_use(world, client_for, role):
    response = client_for(world["home"].users[role]).get("/")
    assert response.status_code == 200
    expected = [i.label for i in NAV if not i.permissions or set(i.permissions) & ROLE_PERMISSIONS[role]]
    assert nav_labels(response.content.decode()) == expected


def test_home_pages_differ_by_role(world, client_for):
    home = world["home"]
    admin = client_for(home.users[Role.BUREAU_ADMIN]).get("/").content.decode()
    assert "本地区账号" in admin and "在保人员构成" in admin and "echarts.min.js" in admin
    clerk = client_for(home.users[Role.CLERK]).get("/").content.decode()
    assert "最近登记的参保人" in clerk and home.person.masked_id in clerk
    auditor = client_for(home.users[Role.AUDITOR]).get("/").content.decode()
    assert "近7天审计摘要" in auditor
    carer = client_for(home.users[Role.CARER]).get("/").content.decode()
    assert home.institution.name in carer and "参保人</a>" not in carer
    insured = client_for(home.users[Role.INSURED]).get("/").content.decode()
    assert "我的参保信息" in insured and home.person.masked_id in insured
    for body in (admin, clerk, auditor, carer, insured):
        assert "徐州市" in body and "徐政办发〔2021〕86号" in body


def test_settings_are_chinese_and_shanghai_time(settings):
    assert settings.LANGUAGE_CODE == "zh-hans" and settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_RENEW_AFTER == 60
