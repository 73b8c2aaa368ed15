"""PostgreSQL: an index on a person's pinyin initials in the C collation, then the id, by which the
initials search reads the first 50 of those beginning with what was typed in their order and stops
(docs/decisions/0027). The column's own index serves `LIKE 'sh%'` only through its pattern twin,
which cannot give the order: PostgreSQL then read 2.4 million entries for "sh", 2 s. SQLite's
(BINARY) index on the column already does both: nothing is done there."""

from django.db import migrations

NAME = "enrolment_person_initials_c"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS {NAME} ON enrolment_person ((name_initials COLLATE "C"), id)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("enrolment", "0004_person_pattern_indexes")]
    operations = [migrations.RunPython(create, drop)]
