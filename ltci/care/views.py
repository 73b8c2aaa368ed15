"""The carer's phone page: today's visits, check in at a beneficiary's home, check out with the items
done and the face check's result. Each form carries a request id made when the page was drawn, so a
double tap or a resubmission is the same request, never a second visit."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ltci.accounts.roles import VISIT_RECORD
from ltci.accounts.scope import require
from ltci.enrolment.models import Person
from ltci.providers.catalogue import items_of

from . import visits
from .models import FaceCheck, Visit


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "；".join(m for ms in exc.message_dict.values() for m in ms)
    return "；".join(exc.messages)


@login_required
def today(request):
    require(request.user, VISIT_RECORD)
    day = timezone.localdate()
    return render(request, "care/today.html", {
        "visits": visits.today_for(request.user), "people": visits.beneficiaries_for(request.user, day),
        "request_id": uuid.uuid4().hex, "face_checks": FaceCheck.choices, "today": day,
        "catalogue": items_of(request.user.region_id, day),
    })


@login_required
@require_POST
def check_in(request):
    require(request.user, VISIT_RECORD)
    carer = visits.carer_of(request.user)
    person = Person.objects.filter(pk=request.POST.get("person") or 0, region_id=carer.region_id).first() \
        if (request.POST.get("person") or "").isdigit() else None
    try:
        if person is None:
            raise ValidationError({"person": "请选择服务对象"})
        visit = visits.check_in(request.user, person=person, request_id=request.POST.get("request_id", ""),
                                latitude=request.POST.get("latitude", ""), longitude=request.POST.get("longitude", ""))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        distance = f"，距居所 {visit.checkin_distance_m} 米" if visit.checkin_distance_m is not None else ""
        messages.success(request, f"已签到：{person.name} {timezone.localtime(visit.checkin_at):%H:%M}{distance}")
    return redirect("care:today")


@login_required
@require_POST
def check_out(request, pk: int):
    require(request.user, VISIT_RECORD)
    visit = Visit.objects.filter(pk=pk, carer=visits.carer_of(request.user)).first()
    if visit is None:
        messages.error(request, "不是本人的服务记录")
        return redirect("care:today")
    items = request.POST.getlist("items")
    try:
        visits.check_out(request.user, visit, request_id=request.POST.get("request_id", ""),
                         latitude=request.POST.get("latitude", ""), longitude=request.POST.get("longitude", ""),
                         items=items, face_check=request.POST.get("face_check", ""),
                         notes=request.POST.get("notes", ""))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"已签退：{visit.person.name}")
    return redirect("care:today")
