from .context import Actor, acting, client_ip


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
            name=user.get_username() if user else "anonymous",
            ip=client_ip(request),
            channel=_channel(request.path),
            path=request.path[:255],
        )
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
