"""A person of a region whose policy document has ended: the page says 延续执行 in Chinese, and the
eligibility the contributions decide is still answered (docs/decisions/0021)."""

import re
from html.parser import HTMLParser

import pytest

from ltci.accounts.roles import Role
from ltci.contributions.models import Bill
from tests.conftest import build_region_world


class _Text(HTMLParser):
    """The text a person reads: no tags, attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def latin_words(html: str) -> list[str]:
    return re.findall(r"[A-Za-z_]{2,}", visible_text(html))


@pytest.fixture
def changning(db):
    return build_region_world("changning")


def test_a_changning_person_page_today_says_延续执行_and_no_english(changning, client_for):
    page = client_for(changning.users[Role.CLERK]).get(f"/persons/{changning.person.pk}/").content.decode()
    text = visible_text(page)
    assert "《2020年长宁区长期护理保险工作实施方案》延续执行（文件原定2020-12-31到期）" in text
    assert "医保局尚未登记延续执行的文件" in text
    assert "no policy version" not in page and "changning" not in text
    assert latin_words(page) == [], latin_words(page)


def test_the_eligibility_contributions_decide_is_answered_after_the_end_date(changning, client_for):
    standing = client_for(changning.users[Role.CLERK]).get(f"/api/persons/{changning.person.pk}/standing").json()
    assert standing["verdict_checked"] is True and standing["eligible"] is True, standing
    assert "延续执行（文件原定2020-12-31到期）" in standing["policy_in_force"]


def test_a_jiaxing_person_is_billed_and_judged_on_after_2024(db, client_for):
    from ltci.contributions.billing import start_billing

    jiaxing = build_region_world("jiaxing")
    clerk = jiaxing.users[Role.CLERK]
    client = client_for(clerk)
    start_billing(jiaxing.region, "2026")
    assert Bill.objects.filter(person=jiaxing.person, period="2026").exists()
    standing = client.get(f"/api/persons/{jiaxing.person.pk}/standing").json()
    assert standing["verdict_checked"] is True, standing  # answered, not "no policy version"
    assert all(re.search("[A-Za-z]{3,}", r["message"]) is None for r in standing["reasons"]), standing
    assert "延续执行（文件原定2024-12-31到期）" in standing["policy_in_force"]
    page = client.get(f"/persons/{jiaxing.person.pk}/").content.decode()
    assert "延续执行（文件原定2024-12-31到期）" in page and "2026年" in visible_text(page)
