from django.apps import AppConfig


class CockpitConfig(AppConfig):
    name = "ltci.cockpit"
    label = "cockpit"
    verbose_name = "驾驶舱"
