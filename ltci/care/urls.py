from django.urls import path

from . import views

app_name = "care"
urlpatterns = [
    path("visits/", views.today, name="today"),
    path("visits/checkin", views.check_in, name="check_in"),
    path("visits/<int:pk>/checkout", views.check_out, name="check_out"),
]
