"""System check: outside demo mode no demo account may keep its known password. A second layer: the
authentication backend refuses demo accounts outside demo mode whatever their password
(ltci/accounts/backends.py); the published hash has no business in a production database all the same."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError


@register(Tags.security, deploy=True)
def demo_passwords_retired(app_configs=None, **kwargs):
    if settings.DEMO_MODE:
        return []
    from .services import users_with_demo_password

    try:
        names = users_with_demo_password()
    except DatabaseError:
        return []  # no database yet: nothing to check
    if not names:
        return []
    return [
        Error(
            f"{len(names)} demo account(s) still accept the demo password outside demo mode: "
            f"{', '.join(names[:5])}",
            hint="Run `ltci serve` (it retires them) or set their passwords with `ltci changepassword`.",
            id="ltci.E001",
        )
    ]
