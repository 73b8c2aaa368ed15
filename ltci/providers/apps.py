from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "ltci.providers"
    label = "providers"
    verbose_name = "定点机构"
