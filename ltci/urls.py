from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from ltci.accounts.views import LoginView
from ltci.api import api
from ltci.core import job_views, schedule_views
from ltci.core import metrics as core_metrics
from ltci.core import views as core_views

admin.site.site_header = "长护险信息平台 · 基础数据管理"
admin.site.site_title = "长护险信息平台"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", core_metrics.metrics, name="metrics"),  # Prometheus, allowed networks only
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("persons/", include("ltci.enrolment.urls")),
    path("institutions/", include("ltci.providers.urls")),
    path("regions/", include("ltci.regions.urls")),
    path("users/", include("ltci.accounts.urls")),
    path("audit/", include("ltci.audit.urls")),
    path("contributions/", include("ltci.contributions.urls")),
    path("assessment/", include("ltci.assessment.urls")),
    path("care/", include("ltci.care.urls")),
    path("settlement/", include("ltci.settlement.urls")),
    path("fund/", include("ltci.fund.urls")),
    path("supervision/", include("ltci.supervision.urls")),
    path("dual-control/", include("ltci.dualcontrol.urls")),
    path("cockpit/", include("ltci.cockpit.urls")),
    path("my/", include("ltci.portal.urls")),
    path("schedule/", schedule_views.schedule_page, name="schedule"),
    path("schedule/<str:code>/run", schedule_views.run_now, name="schedule_run"),
    path("jobs/<int:pk>/", job_views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/progress", job_views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/report.xlsx", job_views.job_report, name="job_report"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

handler400 = "ltci.core.errors.bad_request"
handler403 = "ltci.core.errors.forbidden"
handler404 = "ltci.core.errors.not_found"
handler500 = "ltci.core.errors.server_error"
