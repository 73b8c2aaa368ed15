from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ContributionsConfig(AppConfig):
    name = "ltci.contributions"
    label = "contributions"
    verbose_name = "筹资缴费"

    def ready(self):
        post_migrate.connect(_totals_after_migrate, sender=self)


def _totals_after_migrate(sender, using, **kwargs):
    """SQLite drops a table's triggers when a migration rebuilds the table: put them back."""
    from django.db import connections

    from . import totals

    connection = connections[using]
    if connection.vendor == "sqlite" and totals.TOTAL in connection.introspection.table_names():
        totals.install(connection)
