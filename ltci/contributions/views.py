from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ltci.accounts.roles import (
    CONTRIBUTION_BILL,
    CONTRIBUTION_EXPORT,
    CONTRIBUTION_VIEW,
    JOB_VIEW,
    PAYMENT_RECORD,
)
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.core.errors import reasons
from ltci.core.exports import attachment, import_template
from ltci.core.models import Job, JobKind
from ltci.core.paging import page_of, querystring_without_page
from ltci.core.uploads import import_page
from ltci.core.values import BadValue, parse_date
from ltci.enrolment.models import Person

from . import payments, queries
from .billing import start_billing
from .models import Channel, Payment

@login_required
def billing(request):
    require(request.user, CONTRIBUTION_BILL)
    if request.method == "POST":
        try:
            job = start_billing(request.user.region, request.POST.get("period", ""), user=request.user,
                                background=settings.JOBS_IN_BACKGROUND)
        except ValidationError as exc:
            messages.error(request, reasons(exc))
            return redirect("contributions:billing")
        return redirect("job_detail", job.pk)
    runs = visible(Job.objects.filter(kind=JobKind.BILLING), request.user)[:20] if request.user.can(JOB_VIEW) else []
    return render(request, "contributions/billing.html", {"runs": runs})


@login_required
def arrears(request):
    """The list, 50 a page, read only as far as the page (docs/decisions/0027); how many owe in all
    is counted on asking (?count=1, a button): it reads the whole period, seconds in a city. An
    insured person's own list is counted at once."""
    require(request.user, CONTRIBUTION_VIEW)
    period = request.GET.get("period", "").strip()
    district = request.GET.get("district", "").strip()
    rows, count, number, more = [], 0, 1, False
    own_only = request.user.reach == "self"
    if period and request.user.region_id and not (own_only and request.user.person_id is None):
        raw = request.GET.get("page", "1")
        number = max(1, int(raw)) if raw.isdigit() else 1
        counted = own_only or request.GET.get("count") == "1"
        rows, count = queries.arrears(request.user.region_id, period, district=district,
                                      person_id=request.user.person_id if own_only else None,
                                      limit=51, offset=(number - 1) * 50, count=counted)
        more, rows = len(rows) > 50, rows[:50]
        if count is None and not rows and number == 1:
            count = 0  # no one owes: nothing to count
        if counted and request.headers.get("HX-Request"):
            return render(request, "contributions/_arrears_count.html", {"period": period, "count": count})
    params = request.GET.copy()
    params.pop("count", None)
    return render(request, "contributions/arrears.html", {
        "period": period, "district": district, "rows": rows, "count": count, "number": number, "more": more,
        "can_export": request.user.can(CONTRIBUTION_EXPORT), "querystring": querystring_without_page(params),
    })


@login_required
def arrears_export(request):
    require(request.user, CONTRIBUTION_EXPORT)
    period = request.GET.get("period", "").strip()
    data = queries.export_arrears(request.user.region_id, period, district=request.GET.get("district", "").strip())
    return attachment(data, f"arrears-{period}.xlsx")


def _payments(request):
    qs = visible(Payment.objects.select_related("person").order_by("-paid_on", "-id"), request.user)
    period, channel = request.GET.get("period", "").strip(), request.GET.get("channel", "").strip()
    if period:
        qs = qs.filter(period=period)
    if channel:
        qs = qs.filter(channel=channel)
    return qs, period, channel


@login_required
def payment_list(request):
    require(request.user, CONTRIBUTION_VIEW)
    qs, period, channel = _payments(request)
    page = page_of(qs, request)
    return render(request, "contributions/payment_list.html", {
        "page": page, "period": period, "channel": channel, "channels": Channel.choices,
        "can_export": request.user.can(CONTRIBUTION_EXPORT), "can_import": request.user.can(PAYMENT_RECORD),
        "querystring": querystring_without_page(request.GET),
    })


@login_required
def payment_export(request):
    require(request.user, CONTRIBUTION_EXPORT)
    qs, _, _ = _payments(request)
    return attachment(queries.export_payments(qs, request.user.region_id), "payments.xlsx")


@login_required
def payment_import(request):
    require(request.user, PAYMENT_RECORD)
    return import_page(request, kind=JobKind.PAYMENT_IMPORT, start_import=payments.start_import,
                       columns=payments.COLUMNS, template_name="contributions/payment_import.html",
                       back="contributions:payment_import")


@login_required
def payment_template(request):
    require(request.user, PAYMENT_RECORD)
    return attachment(import_template(payments.COLUMNS, "缴费记录"), "payments-template.xlsx")


@login_required
@require_POST
def record_payment(request, pk: int):
    require(request.user, PAYMENT_RECORD)
    person = get_visible_or_404(Person.objects.all(), request.user, pk=pk)
    try:
        paid_on = parse_date(request.POST.get("paid_on", ""))
    except BadValue as exc:
        messages.error(request, str(exc))
        return redirect("enrolment:person_detail", pk)
    try:
        payment = payments.record_payment(person, period=request.POST.get("period", ""), payer=request.POST.get("payer", ""),
                                          channel=request.POST.get("channel", ""), amount=request.POST.get("amount", ""),
                                          reference=request.POST.get("reference", ""), paid_on=paid_on,
                                          user=request.user)
    except ValidationError as exc:
        messages.error(request, reasons(exc))
    else:
        messages.success(request, f"已登记：{payment}")
    return redirect("enrolment:person_detail", pk)
