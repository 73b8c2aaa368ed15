from django.urls import path

from . import views

app_name = "settlement"
urlpatterns = [
    path("", views.index, name="index"),
    path("claims/<int:pk>/", views.claim_detail, name="claim"),
    path("claims/<int:pk>/action", views.claim_action, name="claim_action"),
    path("claims/<int:pk>/statement.pdf", views.claim_pdf, name="claim_pdf"),
    path("statements/<int:person_id>/<str:month>.pdf", views.person_pdf, name="person_pdf"),
    path("payments/", views.payment_list, name="payments"),
    path("payments/account", views.payee_account, name="payee_account"),
    path("payments/<int:pk>/bank-file.csv", views.bank_file, name="bank_file"),
    path("payments/<int:pk>/", views.batch_detail, name="batch"),
    path("payments/<int:pk>/cancel", views.cancel_batch, name="cancel_batch"),
    path("transfers/<int:pk>/return", views.return_payment, name="return_payment"),
]
