"""Lists whose counts stop at a city's sizes: the person search and the audit trail say "more than"
past the cap, on the page and in the API, and the initials search lists exact initials first."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ltci.accounts.roles import Role
from ltci.core import paging
from ltci.enrolment.idcard import make_id_number
from ltci.enrolment.services import register_person

pytestmark = pytest.mark.django_db

NAMES = ["戚琴秀", "戚秋", "戚巧霞", "戚强", "戚庆明"]  # qqx, qq, qqx, qq, qqm


@pytest.fixture
def people(world):
    home = world["home"]
    made = [register_person(region=home.region, name=name, district="泉山区",
                            id_number=make_id_number("320311", date(1960, 1, 1) + timedelta(days=n), 7 + n, "F"))[0]
            for n, name in enumerate(NAMES)]
    return home, made


def _names(page: str) -> list[str]:
    return [n for n in sorted(set(NAMES), key=page.find) if n in page]


def test_the_initials_search_lists_exact_initials_first(people, client_for):
    home, made = people
    page = client_for(home.users[Role.CLERK]).get("/persons/?q=qq").content.decode()
    assert _names(page) == ["戚秋", "戚强", "戚庆明", "戚琴秀", "戚巧霞"]  # qq (by id), then qqm, then qqx (by id)
    assert "共 5 人" in page


def test_a_count_past_the_cap_says_more_than_and_pages_to_the_cap(people, client_for, monkeypatch):
    home, _ = people
    monkeypatch.setattr(paging.CappedPaginator, "cap", 3)
    client = client_for(home.users[Role.CLERK])
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/persons/?q=qq").content.decode()
    assert "超过 3 人，可缩小查询条件" in page and "共 5 人" not in page
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"]]
    assert counts and all("LIMIT 4" in sql for sql in counts)  # counted no further than cap + 1
    monkeypatch.setattr(paging.CappedPaginator, "cap", 5)
    assert "共 5 人" in client.get("/persons/?q=qq").content.decode()


def test_the_pager_says_the_page_count_is_at_least(people, client_for, monkeypatch):
    home, _ = people
    monkeypatch.setattr(paging.CappedPaginator, "cap", 1)
    paginator = paging.CappedPaginator(list(range(5)), 1)
    assert paginator.count == 5 and not paginator.capped  # a list is counted whole
    from ltci.enrolment.models import Person

    paginator = paging.CappedPaginator(Person.objects.filter(region=home.region).order_by("id"), 1)
    assert paginator.count == 2 and paginator.capped and paginator.num_pages == 2


def test_the_api_counts_to_the_cap_and_says_so(people, client_for, monkeypatch):
    home, _ = people
    client = client_for(home.users[Role.CLERK])
    full = client.get("/api/persons?q=qq").json()
    assert (full["count"], full["capped"]) == (5, False) and len(full["items"]) == 5
    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    capped = client.get("/api/persons?q=qq").json()
    assert (capped["count"], capped["capped"]) == (4, True) and len(capped["items"]) == 5


def test_the_audit_trail_says_more_than_past_the_cap(people, client_for, monkeypatch):
    home, _ = people
    monkeypatch.setattr(paging.CappedPaginator, "cap", 2)
    page = client_for(home.users[Role.AUDITOR]).get("/audit/").content.decode()
    assert "超过 2 条记录，可缩小查询条件" in page and "第 1 页（共 1 页以上）" in page


def test_a_list_shows_the_page_size_its_reader_chose_and_keeps_it_with_the_filters(people, client_for, monkeypatch):
    home, _ = people
    monkeypatch.setattr(paging, "PER_PAGE", 2)
    monkeypatch.setattr(paging, "PER_PAGE_CHOICES", (2, 4))
    client = client_for(home.users[Role.CLERK])
    first = client.get("/persons/?q=qq").content.decode()
    assert len(_names(first)) == 2 and "第 1 / 3 页" in first
    assert 'href="?q=qq&amp;per=4"' in first and '<strong aria-current="true">2</strong>' in first
    larger = client.get("/persons/?q=qq&per=4").content.decode()
    assert len(_names(larger)) == 4 and "第 1 / 2 页" in larger
    assert 'href="?q=qq&amp;per=4&page=2"' in larger  # the next page keeps the size and the search
    assert len(_names(client.get("/persons/?q=qq&per=7").content.decode())) == 2  # not offered: the default
