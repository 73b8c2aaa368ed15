"""Use cases of accounts: creating users, retiring demo passwords."""

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction

from ltci.audit.models import Action
from ltci.audit.recorder import record

from .models import User


def create_user(*, username: str, password: str | None, role: str, region=None, institution=None,
                person=None, full_name: str = "", is_demo: bool = False, **extra) -> User:
    """Creates a validated user; `password=None` makes one that cannot log in until a password is set."""
    with transaction.atomic():
        user = User(
            username=username, role=role, region=region, institution=institution, person=person,
            last_name=full_name[:1], first_name=full_name[1:], is_demo=is_demo, **extra,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean()
        user.save()
        return user


def users_with_demo_password() -> list[str]:
    """Demo accounts that can still log in with a password."""
    return list(
        User.objects.filter(is_demo=True, is_active=True)
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .values_list("username", flat=True)
    )


def retire_demo_passwords() -> int:
    """Outside demo mode: demo accounts lose their known password (the accounts themselves stay)."""
    names = users_with_demo_password()
    if not names:
        return 0
    with transaction.atomic():
        for user in User.objects.filter(username__in=names):
            user.set_unusable_password()
            user.save(update_fields=["password"])
        record(Action.UPDATE, object_type_="accounts.user", object_repr=f"停用 {len(names)} 个演示账号的密码",
               detail={"usernames": names, "reason": "not_demo_mode"})
    return len(names)
