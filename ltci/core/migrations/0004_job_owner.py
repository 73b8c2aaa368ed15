from django.db import migrations, models
from django.utils import timezone


def fail_unfinished(apps, schema_editor):
    """Jobs left running before jobs named their process: nothing runs them while the database is
    migrated, so they are marked failed with the reason rather than left 'running' for ever."""
    Job = apps.get_model("core", "Job")
    Job.objects.filter(finished_at__isnull=True, status__in=["pending", "running"]).update(
        status="failed", finished_at=timezone.now(), message="处理进程意外中止（升级前未完成的任务）。")


class Migration(migrations.Migration):
    dependencies = [("core", "0003_alter_job_kind")]

    operations = [
        migrations.AddField(
            model_name="job",
            name="owner",
            field=models.CharField(blank=True, max_length=120, verbose_name="处理进程"),
        ),
        migrations.RunPython(fail_unfinished, migrations.RunPython.noop),
    ]
