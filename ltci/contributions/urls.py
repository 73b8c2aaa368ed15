from django.urls import path

from . import views

app_name = "contributions"
urlpatterns = [
    path("billing/", views.billing, name="billing"),
    path("arrears/", views.arrears, name="arrears"),
    path("arrears/export.xlsx", views.arrears_export, name="arrears_export"),
    path("payments/", views.payment_list, name="payment_list"),
    path("payments/export.xlsx", views.payment_export, name="payment_export"),
    path("payments/import/", views.payment_import, name="payment_import"),
    path("payments/import/template.xlsx", views.payment_template, name="payment_template"),
    path("persons/<int:pk>/payments", views.record_payment, name="record_payment"),
]
