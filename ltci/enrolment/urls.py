from django.urls import path

from . import views

app_name = "enrolment"
urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("export.xlsx", views.export, name="person_export"),
    path("register/", views.register, name="person_register"),
    path("import/", views.roster_import, name="roster_import"),
    path("import/template.xlsx", views.roster_template, name="roster_template"),
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/id-number", views.reveal_id_number, name="person_reveal_id"),
    path("<int:pk>/enrol", views.enrol, name="person_enrol"),
    path("<int:pk>/end-enrolment", views.end_enrolment, name="person_end_enrolment"),
    path("<int:pk>/groups", views.add_group, name="person_add_group"),
]
