import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ltci.core import jobs
from ltci.core.context import Actor, acting
from ltci.core.models import IssueKind, JobStatus
from ltci.regions.models import Region

KINDS = {
    "roster": ("ltci.enrolment.roster", "参保名单"),
    "payments": ("ltci.contributions.payments", "缴费记录"),
}


class Command(BaseCommand):
    help = "Imports a file (Excel .xlsx or CSV): `roster` (the medical-insurance roster) or `payments`."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=sorted(KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--region", required=True)
        parser.add_argument("--dry-run", action="store_true", help="check and report, keep nothing")
        parser.add_argument("--lenient", action="store_true",
                            help="import the good rows and skip the bad ones (default: strict, nothing if any is bad)")

    def handle(self, *args, what, file, region, dry_run, lenient, **options):
        from importlib import import_module

        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        reg = Region.objects.filter(pk=region).first()
        if reg is None:
            raise CommandError(f"unknown region {region!r}; known: {', '.join(Region.objects.values_list('pk', flat=True))}")
        module = import_module(KINDS[what][0])
        started = time.monotonic()
        with acting(Actor(name=f"导入{KINDS[what][1]}（命令行）", channel="cli")):
            job = module.start_import(file, reg, strict=not lenient, dry_run=dry_run, background=jobs.THREAD,
                                      title=file.name)
            job = jobs.follow(job, getattr(job, "thread", None), self.stderr)
        seconds = time.monotonic() - started
        counts = job.counts
        self.stdout.write(f"{KINDS[what][1]} {file.name}: {job.get_status_display()}。{job.message}")
        self.stdout.write("  " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) +
                          f"  ({seconds:.1f} s, {counts.get('rows', 0) / max(seconds, 1e-9):,.0f} rows/s)")
        for issue in job.issues.filter(kind=IssueKind.REJECTED)[:20]:
            self.stdout.write(f"  第{issue.row}行 {issue.column}：{issue.reason}")
        if job.status in (JobStatus.FAILED, JobStatus.REJECTED):
            raise CommandError(job.message or job.get_status_display())
