from django.urls import path

from . import views

app_name = "providers"
urlpatterns = [
    path("", views.institution_list, name="institution_list"),
    path("<int:pk>/", views.institution_detail, name="institution_detail"),
    path("designations/", views.designation_list, name="designation_list"),
    path("catalogue/", views.catalogue_page, name="catalogue"),
    path("catalogue/export.xlsx", views.catalogue_export, name="catalogue_export"),
]
