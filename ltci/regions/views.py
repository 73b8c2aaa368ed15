from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ltci.accounts.roles import POLICY_CONTINUE, REGION_VIEW
from ltci.accounts.scope import get_visible_or_404, require, visible

from . import continuation
from .api import version_standing
from .models import Region


def _cards(user, *, errors_for: str = "", errors: dict | None = None, values=None) -> list[dict]:
    """Each visible region with its versions' standing, the policy it applies today, the documents
    continuing it and, for its bureau administrator, the form (with a refused one's errors and values)."""
    today = timezone.localdate()
    cards = []
    for r in visible(Region.objects.prefetch_related("versions"), user):
        applied = continuation.in_force(r.code, today)
        cards.append({
            "region": r, "applied": applied,
            "versions": [{"v": v, "standing": version_standing(v, applied, today)} for v in r.versions.all()],
            "continuations": list(r.continuations.select_related("version", "recorded_by")),
            "may_record": bool(applied and applied.carried_on and continuation.may_record(user, r)),
            "errors": (errors or {}) if r.code == errors_for else {},
            "values": values if r.code == errors_for else {},
        })
    return cards


@login_required
def region_list(request):
    require(request.user, REGION_VIEW)
    return render(request, "regions/region_list.html", {"cards": _cards(request.user)})


@login_required
@require_POST
def record_continuation(request, code: str):
    require(request.user, POLICY_CONTINUE)
    region = get_visible_or_404(Region.objects.all(), request.user, pk=code)
    try:
        made = continuation.record_continuation(
            user=request.user, region=region, document_number=request.POST.get("document_number", ""),
            title=request.POST.get("title", ""), issued_on=request.POST.get("issued_on", ""))
    except ValidationError as exc:
        errors = {k: "；".join(v) for k, v in exc.message_dict.items()}
        return render(request, "regions/region_list.html", {
            "cards": _cards(request.user, errors_for=region.code, errors=errors, values=request.POST)}, status=422)
    messages.success(request, f"已登记{region.name}的延续执行文件：{made.label}")
    return redirect("regions:region_list")
