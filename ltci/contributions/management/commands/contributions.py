import time

from django.core.management.base import BaseCommand, CommandError

from ltci.core import commands, jobs
from ltci.core.models import JobStatus

from ...billing import start_billing


class Command(BaseCommand):
    help = "Contributions: `bill --region R --period 2024|2024-03` bills every insured person of the period."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        bill = sub.add_parser("bill", help="compute and store the period's bills (re-running is a no-op)")
        bill.add_argument("--region", required=True)
        bill.add_argument("--period", required=True, help="a year (2024) or, in monthly regions, a month (2024-03)")

    def handle(self, *args, action, region, period, **options):
        reg = commands.region(region)
        started = time.monotonic()
        job = commands.follow("缴费核定（命令行）", lambda: start_billing(reg, period, background=jobs.THREAD),
                              self.stderr)
        seconds = time.monotonic() - started
        people = job.counts.get("people", 0)
        self.stdout.write(f"{job.title}: {job.get_status_display()}。{job.message}")
        self.stdout.write(f"  {people:,} people in {seconds:.1f} s ({people / max(seconds, 1e-9):,.0f} people/s)")
        if job.status == JobStatus.FAILED:
            raise CommandError(job.message)
