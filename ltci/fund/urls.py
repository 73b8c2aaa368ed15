from django.urls import path

from . import projection_views, views

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
    path("projections/", projection_views.projections, name="projections"),
    path("projections/<int:pk>/", projection_views.projection_detail, name="projection"),
    path("projections/<int:pk>.xlsx", projection_views.projection_xlsx, name="projection_xlsx"),
    path("projections/<int:pk>.pdf", projection_views.projection_pdf, name="projection_pdf"),
    path("projections/<int:pk>/draft.toml", projection_views.projection_draft, name="projection_draft"),
    path("trials/", projection_views.trials, name="trials"),
    path("trials/<int:pk>/", projection_views.trial_detail, name="trial"),
    path("trials/<int:pk>.xlsx", projection_views.trial_xlsx, name="trial_xlsx"),
    path("trials/<int:pk>/draft.toml", projection_views.trial_draft, name="trial_draft"),
]
