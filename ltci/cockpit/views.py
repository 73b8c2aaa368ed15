"""Pages: the cockpit (驾驶舱) and the population figures its rates divide by."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ltci.accounts.roles import COCKPIT_VIEW
from ltci.accounts.scope import require, visible
from ltci.core.errors import reasons
from ltci.regions.models import Region

from . import cockpit, links, population
from .models import Population
from .period import parse_period
from .selection import ALL, select


@login_required
@require_http_methods(["GET"])
def index(request):
    require(request.user, COCKPIT_VIEW)
    user = request.user
    context = {"regions": Region.objects.order_by("pk") if user.is_superuser else [], "ALL": ALL,
               "region_code": request.GET.get("region", "") or (ALL if user.is_superuser else user.region_id),
               "start": request.GET.get("start", ""), "end": request.GET.get("end", "")}
    try:
        selection = select(user, request.GET.get("region"))
        period = parse_period(request.GET.get("start"), request.GET.get("end"))
    except ValidationError as exc:
        context["error"] = reasons(exc)
        return render(request, "cockpit/index.html", context, status=422)
    single_month = f"{period.start:%Y-%m}" if period.start == period.end else None
    figures = links.attach(cockpit.figures(selection, period), selection, single_month, user=user)
    context.update({"f": figures, "selection": selection, "period": period, "region_code": selection.code,
                    "start": f"{period.start:%Y-%m}", "end": f"{period.end:%Y-%m}",
                    "may_enter": user.can(population.POPULATION_MANAGE)})
    return render(request, "cockpit/index.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def population_page(request):
    user = request.user
    if request.method == "POST":
        require(user, population.POPULATION_MANAGE)  # the bureau of a region enters its own region's figures
        try:
            entry = population.record(user.region_id, user, year=request.POST.get("year"),
                                      residents=request.POST.get("residents"),
                                      elderly_60=request.POST.get("elderly_60"), source=request.POST.get("source"))
        except ValidationError as exc:
            messages.error(request, reasons(exc))
        else:
            messages.success(request, f"已登记{entry.region.name}{entry.year}年人口数据：户籍人口 {entry.residents} 人，"
                                      f"60周岁及以上 {entry.elderly_60} 人。")
        return redirect("cockpit:population")
    require(user, COCKPIT_VIEW)
    rows = visible(Population.objects.select_related("region", "entered_by"), user).order_by("region_id", "-year", "-id")
    return render(request, "cockpit/population.html", {
        "rows": rows[:300], "may_enter": user.can(population.POPULATION_MANAGE),
    })
