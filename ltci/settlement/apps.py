from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "ltci.settlement"
    label = "settlement"
    verbose_name = "待遇结算"
