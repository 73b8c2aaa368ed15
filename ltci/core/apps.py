from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ltci.core"
    label = "core"
    verbose_name = "平台"
