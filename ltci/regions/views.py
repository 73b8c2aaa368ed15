from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from ltci.accounts.roles import REGION_VIEW
from ltci.accounts.scope import require, visible

from .models import Region


@login_required
def region_list(request):
    require(request.user, REGION_VIEW)
    regions = visible(Region.objects.prefetch_related("versions"), request.user)
    return render(request, "regions/region_list.html", {"regions": regions, "today": timezone.localdate()})
