from django.conf import settings

from .nav import items_for, menu


def console(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"demo_mode": settings.DEMO_MODE}
    items = items_for(user)
    match = getattr(request, "resolver_match", None)
    return {"nav_items": items, "nav_menu": menu(items, match.view_name if match else None),
            "demo_mode": settings.DEMO_MODE}
