from django.conf import settings

from .nav import items_for


def console(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"demo_mode": settings.DEMO_MODE}
    return {"nav_items": items_for(user), "demo_mode": settings.DEMO_MODE}
