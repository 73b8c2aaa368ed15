"""The hash chain (ltci/audit/chain.py, docs/decisions/0012): the links and the chain head, the
database's guards (triggers.py), and a link for every event already recorded, in the order they
were inserted."""

import django.db.models.deletion
from django.db import migrations, models

CHUNK = 5000


def chain_existing(apps, schema_editor):
    from ltci.audit import chain, triggers

    connection, alias = schema_editor.connection, schema_editor.connection.alias
    AuditEvent = apps.get_model("audit", "AuditEvent")
    triggers.install(connection)
    if not chain.links_at_insert(connection):
        chain.sweep(using=alias, model=AuditEvent)  # as for any committed event without its link
        return
    events, after = AuditEvent._base_manager.using(alias).order_by("id"), 0
    while page := list(events.filter(id__gt=after)[:CHUNK]):
        chain.link(page, alias)  # the triggers just installed check each place and move the head
        after = page[-1].pk


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
                'verbose_name': '审计日志链头',
                'verbose_name_plural': '审计日志链头',
                'db_table': 'audit_chainhead',
                'default_permissions': (),
            },
        ),
        migrations.AlterModelOptions(
            name='auditevent',
            options={'base_manager_name': 'objects', 'default_permissions': ('view',), 'ordering': ['-at', '-id'], 'verbose_name': '审计记录', 'verbose_name_plural': '审计记录'},
        ),
        migrations.CreateModel(
            name='AuditLink',
            fields=[
                ('seq', models.BigIntegerField(primary_key=True, serialize=False, verbose_name='链序号')),
                ('hash', models.CharField(max_length=64, verbose_name='链哈希')),
                ('event', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='link', to='audit.auditevent', verbose_name='审计记录')),
            ],
            options={
                'db_table': 'audit_link',
                'verbose_name': '审计日志链接',
                'verbose_name_plural': '审计日志链接',
                'default_permissions': (),
            },
        ),
        migrations.RunPython(chain_existing, unchain),
    ]
