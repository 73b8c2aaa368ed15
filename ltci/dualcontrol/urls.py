from django.urls import path

from . import views

app_name = "dualcontrol"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/action", views.act, name="act"),
    path("<int:pk>/account-number", views.reveal_account, name="reveal_account"),
]
