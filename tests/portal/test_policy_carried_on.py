"""The insured's portal of a region whose policy document has ended says 延续执行 (docs/decisions/0021)."""

import pytest

from ltci.accounts.roles import Role
from tests.conftest import build_region_world
from tests.enrolment.test_person_page_policy import latin_words, visible_text


@pytest.mark.django_db
def test_the_portal_says_the_policy_is_carried_on_in_chinese(client_for):
    changning = build_region_world("changning")
    page = client_for(changning.users[Role.INSURED]).get("/my/").content.decode()
    assert "延续执行（文件原定2020-12-31到期）" in visible_text(page)
    line = page.split('<p class="policy-in-force">')[1].split("</p>")[0]
    assert latin_words(line) == [] and "no policy version" not in page
    # (The rest of the page's Latin, 'PDF' and the test world's application number, is not the policy's.)


@pytest.mark.django_db
def test_a_region_within_its_term_shows_no_such_line(client_for):
    xuzhou = build_region_world("xuzhou")
    assert "延续执行" not in client_for(xuzhou.users[Role.INSURED]).get("/my/").content.decode()
