from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "ltci.audit"
    label = "audit"
    verbose_name = "审计日志"

    def ready(self):
        from . import signals  # noqa: F401  (connects the recorders)

        post_migrate.connect(_guard_after_migrate, sender=self)


def _guard_after_migrate(sender, using, **kwargs):
    """SQLite drops a table's triggers when a migration rebuilds the table: put them back."""
    from django.db import connections

    from . import triggers

    connection = connections[using]
    if connection.vendor == "sqlite" and set(triggers.TABLES) <= set(connection.introspection.table_names()):
        triggers.install_sqlite(connection)
