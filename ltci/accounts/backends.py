"""Authentication: Django's model backend, refusing demo accounts outside demo mode.

The refusal sits where every login and every session load passes (`user_can_authenticate` is asked
by `authenticate` and by `get_user`), so it holds under any WSGI server, before any restart and
whatever password a demo account still has: a demo session already open ends at its next request.
"""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


def demo_account_refused(user) -> bool:
    return bool(getattr(user, "is_demo", False)) and not settings.DEMO_MODE


class AccountBackend(ModelBackend):
    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not demo_account_refused(user)
