from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("apply/", views.apply, name="apply"),
    path("applications/<int:pk>/", views.application, name="application"),
    path("applications/<int:pk>/objection", views.object_to, name="object"),
    path("care/", views.care, name="care"),
    path("plans/<int:pk>/", views.plan, name="plan"),
    path("plans/<int:pk>/confirm", views.confirm_plan, name="confirm_plan"),
    path("visits/<int:pk>/rating", views.rate_visit, name="rate_visit"),
    path("institutions/", views.institutions, name="institutions"),
    path("institutions/choose", views.choose, name="choose"),
    path("institutions/<int:pk>/review", views.review_institution, name="review_institution"),
    path("benefits/", views.benefits, name="benefits"),
]
