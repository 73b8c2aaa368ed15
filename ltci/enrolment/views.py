from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ltci.accounts.roles import (
    CONTRIBUTION_VIEW,
    PAYMENT_RECORD,
    PERSON_EXPORT,
    PERSON_IMPORT,
    PERSON_VIEW,
    PERSON_VIEW_ID,
)
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.contributions.models import Channel, Payer
from ltci.contributions.standing import contribution_verdict, statement
from ltci.core.models import JobKind
from ltci.core.paging import querystring_without_page
from ltci.core.tabular import template
from ltci.core.uploads import import_page
from ltci.policy.policies import region as policy_region

from . import roster, services
from .api import XLSX
from .models import EnrolmentStatus, Person, Scheme


def _filters(request) -> dict:
    return {k: request.GET.get(k, "").strip() for k in ("q", "district", "scheme", "status")}


@login_required
def person_list(request):
    require(request.user, PERSON_VIEW)
    filters = _filters(request)
    persons = services.search(visible(Person.objects.order_by("id"), request.user), **filters)
    page = Paginator(persons, 50).get_page(request.GET.get("page"))
    districts = [d.name for d in policy_region(request.user.region_id).districts] if request.user.region_id else []
    return render(request, "enrolment/person_list.html", {
        "page": page, **filters, "districts": districts, "schemes": Scheme.choices,
        "statuses": EnrolmentStatus.choices, "can_export": request.user.can(PERSON_EXPORT),
        "can_import": request.user.can(PERSON_IMPORT), "querystring": querystring_without_page(request.GET),
    })


@login_required
def person_detail(request, pk: int):
    require(request.user, PERSON_VIEW)
    person = get_visible_or_404(Person.objects.prefetch_related("enrolments", "groups"), request.user, pk=pk)
    groups = list(person.groups.all())
    services.record_person_view(person, groups)
    context = {"person": person, "groups": groups, "enrolments": person.enrolments.all(),
               "may_reveal": request.user.can(PERSON_VIEW_ID)}
    if request.user.can(CONTRIBUTION_VIEW):
        context["periods"] = statement(person)
        context["verdict"] = contribution_verdict(person, timezone.localdate())
        context["payments"] = person.payments.order_by("-paid_on", "-id")[:50]
        if request.user.can(PAYMENT_RECORD):
            context.update(may_pay=True, payers=[c for c in Payer.choices if c[0] != Payer.DONATION],
                           channels=Channel.choices, today=timezone.localdate())
    return render(request, "enrolment/person_detail.html", context)


@login_required
@require_POST
def reveal_id_number(request, pk: int):
    require(request.user, PERSON_VIEW_ID)
    person = get_visible_or_404(Person.objects.all(), request.user, pk=pk)
    return render(request, "enrolment/_id_number.html", {"number": services.reveal_id_number(person)})


@login_required
def export(request):
    require(request.user, PERSON_EXPORT)
    persons = services.search(visible(Person.objects.order_by("id"), request.user), **_filters(request))
    data = services.export_persons(persons, region=request.user.region_id)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="persons.xlsx"'
    return response


@login_required
def roster_import(request):
    """The upload page of the roster; the job page then shows progress and the report."""
    require(request.user, PERSON_IMPORT)
    return import_page(request, kind=JobKind.ROSTER_IMPORT, start_import=roster.start_import, columns=roster.COLUMNS,
                       template_name="enrolment/roster_import.html", back="enrolment:roster_import")


@login_required
def roster_template(request):
    require(request.user, PERSON_IMPORT)
    response = HttpResponse(template(roster.COLUMNS, "参保名单"), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="roster-template.xlsx"'
    return response
