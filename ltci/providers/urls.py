from django.urls import path

from . import views

app_name = "providers"
urlpatterns = [path("", views.institution_list, name="institution_list")]
