import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ltci.accounts.roles import (
    CARE_VIEW,
    CONTRIBUTION_VIEW,
    PAYMENT_RECORD,
    PERSON_CHANGE,
    PERSON_EXPORT,
    PERSON_IMPORT,
    PERSON_VIEW,
    PERSON_VIEW_ID,
)
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.contributions.models import Channel, Payer
from ltci.contributions.standing import contribution_verdict, statement
from ltci.core import confirm
from ltci.core.errors import reasons
from ltci.core.exports import attachment, import_template
from ltci.core.models import JobKind
from ltci.core.paging import page_of, querystring_without_page
from ltci.core.uploads import import_page
from ltci.core.values import BadValue, parse_date
from ltci.policy.policies import region as policy_region

from . import counter, roster, services
from .idcard import KINDS
from .models import Category, EndReason, EnrolmentStatus, Group, Person, Scheme


def _filters(request) -> dict:
    return {k: request.GET.get(k, "").strip() for k in ("q", "district", "scheme", "status")}


@login_required
def person_list(request):
    require(request.user, PERSON_VIEW)
    filters = _filters(request)
    persons = services.search(visible(Person.objects.order_by("id"), request.user), **filters)
    page = page_of(persons, request, capped=True)
    districts = [d.name for d in policy_region(request.user.region_id).districts] if request.user.region_id else []
    return render(request, "enrolment/person_list.html", {
        "page": page, **filters, "districts": districts, "schemes": Scheme.choices,
        "statuses": EnrolmentStatus.choices, "can_export": request.user.can(PERSON_EXPORT),
        "can_import": request.user.can(PERSON_IMPORT), "can_register": request.user.can(PERSON_CHANGE),
        "querystring": querystring_without_page(request.GET),
        # A clerk who looked up an ID number and found no one registers it from here, number filled in.
        "unregistered_id": filters["q"].upper() if _ID_NUMBER.match(filters["q"]) and not page.paginator.count
        else "",
    })


_ID_NUMBER = re.compile(r"^([0-9]{17}[0-9Xx]|[A-Za-z]{3}[0-9]{12})$")


@login_required
def register(request):
    """参保登记 at the counter: one person with their enrolment, by the roster import's checks. A
    refused form comes back as typed with each reason beside its field; warnings ask to confirm."""
    require(request.user, PERSON_CHANGE)
    user = request.user
    if not user.region_id:
        raise PermissionDenied
    values = request.POST if request.method == "POST" else {"id_number": request.GET.get("id_number", "")}
    context = _register_context(user, values)
    if request.method != "POST":
        return render(request, "enrolment/register.html", context)
    try:
        done = counter.register(user, request.POST, confirmed=request.POST.getlist("confirmed"))
    except counter.AlreadyRegistered as exc:
        context.update(errors={"id_number": exc.messages[0]}, existing=exc.person)
    except counter.NeedsConfirmation as exc:
        context["warnings"] = exc.warnings
        return render(request, "enrolment/register.html", context)
    except ValidationError as exc:
        errors = {field: reasons_[0] for field, reasons_ in exc.message_dict.items()}
        context.update(general_error=errors.pop("__all__", ""), errors=errors)
    else:
        confirmed = "（已核对：" + "；".join(done.warnings) + "）" if done.warnings else ""
        messages.success(request, f"已登记参保人 {done.person.name}，参保登记：{done.enrolment}{confirmed}")
        return redirect("enrolment:person_detail", done.person.pk)
    return render(request, "enrolment/register.html", context, status=422)


def _register_context(user, values) -> dict:
    rules = roster.RosterRules(user.region_id, timezone.localdate())
    labels = dict(Scheme.choices)
    return {
        "values": values, "errors": {}, "region_name": rules.region_name, "today": timezone.localdate(),
        "id_kinds": list(KINDS.items()), "districts": list(dict.fromkeys(rules.districts.values())),
        "schemes": [(s, labels[s]) for s in rules.schemes if s in labels], "categories": Category.choices,
        # Rate-based regions bill from a base or a pension by category: only there are they asked for.
        "base_categories": "、".join(Category(c).label for c, needed in rules.bases.items() if needed == "base"),
        "pension_categories": "、".join(Category(c).label for c, needed in rules.bases.items() if needed == "pension"),
    }


