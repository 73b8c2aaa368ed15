"""Log lines: one JSON object per line in production, the human format in development.

Each line carries the request it was written in (`request_id`, `user`, `region`, `path`); the request
itself ends with one line of its own (logger `ltci.request`) with its `status` and `duration_ms`.

- `time` is ISO 8601 in Asia/Shanghai with its offset (`2026-03-01T09:30:00.123+08:00`), as on the
  audit trail.
- `user` is the username (never a person's name or ID number), `region` the region's code; both
  null outside a request or for an anonymous visitor, `region` null for the platform administrator.
- No ID number leaves in clear: the `mask_ids` filter masks the message, and the formatters mask
  the whole line once more (a traceback, a path or a username can hold one too).

`LTCI_LOG_FORMAT=json|plain` chooses; unset, production (`LTCI_ENV=production`) writes JSON and
development the plain format (docs/decisions/0025).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ltci.audit.masking import mask_ids_in

TZ = ZoneInfo("Asia/Shanghai")  # settings.TIME_ZONE; read here without Django's settings
REQUEST_ID_HEADER = "X-Request-ID"
# An incoming request id is kept when it is a short token (a proxy's $request_id, a client's UUID);
# anything else (too long, spaces, quotes, line breaks) is replaced by one of ours.
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")

request_log = logging.getLogger("ltci.request")


@dataclass
class RequestInfo:
    request_id: str
    path: str = ""
    method: str = ""
    user: str | None = None  # username, once the session is read
    region: str | None = None  # region code


_current: ContextVar[RequestInfo | None] = ContextVar("ltci_request", default=None)


def current_request() -> RequestInfo | None:
    return _current.get()


def request_id_from(incoming: str | None) -> str:
    """The incoming X-Request-ID if it is a safe short token, else a new one (32 hex digits)."""
    if incoming and _SAFE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def default_format(production: bool, chosen: str | None) -> str:
    """`json` or `plain`: LTCI_LOG_FORMAT when set, else JSON in production and plain in development."""
    chosen = (chosen or "").strip().lower()
    if chosen:
        if chosen not in ("json", "plain"):
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(f"LTCI_LOG_FORMAT must be json or plain, not {chosen!r}")
        return chosen
    return "json" if production else "plain"


def log_response(*args, **kwargs):
    from django.utils.log import log_response as django_log_response

    django_log_response(*args, **kwargs)


def _identify(info: RequestInfo, request) -> None:
    user = getattr(request, "user", None)  # absent before AuthenticationMiddleware (static files)
    if user is not None and user.is_authenticated:
        info.user = user.get_username()
        info.region = getattr(user, "region_id", None)


class RequestLogMiddleware:
    """First of all middleware: gives the request its id (kept from X-Request-ID when safe, returned
    in the response's X-Request-ID), makes it known to every log line written meanwhile, and ends
    with one line for the request: method, path, status, duration."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        info = RequestInfo(
            request_id=request_id_from(request.META.get("HTTP_X_REQUEST_ID")),
            path=request.path[:255],
            method=request.method or "",
        )
        request.request_id = info.request_id
        token = _current.set(info)
        try:
            try:
                response = self.get_response(request)
            except Exception:
                # Django turns a view's exception into a 500 response; this is one raised outside it.
                _identify(info, request)
                request_log.exception("%s %s 500", info.method, info.path,
                                      extra={"status": 500, "duration_ms": _ms(started), "ip": _ip(request)})
                raise
            _identify(info, request)
            response.headers[REQUEST_ID_HEADER] = info.request_id
            status = response.status_code
            if status >= 400 and not getattr(response, "_has_been_logged", False):
                # Django logs a 4xx ("Not Found: /x") after the middleware has returned, outside the
                # request's context; logged here instead, with its id (and marked, so not twice).
                log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
            # A page's scripts, styles and fonts served well are not worth a line each (DEBUG shows them).
            quiet = status < 400 and info.path.startswith(_static_url())
            request_log.log(logging.DEBUG if quiet else logging.INFO, "%s %s %s", info.method, info.path, status,
                            extra={"status": status, "duration_ms": _ms(started), "ip": _ip(request)})
            return response
        finally:
            _current.reset(token)


def identify(request) -> None:
    """Called once the user is known (RequestContextMiddleware): later lines of the request name them."""
    info = _current.get()
    if info is not None:
        _identify(info, request)


def _static_url() -> str:
    from django.conf import settings

    return settings.STATIC_URL or "/static/"


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _ip(request) -> str | None:
    from .context import client_ip

    return client_ip(request)


# Given with `extra=` on a request's own line.
_EXTRA_FIELDS = ("status", "duration_ms", "ip")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, user, region, path, then
    status, duration_ms and ip on a request's own line, and exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        info = _current.get()
        line = {
            "time": datetime.fromtimestamp(record.created, TZ).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": info.request_id if info else None,
            "user": info.user if info else None,
            "region": info.region if info else None,
            "path": info.path if info else None,
        }
        for name in _EXTRA_FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        text = json.dumps(line, ensure_ascii=False, default=str)
        return mask_ids_in(text)


class PlainFormatter(logging.Formatter):
    """The human format for development: `time level logger [request-id user] message`."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        info = _current.get()
        record.request = f" [{info.request_id[:8]} {info.user or '-'}]" if info else ""
        return mask_ids_in(super().format(record))
