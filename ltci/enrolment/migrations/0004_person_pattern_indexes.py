"""PostgreSQL: pattern indexes (varchar_pattern_ops) on a person's ID number and name, by which
`LIKE 'beginning%'` finds people by an index whatever the database's collation (the search of the
register, docs/decisions/0027). SQLite reaches its (region, id_number) and (region, name) indexes by
a range instead (ltci.enrolment.services._beginning), so it needs none: nothing is done there."""

from django.db import migrations

INDEXES = {
    "enrolment_person_id_number_pattern": "id_number varchar_pattern_ops",
    "enrolment_person_name_pattern": "name varchar_pattern_ops",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON enrolment_person ({column})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("enrolment", "0003_orderings_and_batch_indexes")]
    operations = [migrations.RunPython(create, drop)]
