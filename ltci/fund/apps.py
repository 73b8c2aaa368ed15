from django.apps import AppConfig
from django.db.models.signals import post_migrate


class FundConfig(AppConfig):
    name = "ltci.fund"
    label = "fund"
    verbose_name = "基金账务"

    def ready(self):
        post_migrate.connect(_guard_after_migrate, sender=self)


def _guard_after_migrate(sender, using, **kwargs):
    """SQLite drops a table's triggers when a migration rebuilds the table: put them back."""
    from django.db import connections

    from . import triggers

    connection = connections[using]
    if connection.vendor == "sqlite" and "fund_journal" in connection.introspection.table_names():
        triggers.install_sqlite(connection)
