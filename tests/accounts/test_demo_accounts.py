"""Demo accounts log in only in demo mode: refused at authentication (any WSGI server, before any
restart, whatever password they still hold), their open sessions end, and `ltci demo` is refused in
production (docs/decisions/0015)."""

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from ltci.accounts.models import User
from ltci.accounts.services import users_with_demo_password
from ltci.audit.models import Action, AuditEvent
from ltci.enrolment.models import Person

REFUSED = "演示账号仅在演示模式下可用"


@pytest.fixture
def demo(db):
    """Demo accounts as `ltci demo` makes them (ltci/accounts/demo.py): a clerk, and the platform administrator."""
    from django.contrib.auth.hashers import make_password

    from ltci.accounts.roles import Role
    from ltci.accounts.services import create_user
    from ltci.regions.models import Region

    create_user(username="xuzhou.clerk", password=None, role=Role.CLERK, region=Region.objects.get(pk="xuzhou"),
                is_demo=True)
    create_user(username="admin", password=None, role="", is_demo=True, is_superuser=True)
    User.objects.filter(is_demo=True).update(password=make_password(settings.DEMO_PASSWORD))


def login(client, username, password=None):
    return client.post("/login/", {"username": username, "password": password or settings.DEMO_PASSWORD})


@override_settings(DEMO_MODE=False)
@pytest.mark.parametrize("username", ["xuzhou.clerk", "admin"])
def test_outside_demo_mode_the_demo_password_is_refused_though_its_hash_is_still_there(demo, client, username):
    assert username in users_with_demo_password()  # nothing retired it: no `ltci serve` ran
    response = login(client, username)
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert REFUSED in response.content.decode()
    # A wrong password gets the same answer: the page does not tell whether the password was right.
    wrong = login(Client(), username, "wrong-password")
    assert REFUSED in wrong.content.decode() and "用户名或密码不正确" not in wrong.content.decode()
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED, actor_name=username).count() == 2
    assert not AuditEvent.objects.filter(action=Action.LOGIN).exists()
    # The admin site's own login page goes through the same backend.
    Client().post("/admin/login/", {"username": username, "password": settings.DEMO_PASSWORD})
    assert not AuditEvent.objects.filter(action=Action.LOGIN).exists()


@override_settings(DEMO_MODE=False)
def test_a_real_account_is_told_nothing_about_demo_mode(demo, client):
    from ltci.accounts.roles import Role
    from ltci.accounts.services import create_user
    from ltci.regions.models import Region

    create_user(username="xz-real", password="Correct-Horse-42", role=Role.CLERK,
                region=Region.objects.get(pk="xuzhou"))
    wrong = login(client, "xz-real", "wrong-password").content.decode()
    assert "用户名或密码不正确" in wrong and REFUSED not in wrong
    assert login(client, "xz-real", "Correct-Horse-42").status_code == 302


def test_in_demo_mode_demo_accounts_log_in(demo, client, settings):
    settings.DEMO_MODE = True
    assert login(client, "xuzhou.clerk").status_code == 302
    assert client.get("/").status_code == 200


def test_a_demo_session_ends_when_demo_mode_is_off(demo, settings):
    settings.DEMO_MODE = True
    staff, admin = Client(), Client()
    assert login(staff, "xuzhou.clerk").status_code == 302 and login(admin, "admin").status_code == 302
    assert staff.get("/api/me").status_code == 200 and admin.get("/admin/").status_code == 200
    settings.DEMO_MODE = False  # the same process, no restart, no password retired
    response = staff.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert staff.get("/api/me").status_code == 401
    assert admin.get("/admin/accounts/user/").status_code == 302  # to the admin site's login


@override_settings(DEMO_MODE=False)
def test_the_accounts_ltci_demo_makes_outside_demo_mode_do_not_log_in(db, client):
    call_command("demo", region=["nanzheng"], insured=5, seed=1)
    assert {"admin", "nanzheng.clerk"} <= set(users_with_demo_password())
    for username in ("admin", "nanzheng.clerk"):
        assert REFUSED in login(client, username).content.decode()
        assert "_auth_user_id" not in client.session


@override_settings(PRODUCTION=True, DEMO_MODE=False)
def test_ltci_demo_is_refused_in_production_and_creates_nothing(db):
    with pytest.raises(CommandError, match="refused in production") as err:
        call_command("demo", region=["xuzhou"], insured=5, seed=1)
    assert err.value.returncode == 2
    assert not User.objects.exists() and not Person.objects.exists()
