"""The 双人复核 page: what waits for a second person in the user's region, with approve and reject
for those who may decide and withdraw for the maker, and what was decided lately."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ltci.accounts.roles import DUAL_CHECK
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.core.errors import reasons

from . import services
from .models import Request, RequestKind, RequestStatus

DECIDED_SHOWN = 100


@login_required
def index(request):
    require(request.user, DUAL_CHECK)
    kind = request.GET.get("kind", "")
    qs = visible(Request.objects.select_related("made_by", "decided_by"), request.user)
    if kind in RequestKind.values:
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    pending = [{"r": r, "may_decide": services.may_decide(request.user, r), "mine": r.made_by_id == request.user.pk}
               for r in qs.filter(status=RequestStatus.PENDING).order_by("made_at", "id")]
    return render(request, "dualcontrol/index.html", {
        "pending": pending, "decided": qs.exclude(status=RequestStatus.PENDING).order_by("-decided_at", "-id")[
            :DECIDED_SHOWN], "kinds": RequestKind.choices, "kind": kind, "shown": DECIDED_SHOWN})


@login_required
@require_POST
def reveal_account(request, pk: int):
    require(request.user, DUAL_CHECK)
    req = get_visible_or_404(Request.objects.all(), request.user, pk=pk)
    try:
        number = services.reveal_account(req, request.user)
    except ValidationError as exc:
        return render(request, "dualcontrol/_account_number.html", {"refused": reasons(exc)})
    return render(request, "dualcontrol/_account_number.html", {"number": number})


DONE = {"approve": "已复核通过，立即生效", "reject": "已驳回", "withdraw": "已撤回"}


@login_required
@require_POST
def act(request, pk: int):
    require(request.user, DUAL_CHECK)
    req = get_visible_or_404(Request.objects.all(), request.user, pk=pk)
    action = request.POST.get("action", "")
    if action not in DONE:
        raise Http404("unknown action")
    try:
        if action == "approve":
            services.approve(req, request.user, request.POST.get("note", ""))
        elif action == "reject":
            services.reject(req, request.user, request.POST.get("reason", ""))
        else:
            services.withdraw(req, request.user)
    except ValidationError as exc:
        messages.error(request, f"第 {req.pk} 号：{reasons(exc)}")
    else:
        messages.success(request, f"第 {req.pk} 号{DONE[action]}：{req.summary}")
    return redirect("dualcontrol:index")
