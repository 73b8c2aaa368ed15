import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied

from . import logs
from .context import Actor, acting, client_ip

security_log = logging.getLogger("ltci.security")


def _channel(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "web"


class RequestContextMiddleware:
    """Makes the requesting user and address known to the audit trail for this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user if getattr(request, "user", None) and request.user.is_authenticated else None
        actor = Actor(
            user=user,
            name=user.get_username() if user else "未登录访客",
            ip=client_ip(request),
            channel=_channel(request.path),
            path=request.path[:255],
        )
        logs.identify(request)  # the request's later log lines name the user and region
        with acting(actor):
            return self.get_response(request)


class SessionRenewalMiddleware:
    """Renews a session's 30 idle minutes on activity, at most once a minute: saving it on every
    request would make every API call of a carer's phone a database write (and, on SQLite, a wait
    for the one writer's lock)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import time

        from django.conf import settings

        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            now = int(time.time())
            if now - session.get("_renewed", 0) >= settings.SESSION_RENEW_AFTER:
                session["_renewed"] = now  # marks the session modified: saved with a fresh expiry
        return self.get_response(request)


def denied(request, response):
    """Logs a refusal (403) as one line, who and what, and marks the response logged so that Django
    writes no second line (for a page: with the traceback of the PermissionDenied)."""
    user = getattr(request, "user", None)
    who = user.get_username() if user is not None and user.is_authenticated else "anonymous"
    security_log.warning("403 forbidden: %s %s %s (from %s)", who, request.method, request.path, client_ip(request))
    response._has_been_logged = True
    return response


class EdgeMiddleware:
    """What a request may carry, checked before its view reads any of it (docs/decisions/0016).

    - A body longer than its route takes (ltci.core.uploads.body_limit) answers 413 unread.
    - Outside /api/ (whose own edge is ltci.core.edge.EdgeAPI), a query or form field holding a
      control character answers 400 and nothing is done; line breaks and tabs only in free text.
    - A refusal (PermissionDenied) from a page is one log line, not a traceback; a question the
      policy engine cannot answer (a date before the first policy version) is a 422 page with the
      engine's reason, not a 500.

    Listed before CsrfViewMiddleware, whose check reads the form.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from .errors import refuse
        from .uploads import body_limit

        limit = body_limit(request.resolver_match.route if request.resolver_match else None)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            security_log.warning("413 body of %d bytes refused unread: %s %s (limit %d)", length, request.method,
                                 request.path, limit)
            return refuse(request, 413, "too_large", "提交的内容过大",
                          f"提交的内容超过 {_size(limit)}，未作任何处理。")
        if not request.path.startswith("/api/"):
            field = _control_field(request)
            if field is not None:
                return refuse(request, 400, "invalid", "请求有误",
                              "提交的内容含有控制字符（如 NUL 或不可见字符），未作任何处理。请删除后重新输入。", field)
        return None

    def process_exception(self, request, exception):
        from ltci.policy.errors import PolicyError

        from .errors import forbidden, refuse

        if isinstance(exception, PermissionDenied):
            return denied(request, forbidden(request, exception))
        if isinstance(exception, PolicyError):
            return refuse(request, 422, "invalid", "无法办理", exception.words())
        return None


def _control_field(request) -> str | None:
    """The first query or form field holding a character no text of the platform may hold."""
    from .edge import is_multiline, text_problem

    admin = request.path.startswith("/admin/")  # Django's own forms: any field may be a text area
    sources = [request.GET]
    if request.method == "POST":
        sources.append(request.POST)
    for source in sources:
        for name, values in source.lists():
            for value in [name, *values]:
                if text_problem(value, multiline=admin or is_multiline(name)):
                    return name
    return None


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


class ContentSecurityPolicyMiddleware:
    """Every response says where its page may load scripts, styles and the rest from: this site only,
    no inline script or style, no framing (settings.CONTENT_SECURITY_POLICY)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
