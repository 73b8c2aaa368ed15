from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("", views.index, name="index"),
    path("hits/", views.hit_list, name="hits"),
    path("hits/<int:pk>/", views.hit_detail, name="hit"),
    path("rules/", views.rule_list, name="rules"),
    path("cases/", views.case_list, name="cases"),
    path("cases/open", views.case_open, name="case_open"),
    path("cases/open-month", views.case_open_month, name="case_open_month"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/action", views.case_action, name="case_action"),
    path("cases/<int:pk>/evidence", views.case_evidence, name="case_evidence"),
    path("samples/", views.sample_list, name="samples"),
    path("samples/draw", views.sample_draw, name="sample_draw"),
    path("samples/assign", views.sample_assign, name="sample_assign"),
    path("samples/mine", views.my_samples, name="my_samples"),
    path("samples/<int:pk>/record", views.sample_record, name="sample_record"),
    path("ranking/", views.ranking_page, name="ranking"),
]
