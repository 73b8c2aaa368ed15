"""Logging in: Argon2 hashes, the Chinese login page, lockout by username, 30 idle minutes."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from ltci.accounts.models import User
from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.audit.models import Action, AuditEvent
from ltci.regions.models import Region

PASSWORD = "Correct-Horse-42"


@pytest.fixture
def clerk(db):
    return create_user(username="xz-clerk", password=PASSWORD, role=Role.CLERK,
                       region=Region.objects.get(pk="xuzhou"), full_name="张伟")


def login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_passwords_are_hashed_with_argon2(clerk):
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert clerk.password.startswith("argon2$")
    assert PASSWORD not in clerk.password


def test_login_page_is_chinese(client, db):
    response = client.get("/login/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in body and "用户名" in body and "密码" in body


def test_successful_login_lands_on_home_and_is_audited(client, clerk):
    response = login(client, "xz-clerk", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert "您好，张伟" in home.content.decode()
    event = AuditEvent.objects.filter(action=Action.LOGIN).get()
    assert event.actor == clerk and event.region_id == "xuzhou" and event.outcome == "success"
    assert event.ip == "127.0.0.1"


def test_wrong_password_is_refused_and_audited(client, clerk):
    response = login(client, "xz-clerk", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.actor_name == "xz-clerk" and event.outcome == "failure" and event.object_id == str(clerk.pk)
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_username_even_with_the_right_password(client, clerk):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "xz-clerk", "wrong-password")
    response = login(client, "xz-clerk", PASSWORD)
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    reasons = list(AuditEvent.objects.filter(action=Action.LOGIN_FAILED).order_by("id").values_list("detail__reason", flat=True))
    assert reasons[:5] == ["wrong_credentials"] * 5 and reasons[-1] == "locked"
    # The lock is per username: a colleague at the same address still logs in.
    create_user(username="xz-clerk2", password=PASSWORD, role=Role.CLERK, region=clerk.region)
    assert login(Client(), "xz-clerk2", PASSWORD).status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, clerk):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "xz-clerk", "wrong-password")
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        assert login(Client(), "xz-clerk", PASSWORD).status_code == 302


def test_session_ends_after_30_idle_minutes(client, clerk):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        login(client, "xz-clerk", PASSWORD)
        assert client.get("/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        assert client.get("/").status_code == 200  # activity renews the 30 minutes
    with time_machine.travel(start + timedelta(minutes=49), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=49 + 31), tick=False):
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        assert client.get("/api/me").status_code == 401


def test_logout_is_audited(client, clerk):
    login(client, "xz-clerk", PASSWORD)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=Action.LOGOUT, actor=clerk).exists()
    assert client.get("/").status_code == 302


def test_an_inactive_user_cannot_log_in(client, clerk):
    User.objects.filter(pk=clerk.pk).update(is_active=False)
    assert login(client, "xz-clerk", PASSWORD).status_code == 200
    assert "_auth_user_id" not in client.session