@login_required
def person_detail(request, pk: int):
    require(request.user, PERSON_VIEW)
    person = get_visible_or_404(Person.objects.prefetch_related("enrolments", "groups"), request.user, pk=pk)
    groups = list(person.groups.all())
    services.record_person_view(person, groups)
    context = {"person": person, "groups": groups, "enrolments": person.enrolments.all(),
               "may_reveal": request.user.can(PERSON_VIEW_ID), "may_see_care": request.user.can(CARE_VIEW)}
    if request.user.can(PERSON_CHANGE):
        context.update(may_change=True, active=person.enrolments.filter(status=EnrolmentStatus.ACTIVE).first(),
                       schemes=Scheme.choices, categories=Category.choices, end_reasons=EndReason.choices,
                       group_choices=Group.choices, today=timezone.localdate())
    if request.user.can(CONTRIBUTION_VIEW):
        context["periods"] = statement(person)
        context["verdict"] = contribution_verdict(person, timezone.localdate(), periods=context["periods"])
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
    return attachment(services.export_persons(persons, region=request.user.region_id), "persons.xlsx")


@login_required
def roster_import(request):
    """The upload page of the roster; the job page then shows progress and the report."""
    require(request.user, PERSON_IMPORT)
    return import_page(request, kind=JobKind.ROSTER_IMPORT, start_import=roster.start_import, columns=roster.COLUMNS,
                       template_name="enrolment/roster_import.html", back="enrolment:roster_import")


@login_required
def roster_template(request):
    require(request.user, PERSON_IMPORT)
    return attachment(import_template(roster.COLUMNS, "参保名单"), "roster-template.xlsx")


def _post_change(request, pk: int, change) -> HttpResponse:
    """A clerk's change from the person page: done and said, or refused with the reason."""
    require(request.user, PERSON_CHANGE)
    person = get_visible_or_404(Person.objects.all(), request.user, pk=pk)
    try:
        done = change(person, request.POST)
    except (ValidationError, BadValue) as exc:
        messages.error(request, reasons(exc) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, done)
    return redirect("enrolment:person_detail", pk)


def _optional(parse, value):
    return parse(value) if (value or "").strip() else None


@login_required
@require_POST
def enrol(request, pk: int):
    def change(person, data):
        e = services.enrol(person, scheme=data.get("scheme", ""), category=data.get("category", ""),
                           start=parse_date(data.get("start", "")),
                           contribution_base=data.get("contribution_base"), pension=data.get("pension"))
        return f"已登记参保：{e}"
    return _post_change(request, pk, change)


@login_required
@require_POST
def end_enrolment(request, pk: int):
    """终止参保登记 (death, moving out …): nothing is chosen for the clerk, and the step asks first."""
    require(request.user, PERSON_CHANGE)
    person = get_visible_or_404(Person.objects.all(), request.user, pk=pk)
    data = request.POST

    def act():
        current = person.enrolments.filter(status=EnrolmentStatus.ACTIVE).first()
        if current is None:
            raise ValidationError({"status": "该参保人没有有效的参保登记"})
        if not data.get("reason"):
            raise ValidationError({"reason": "请选择终止原因"})
        if not (data.get("end") or "").strip():
            raise ValidationError({"end": "请填写终止日期"})
        try:
            end = parse_date(data.get("end", ""))
        except BadValue as exc:
            raise ValidationError({"end": f"终止日期{exc}"}) from None
        return services.end_enrolment(current, end=end, reason=data.get("reason", ""))

    def summary(e) -> confirm.Summary:
        death = e.end_reason == EndReason.DEATH
        return confirm.Summary(f"确认终止{person.name}的参保登记", [
            ("参保人", f"{person.name}（{person.masked_id}）"),
            ("参保登记", f"{e.get_scheme_display()}，{e.start:%Y-%m-%d}起"),
            ("终止原因", e.get_end_reason_display()), ("终止日期" if not death else "死亡日期", f"{e.end:%Y-%m-%d}"),
        ], warning=("将登记该参保人已死亡。" if death else "") + "终止后参保登记不再有效；如登记有误，须重新办理参保登记。",
            button="确认登记死亡并终止参保" if death else "确认终止参保登记")

    try:
        done = confirm.run(request, act, summary)
    except ValidationError as exc:
        messages.error(request, reasons(exc))
        return redirect("enrolment:person_detail", pk)
    if isinstance(done, confirm.Asked):
        return confirm.page(request, done, back=reverse("enrolment:person_detail", args=[pk]))
    messages.success(request, f"已终止参保登记（{done.get_end_reason_display()}，{done.end:%Y-%m-%d}）")
    return redirect("enrolment:person_detail", pk)


@login_required
@require_POST
def add_group(request, pk: int):
    def change(person, data):
        g = services.add_group(person, group=data.get("group", ""), evidence=data.get("evidence", ""),
                               valid_from=parse_date(data.get("valid_from", "")),
                               valid_to=_optional(parse_date, data.get("valid_to")))
        return f"已登记特殊人员身份：{g.get_group_display()}"
    return _post_change(request, pk, change)
