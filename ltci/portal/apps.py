from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "ltci.portal"
    label = "portal"
    verbose_name = "参保人服务"
