from django.urls import path

from . import views

app_name = "fund"
urlpatterns = [
    path("", views.ledger_page, name="ledger"),
    path("periods/close", views.close_period, name="close_period"),
    path("budget", views.set_budget, name="set_budget"),
    path("fees", views.post_fee, name="post_fee"),
    path("fees/<int:pk>/reverse", views.reverse_fee, name="reverse_fee"),
    path("journals/", views.journal_list, name="journals"),
    path("disclosure/", views.disclosure_page, name="disclosure"),
    path("disclosure.pdf", views.disclosure_pdf_view, name="disclosure_pdf"),
]
