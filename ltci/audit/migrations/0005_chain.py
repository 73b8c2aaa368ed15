"""The hash chain (ltci/audit/chain.py, docs/decisions/0012): every event gets its place and hash,
the events already recorded first, in the order they were inserted; then the guards (triggers.py).

PostgreSQL: the new trigger function lets an unsealed event be sealed once, so the existing events
are sealed as any committed event is. SQLite: the guard triggers are (re)installed after migrate."""

from django.db import migrations, models

CHUNK = 5000


def chain_existing(apps, schema_editor):
    from ltci.audit import chain, triggers

    connection = schema_editor.connection
    AuditEvent = apps.get_model("audit", "AuditEvent")
    if connection.vendor == "postgresql":
        triggers.install(connection)
        chain.seal(using=connection.alias, model=AuditEvent)
        return
    triggers.uninstall(connection)  # back after migrate (apps.py); none refuses the updates below
    seq, previous, after = 0, chain.GENESIS, 0
    rows = AuditEvent._base_manager.using(connection.alias).order_by("id").values_list("id", *chain.CONTENT)
    with connection.cursor() as cursor:
        while page := list(rows.filter(id__gt=after)[:CHUNK]):
            links = []
            for id_, *content in page:
                seq += 1
                previous = chain.digest(previous, seq, content)
                links.append((seq, previous, id_))
            cursor.executemany("UPDATE audit_auditevent SET seq = %s, hash = %s WHERE id = %s", links)
            after = page[-1][0]
        cursor.execute("INSERT INTO audit_chainhead (id, seq, hash) VALUES (1, %s, %s)", [seq, previous])


def unchain(apps, schema_editor):
    from ltci.audit import triggers

    triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_alter_auditevent_action'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('seq', models.BigIntegerField(default=0, verbose_name='链尾序号')),
                ('hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64, verbose_name='链尾哈希')),
            ],
            options={
                'db_table': 'audit_chainhead',
                'verbose_name': '审计日志链头',
                'verbose_name_plural': '审计日志链头',
                'default_permissions': (),
            },
        ),
        migrations.AlterModelOptions(
            name='auditevent',
            options={'base_manager_name': 'objects', 'default_permissions': ('view',), 'ordering': ['-at', '-id'], 'verbose_name': '审计记录', 'verbose_name_plural': '审计记录'},
        ),
        migrations.AddField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(blank=True, default='', editable=False, max_length=64, verbose_name='链哈希'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='seq',
            field=models.BigIntegerField(editable=False, null=True, unique=True, verbose_name='链序号'),
        ),
        migrations.RunPython(chain_existing, unchain),
    ]
