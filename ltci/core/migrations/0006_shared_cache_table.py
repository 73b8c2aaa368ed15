"""The `shared` cache's table (ltci.core.shared; Django's database cache)."""

from django.core.management import call_command
from django.db import migrations


def create(apps, schema_editor):
    call_command("createcachetable", "ltci_shared_cache", database=schema_editor.connection.alias, verbosity=0)


def drop(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS ltci_shared_cache")


class Migration(migrations.Migration):
    dependencies = [("core", "0005_worker_progress_schedule_notices")]
    operations = [migrations.RunPython(create, drop)]
