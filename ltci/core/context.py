"""Who is acting now, for the audit trail: set per request by middleware, per command by `acting`."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    user: Any = None  # accounts.User or None (a command, an anonymous visitor)
    name: str = "系统"  # what the trail shows when there is no user (a command, a scheduled task)
    ip: str | None = None
    channel: str = "cli"  # web | api | admin | cli
    path: str = ""


_current: ContextVar[Actor | None] = ContextVar("ltci_actor", default=None)


def current_actor() -> Actor:
    return _current.get() or Actor()


@contextmanager
def acting(actor: Actor):
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def client_ip(request) -> str | None:
    # Behind the production proxy REMOTE_ADDR is the proxy; the proxy sets X-Real-IP.
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR") or None
