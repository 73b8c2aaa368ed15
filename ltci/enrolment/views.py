from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from ltci.accounts.roles import PERSON_EXPORT, PERSON_VIEW, PERSON_VIEW_ID
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.core.paging import querystring_without_page

from . import services
from .api import XLSX
from .models import Person


@login_required
def person_list(request):
    require(request.user, PERSON_VIEW)
    q = request.GET.get("q", "").strip()
    persons = visible(Person.objects.order_by("id"), request.user)
    if q:
        persons = persons.filter(name__contains=q)
    page = Paginator(persons, 50).get_page(request.GET.get("page"))
    return render(request, "enrolment/person_list.html",
                  {"page": page, "q": q, "can_export": request.user.can(PERSON_EXPORT),
                   "querystring": querystring_without_page(request.GET)})


@login_required
def person_detail(request, pk: int):
    require(request.user, PERSON_VIEW)
    person = get_visible_or_404(Person.objects.prefetch_related("enrolments", "groups"), request.user, pk=pk)
    groups = list(person.groups.all())
    services.record_person_view(person, groups)
    return render(request, "enrolment/person_detail.html", {
        "person": person, "groups": groups, "enrolments": person.enrolments.all(),
        "may_reveal": request.user.can(PERSON_VIEW_ID),
    })


@login_required
@require_POST
def reveal_id_number(request, pk: int):
    require(request.user, PERSON_VIEW_ID)
    person = get_visible_or_404(Person.objects.all(), request.user, pk=pk)
    return render(request, "enrolment/_id_number.html", {"number": services.reveal_id_number(person)})


@login_required
def export(request):
    require(request.user, PERSON_EXPORT)
    data = services.export_persons(visible(Person.objects.order_by("id"), request.user), region=request.user.region_id)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="persons.xlsx"'
    return response
