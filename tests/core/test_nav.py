"""The sidebar: the entries a role may open, the current page's marked for screen readers and the eye."""

import re

import pytest

from ltci.accounts.roles import Role

pytestmark = pytest.mark.django_db


def _menu(page: str) -> list[tuple[str, bool]]:
    nav = re.search(r'<nav class="sidebar".*?</nav>', page, re.S).group(0)
    return [(label, bool(current)) for current, label in
            re.findall(r'<li><a href="[^"]+"( aria-current="page")?>([^<]+)</a></li>', nav)]


def test_the_menu_marks_the_page_open_and_only_that_one(world, client_for):
    client = client_for(world["home"].users[Role.CLERK])
    menu = _menu(client.get("/persons/").content.decode())
    assert ("参保人", True) in menu and ("首页", False) in menu
    assert [label for label, current in menu if current] == ["参保人"]
    assert "审计日志" not in dict(menu)  # a clerk does not read the audit trail
    again = _menu(client.get("/").content.decode())
    assert [label for label, current in again if current] == ["首页"]
