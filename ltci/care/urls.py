from django.urls import path

from . import views

app_name = "care"
urlpatterns = [
    path("visits/", views.today, name="today"),
    path("visits/checkin", views.check_in, name="check_in"),
    path("visits/<int:pk>/checkout", views.check_out, name="check_out"),
    path("visits/acceptance/", views.acceptance_list, name="acceptance_list"),
    path("visits/<int:pk>/acceptance/", views.acceptance_detail, name="acceptance_detail"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/<int:person_id>/", views.plan_new, name="plan_new"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("events/", views.event_list, name="events"),
    path("persons/<int:pk>/", views.person_care, name="person"),
]
