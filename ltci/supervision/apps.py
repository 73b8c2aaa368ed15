from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "ltci.supervision"
    label = "supervision"
    verbose_name = "基金监管"
