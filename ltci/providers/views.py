import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from ltci.accounts.roles import CARER_MANAGE, CATALOGUE_CHANGE, INSTITUTION_MANAGE, INSTITUTION_VIEW, REGION_VIEW
from ltci.accounts.scope import chosen_region, get_visible_or_404, require, visible
from ltci.core import confirm
from ltci.core.errors import error_pairs
from ltci.core.exports import attachment
from ltci.core.uploads import save_upload
from ltci.core.values import BadValue, parse_date

from . import carers, catalogue, designation, quality
from .models import Agreement, Designation, Institution, InstitutionStatus
from .rating import star_rating


@login_required
def institution_list(request):
    require(request.user, INSTITUTION_VIEW)
    institutions = visible(Institution.objects.select_related("region"), request.user)
    return render(request, "providers/institution_list.html", {
        "institutions": institutions, "may_manage": request.user.can(INSTITUTION_MANAGE)})


def _date(value, field):
    try:
        return parse_date(value)
    except BadValue as exc:
        raise ValidationError({field: str(exc)}) from None


def _int(value, field):
    value = (value or "").strip()
    if not re.fullmatch(r"-?[0-9]{1,9}", value):
        raise ValidationError({field: "请填写整数"})
    return int(value)


@login_required
def institution_detail(request, pk: int):
    """An institution's record: agreement, carers, filings, rating; the agency's supervision forms."""
    require(request.user, INSTITUTION_VIEW)
    institution = get_visible_or_404(Institution.objects.all(), request.user, pk=pk)
    user, today = request.user, timezone.localdate()
    post = request.POST
    actions = {
        "carer": (CARER_MANAGE, lambda: carers.register(
            institution, user, name=post.get("name", ""), id_number=post.get("id_number", ""),
            certificate_number=post.get("certificate_number", ""), level=post.get("level", ""))),
        "filing": (CARER_MANAGE, lambda: quality.file_publicity(
            institution, user, title=post.get("title", ""), channel=post.get("channel", ""),
            content=post.get("content", ""))),
        "inspection": (INSTITUTION_MANAGE, lambda: quality.inspect(
            institution, user, on=_date(post.get("on"), "on"), score=_int(post.get("score"), "score"),
            findings=post.get("findings", ""))),
        "suspend": (INSTITUTION_MANAGE, lambda: designation.suspend(
            institution, user, until=_date(post.get("until"), "until"), reason=post.get("reason", ""))),
        "terminate": (INSTITUTION_MANAGE, lambda: designation.terminate(
            institution, user, on=_date(post.get("on"), "on"), reason=post.get("reason", ""))),
        "withdraw_termination": (INSTITUTION_MANAGE, lambda: designation.withdraw_termination(
            institution, user, reason=post.get("reason", ""))),
    }
    # Steps that cannot simply be taken back ask first (ltci.core.confirm).
    asks = {"terminate": _termination_summary, "withdraw_termination": _withdrawal_summary}
    errors = None
    if request.method == "POST":
        if post.get("do") not in actions:
            raise Http404("unknown action")
        permission, act = actions[post["do"]]
        require(user, permission)
        try:
            if post["do"] in asks:
                done = confirm.run(request, act, asks[post["do"]])
                if isinstance(done, confirm.Asked):
                    return confirm.page(request, done, back=reverse("providers:institution_detail", args=[institution.pk]))
            else:
                act()
        except ValidationError as exc:
            errors = error_pairs(exc)
        else:
            messages.success(request, "已保存。")
            return redirect("providers:institution_detail", institution.pk)
        institution.refresh_from_db()
    from ltci.care.choices import occupied_beds

    return render(request, "providers/institution_detail.html", {
        "institution": institution, "rating": star_rating(institution, today), "errors": errors,
        "agreements": institution.agreements.all(), "carers": institution.carers.prefetch_related("suspensions"),
        "filings": institution.publicity_filings.all()[:20], "occupied": occupied_beds(institution, today),
        "may_manage": user.can(INSTITUTION_MANAGE), "may_carers": user.can(CARER_MANAGE),
        "terminations": institution.terminations.select_related("entered_by", "withdrawal__withdrawn_by"),
        "withdrawable": designation.open_termination(institution)
        if institution.status == InstitutionStatus.TERMINATED else None,
        "values": post if errors else {},
    }, status=422 if errors else 200)


def _termination_summary(institution) -> confirm.Summary:
    t = institution.terminations.first()
    ended = Agreement.objects.filter(pk__in=t.agreements).order_by("start")
    return confirm.Summary(f"确认终止{institution.name}的服务协议", [
        ("定点机构", institution.name), ("终止日期", f"{t.on:%Y-%m-%d}"), ("终止理由", t.reason),
        ("提前终止的协议", "、".join(f"{a.number}（原至{a.end:%Y-%m-%d}）" for a in ended) or "无"),
        ("机构状态", "已终止协议：不再接收新参保人，终止日期后的服务不予结算"),
    ], warning="终止后如发现登记有误，可由经办机构写明理由撤回，终止记录保留。", button="确认终止服务协议")


