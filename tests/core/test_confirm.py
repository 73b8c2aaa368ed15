"""The one way irreversible steps ask (ltci.core.confirm): a rehearsal that changes nothing, then the
step done only when the very summary shown was confirmed."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from ltci.accounts.models import User
from ltci.core import confirm

pytestmark = pytest.mark.django_db


def make_user():
    return User.objects.create_user("confirm-me", password=None)


def summary(user) -> confirm.Summary:
    return confirm.Summary("确认新增用户", [("用户名", user.username), ("编号", "不含")], items=["一位"])


def post(data):
    return RequestFactory().post("/somewhere/?region=xuzhou", data)


def test_without_confirmation_nothing_is_kept_and_the_summary_is_returned():
    asked = confirm.run(post({"name": "x"}), make_user, summary)
    assert isinstance(asked, confirm.Asked) and not asked.changed
    assert asked.summary.lines[0] == ("用户名", "confirm-me") and not User.objects.exists()


def test_the_confirmed_summary_is_done_and_another_is_asked_again():
    digest = summary(User(username="confirm-me")).digest()
    wrong = confirm.run(post({"confirmed": "1", "confirm_digest": "0" * 32}), make_user, summary)
    assert isinstance(wrong, confirm.Asked) and wrong.changed and not User.objects.exists()
    done = confirm.run(post({"confirmed": "1", "confirm_digest": digest}), make_user, summary)
    assert isinstance(done, User) and User.objects.get().username == "confirm-me"


def test_a_refusal_comes_before_the_question_and_changes_nothing():
    def refused():
        make_user()
        raise ValidationError({"name": "不行"})

    with pytest.raises(ValidationError):
        confirm.run(post({}), refused, summary)
    assert not User.objects.exists()


def test_the_page_carries_every_posted_field_and_posts_back_where_it_came_from():
    request = post({"name": "张三", "ids": ["1", "2"], "confirmed": "0"})
    request.user = AnonymousUser()
    page = confirm.page(request, confirm.Asked(summary(User(username="u"))), back="/back/").content.decode()
    assert 'action="/somewhere/?region=xuzhou"' in page and 'href="/back/"' in page
    assert 'name="name" value="张三"' in page and page.count('name="ids"') == 2
    assert page.count('name="confirmed"') == 1 and "确认新增用户" in page and "一位" in page


def test_notes_for_context_are_not_part_of_what_is_confirmed():
    one = confirm.Summary("确认", [("金额", "1.00 元")], notes=[("银行存款余额", "5.00 元")])
    other = confirm.Summary("确认", [("金额", "1.00 元")], notes=[("银行存款余额", "6.00 元")])
    assert one.digest() == other.digest() != confirm.Summary("确认", [("金额", "2.00 元")]).digest()
