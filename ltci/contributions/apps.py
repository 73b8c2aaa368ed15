from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "ltci.contributions"
    label = "contributions"
    verbose_name = "筹资缴费"
