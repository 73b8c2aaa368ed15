from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ltci.accounts.roles import CATALOGUE_CHANGE, INSTITUTION_VIEW, REGION_VIEW
from ltci.accounts.scope import require, visible
from ltci.core.uploads import save_upload

from . import catalogue
from .models import Institution

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def institution_list(request):
    require(request.user, INSTITUTION_VIEW)
    institutions = visible(Institution.objects.select_related("region"), request.user)
    return render(request, "providers/institution_list.html", {"institutions": institutions})


@login_required
def catalogue_page(request):
    """The region's service catalogue; the agency downloads it as Excel, prices it, and uploads it back."""
    require(request.user, REGION_VIEW)
    today = timezone.localdate()
    context = {"items": catalogue.items_of(request.user.region_id, today),
               "code": catalogue.catalogue_of(request.user.region_id, today),
               "may_change": request.user.can(CATALOGUE_CHANGE)}
    if request.method == "POST":
        require(request.user, CATALOGUE_CHANGE)
        try:
            path, _ = save_upload(request.FILES.get("file"), subdir="catalogue")
            result = catalogue.import_prices(request.user.region_id, today, path, request.user)
        except ValidationError as exc:
            context["errors"] = [m for ms in exc.message_dict.values() for m in ms]
            return render(request, "providers/catalogue.html", context, status=422)
        messages.success(request, f"已导入 {result['rows']} 行，更新 {result['changed']} 个项目。")
        return redirect("providers:catalogue")
    return render(request, "providers/catalogue.html", context)


@login_required
def catalogue_export(request):
    require(request.user, REGION_VIEW)
    data = catalogue.export_xlsx(request.user.region_id, timezone.localdate())
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="catalogue.xlsx"'
    return response
