from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ltci.accounts.roles import INSTITUTION_VIEW
from ltci.accounts.scope import require, visible

from .models import Institution


@login_required
def institution_list(request):
    require(request.user, INSTITUTION_VIEW)
    institutions = visible(Institution.objects.select_related("region"), request.user)
    return render(request, "providers/institution_list.html", {"institutions": institutions})
