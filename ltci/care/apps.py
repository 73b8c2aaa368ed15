from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "ltci.care"
    label = "care"
    verbose_name = "护理服务"
