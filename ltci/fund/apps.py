from django.apps import AppConfig


class FundConfig(AppConfig):
    name = "ltci.fund"
    label = "fund"
    verbose_name = "基金账务"
