"""The database guards the books itself (ltci/fund/triggers.py): append-only journals and postings,
balanced journals with postings (PostgreSQL, checked at commit), no journal in a closed month, no
reopened period."""

from django.db import migrations


def forwards(apps, schema_editor):
    from ltci.fund import triggers

    triggers.install(schema_editor.connection)


def backwards(apps, schema_editor):
    from ltci.fund import triggers

    triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("fund", "0002_party_and_periods")]
    operations = [migrations.RunPython(forwards, backwards)]
