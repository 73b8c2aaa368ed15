from django.urls import path

from . import views

app_name = "assessment"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("apply/", views.apply, name="apply"),
    path("publicity/", views.publicity, name="publicity"),
    path("ranking/", views.ranking, name="ranking"),
    path("discovery/", views.leads, name="leads"),
    path("discovery/<int:pk>", views.mark_lead, name="mark_lead"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<str:action>", views.act, name="act"),
    path("site/<int:pk>/", views.site_task, name="site_task"),
    path("reviews/<int:pk>/", views.review, name="review"),
    path("materials/<int:pk>", views.material, name="material"),
    path("certificates/<int:pk>.pdf", views.certificate, name="certificate"),
]