def _withdrawal_summary(withdrawal) -> confirm.Summary:
    t = withdrawal.termination
    institution = Institution.objects.get(pk=t.institution_id)
    restored = Agreement.objects.filter(pk__in=t.agreements).order_by("start")
    return confirm.Summary(f"确认撤回对{institution.name}的终止", [
        ("定点机构", institution.name), ("被撤回的终止", f"{t.on:%Y-%m-%d}：{t.reason}"),
        ("撤回理由", withdrawal.reason),
        ("恢复的协议", "、".join(f"{a.number}（至{a.end:%Y-%m-%d}）" for a in restored) or "无"),
        ("撤回后机构状态", institution.get_status_display()
         + (f" 至{institution.suspended_until:%Y-%m-%d}" if institution.suspended_until else "")),
    ], warning="原终止记录保留，并注明已撤回。", button="确认撤回终止")


def _catalogue_region(request):
    """The user's region; the platform administrator picks one (?region=), offered on the page."""
    try:
        return chosen_region(request.user, request.GET.get("region")), None
    except ValidationError as exc:
        return None, [m for ms in exc.message_dict.values() for m in ms]


def _region_choice(request, errors=None):
    from ltci.regions.models import Region

    return render(request, "providers/catalogue.html", {
        "choose_region": True, "regions": visible(Region.objects.order_by("pk"), request.user), "errors": errors},
        status=422 if errors else 200)


@login_required
def catalogue_page(request):
    """The region's service catalogue; the agency downloads it as Excel, prices it, and uploads it back."""
    require(request.user, REGION_VIEW)
    if request.method == "POST":
        require(request.user, CATALOGUE_CHANGE)
    region, errors = _catalogue_region(request)
    if region is None:
        return _region_choice(request, errors)
    today = timezone.localdate()
    context = {"items": catalogue.items_of(region.pk, today), "code": catalogue.catalogue_data(catalogue.catalogue_of(region.pk, today)).get("title", "本地区服务项目目录"),
               "region": region, "region_param": "" if request.user.region_id else region.pk,
               "may_change": request.user.can(CATALOGUE_CHANGE)}
    if request.method == "POST":
        try:
            path, _ = save_upload(request.FILES.get("file"), subdir="catalogue")
            result = catalogue.import_prices(region.pk, today, path, request.user)
        except ValidationError as exc:
            context["errors"] = [m for ms in exc.message_dict.values() for m in ms]
            return render(request, "providers/catalogue.html", context, status=422)
        messages.success(request, f"已导入 {result['rows']} 行，更新 {result['changed']} 个项目。")
        return redirect("providers:catalogue")
    return render(request, "providers/catalogue.html", context)


@login_required
def catalogue_export(request):
    require(request.user, REGION_VIEW)
    region, errors = _catalogue_region(request)
    if region is None:
        return _region_choice(request, errors)
    return attachment(catalogue.export_xlsx(region.pk, timezone.localdate()), "catalogue.xlsx")


DESIGNATION_FIELDS = ("name", "credit_code", "kind", "district", "address", "latitude", "longitude", "filed_beds",
                      "staff", "licence_number", "licence_expiry", "liability_insurer", "liability_policy",
                      "liability_expiry")


@login_required
def designation_list(request):
    """Applications for designation: the form to record one, and the review of those waiting."""
    require(request.user, INSTITUTION_MANAGE)
    from .models import InstitutionKind

    user, post = request.user, request.POST
    context = {"applications": visible(Designation.objects.all(), user)[:200], "kinds": InstitutionKind.choices,
               "values": post, "modes": _modes(user.region_id)}
    if request.method == "POST":
        try:
            if post.get("do") == "submit":
                made, warnings = designation.submit(
                    user.region_id, user, **{f: post.get(f, "") for f in DESIGNATION_FIELDS
                                             if f not in ("filed_beds", "staff", "licence_expiry", "liability_expiry")},
                    filed_beds=_int(post.get("filed_beds") or "0", "filed_beds"), staff=_int(post.get("staff"), "staff"),
                    licence_expiry=_date(post.get("licence_expiry"), "licence_expiry"),
                    liability_expiry=_date(post.get("liability_expiry"), "liability_expiry"))
                messages.success(request, "定点申请已登记。" + "".join(f"提示：{w}" for w in warnings))
            else:
                application = get_visible_or_404(Designation.objects.all(), user, pk=_int(post.get("pk"), "pk"))
                if post.get("do") == "approve":
                    designation.approve(application, user, agreement_number=post.get("agreement_number", ""),
                                        start=_date(post.get("start"), "start"), end=_date(post.get("end"), "end"),
                                        modes=post.getlist("modes"), penalties=post.get("penalties", ""))
                    messages.success(request, "已批准，服务协议已签订。")
                elif post.get("do") == "reject":
                    designation.reject(application, user, note=post.get("note", ""))
                    messages.success(request, "已不予批准。")
                else:
                    raise Http404("unknown action")
        except ValidationError as exc:
            context["errors"] = error_pairs(exc)
            return render(request, "providers/designation_list.html", context, status=422)
        return redirect("providers:designation_list")
    return render(request, "providers/designation_list.html", context)


def _modes(region):
    from ltci.care.choices import region_modes

    return list(region_modes(region, timezone.localdate()).items()) if region else []
