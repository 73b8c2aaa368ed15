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
