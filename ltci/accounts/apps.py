from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ltci.accounts"
    label = "accounts"
    verbose_name = "账号与权限"

    def ready(self):
        from . import checks  # noqa: F401  (registers the demo-password check)
