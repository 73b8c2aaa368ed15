"""A crawl of the pages a role reaches by links, with what a person at the screen should never read
on them: English words, codes and enum values, Python values, file paths, Latin region codes,
numbers with more than two decimals, times in UTC's ISO form.

Used by tests/core/test_pages_in_chinese.py on the demo; `python -m tests.core.crawl` runs it on the
database of LTCI_VAR_DIR (a demo built by `ltci demo`) and prints every problem."""

from __future__ import annotations

import html
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

from django.db import connection
from django.test import Client
from django.urls import Resolver404, resolve

from ltci.core.nav import items_for

# Words that are Chinese usage, not English: file formats, units and terms people read on these pages.
ALLOWED_WORDS = frozenset({"PDF", "Excel", "CSV", "JPG", "PNG", "MB", "WGS-84", "PICC"})
ALLOWED_PATTERNS = (
    re.compile(r"[A-Z]{2}\d{2}"),  # the regions' own catalogue item codes (SC01, YL15)
    re.compile(r"[A-Z]{2}\d{8,}"),  # another system's reference typed in (Shanghai's assessment number)
    re.compile(r"[A-G]"),  # the national self-assessment form's letters (自评结果 G 级)
)
# Login names are what a user types to log in: shown where accounts are managed and on the trail.
LOGIN_NAME = re.compile(r"[a-z]+(?:\.[a-z_]+)+(?:\.?\d+)?|admin")
LOGIN_PAGES = ("accounts:", "audit:")
# Pages a person never reads as pages: downloads, the admin site, machine endpoints, logging out.
SKIP_PREFIXES = ("/api/", "/admin/", "/static/", "/media/", "/accounts/logout", "/logout", "/healthz")

_HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1>", re.S | re.I)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TAG = re.compile(r"<[^>]+>")
_SHOWN_ATTRS = re.compile(r'\b(?:title|placeholder|aria-label|alt)="([^"]*)"')
_HREF = re.compile(r'href="(/[^"]*)"')

CHECKS = (
    ("英文或代码", re.compile(r"(?<![A-Za-z0-9_./-])[A-Za-z][A-Za-z0-9]*(?:[_.:/-][A-Za-z0-9]+)*")),
    # A location (纬度, 经度) is written with six decimals: a pair is a place, not an amount.
    ("多于两位的小数", re.compile(r"(?<![\d.])(?<!\d, )\d+\.\d{3,}(?![\d.])(?!, ?\d+\.\d{3,})")),
    ("金额缺千分位", re.compile(r"(?<![\d,.])\d{4,}\.\d{2}(?![\d.])")),  # 1234.50 is written 1,234.50
    ("未换算的时间", re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")),
    ("程序值", re.compile(r"[\[{]'|'[\]}]|\{\"|\": ")),
)


# What a link downloads rather than shows: PDF, Excel and CSV files.
DOWNLOAD_TYPES = ("application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv")


@dataclass
class Download:
    user: str
    url: str
    view: str
    content_type: str
    body: bytes


@dataclass
class Crawl:
    pages: int = 0
    problems: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # (user, url, view, kind, text)


def visible_text(page: str) -> str:
    page = _COMMENT.sub(" ", _HIDDEN.sub(" ", page))
    shown = " ".join(_SHOWN_ATTRS.findall(page))
    body = re.split(r"<body[^>]*>", page, maxsplit=1)[-1]
    head_title = re.search(r"<title>(.*?)</title>", page, re.S)
    return html.unescape(" ".join([head_title.group(1) if head_title else "", _TAG.sub(" ", body), shown]))


def problems_in(text: str, view: str = "") -> list[tuple[str, str]]:
    found = []
    logins = view.startswith(LOGIN_PAGES)
    for kind, pattern in CHECKS:
        for match in pattern.finditer(text):
            word = match.group(0)
            if kind == "英文或代码" and (word in ALLOWED_WORDS or any(p.fullmatch(word) for p in ALLOWED_PATTERNS)
                                      or logins and LOGIN_NAME.fullmatch(word)):
                continue
            start = max(match.start() - 12, 0)
            found.append((kind, text[start:match.end() + 12].replace("\n", " ").strip()))
    return found


def _kind(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def crawl_as(user, crawl: Crawl, *, depth: int = 2, per_kind: int = 1, downloads: list | None = None,
             start: Iterable[str] = ()) -> None:
    """Every nav page of `user` (and the pages `start` names) and, `depth` links deep, `per_kind` page
    of each kind linked. With a `downloads` list, every file linked (PDF, Excel, CSV) is added to it
    as a `Download`, and the pages themselves are walked but not checked."""
    client = Client()
    client.force_login(user)
    seen_kinds: dict[str, int] = {}
    seen: set[str] = set()
    queue = deque((item["url"], 0) for item in items_for(user))
    queue.extend((url, 0) for url in start)
    queue.appendleft(("/", 0))
    while queue:
        url, level = queue.popleft()
        if url in seen or url.startswith(SKIP_PREFIXES):
            continue
        seen.add(url)
        response = client.get(url)
        kind = response.get("Content-Type", "")
        if downloads is not None and response.status_code == 200 and kind.startswith(DOWNLOAD_TYPES):
            body = b"".join(response.streaming_content) if response.streaming else response.content
            downloads.append(Download(user.username, url, _kind(urlsplit(url).path) or "", kind, body))
            continue
        if response.status_code != 200 or not kind.startswith("text/html"):
            if response.status_code >= 500 or response.status_code in (403, 404):  # a link to a dead end
                crawl.problems.append((user.username, url, _kind(urlsplit(url).path) or "", "页面打不开",
                                       str(response.status_code)))
            continue
        crawl.pages += 1
        page = response.content.decode()
        view = _kind(urlsplit(url).path) or ""
        if downloads is None:
            for problem, text in problems_in(visible_text(page), view):
                crawl.problems.append((user.username, url, view, problem, text))
        if level >= depth:
            continue
        for href in _HREF.findall(page):
            href = urldefrag(html.unescape(href))[0]
            if href in seen or href.startswith(SKIP_PREFIXES):
                continue
            view = _kind(urlsplit(href).path)
            if view is None or seen_kinds.get(view, 0) >= per_kind:
                continue
            seen_kinds[view] = seen_kinds.get(view, 0) + 1
            queue.append((href, level + 1))


def analyze() -> None:
    """PostgreSQL plans the pages' sums from table statistics: a demo loaded inside the test's
    transaction has none until it is analysed (ANALYZE runs inside a transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def crawl_demo(users) -> Crawl:
    crawl = Crawl()
    for user in users:
        crawl_as(user, crawl)
    return crawl


def demo_users():
    """One demo account of each role in each region, and the platform administrator."""
    from ltci.accounts.models import User

    picked = {}
    for user in User.objects.filter(is_demo=True, is_active=True).order_by("username"):
        picked.setdefault((user.region_id, user.role), user)
    return list(picked.values())


if __name__ == "__main__":
    import django

    django.setup()
    result = crawl_demo(demo_users())
    for row in result.problems:
        print(" | ".join(row))
    print(f"{result.pages} pages, {len(result.problems)} problems")
