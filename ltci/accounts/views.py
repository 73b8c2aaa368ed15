from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.shortcuts import render

from ltci.core.paging import querystring_without_page

from .backends import demo_account_refused
from .models import User
from .roles import USER_MANAGE, USER_VIEW
from .scope import require, visible


class LoginForm(AuthenticationForm):
    """Outside demo mode a demo account is told so, whether or not its password was right."""

    demo_refused = False

    def get_invalid_login_error(self):
        account = User.objects.filter(username=self.cleaned_data.get("username") or "").first()
        self.demo_refused = account is not None and demo_account_refused(account)
        return super().get_invalid_login_error()


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@login_required
def user_list(request):
    require(request.user, USER_VIEW)
    users = (visible(User.objects.select_related("region", "institution"), request.user)
             .order_by("region", "role", "username"))
    return render(request, "accounts/user_list.html", {
        "page": Paginator(users, 100).get_page(request.GET.get("page")), "querystring": querystring_without_page(request.GET),
        "may_manage": request.user.can(USER_MANAGE)})
