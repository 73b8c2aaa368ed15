from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .models import User
from .roles import USER_VIEW
from .scope import require, visible


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
def user_list(request):
    require(request.user, USER_VIEW)
    users = visible(User.objects.select_related("region", "institution"), request.user).order_by("role", "username")
    return render(request, "accounts/user_list.html", {"users": users})
