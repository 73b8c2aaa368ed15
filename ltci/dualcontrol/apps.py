from django.apps import AppConfig


class DualControlConfig(AppConfig):
    name = "ltci.dualcontrol"
    label = "dualcontrol"
    verbose_name = "双人复核"
