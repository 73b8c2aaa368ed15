import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ltci.core import commands, jobs
from ltci.core.models import JobStatus

from ...run import start_settlement


class Command(BaseCommand):
    help = "`settle --region R --month YYYY-MM`: settles the month; re-running an unchanged month books nothing."

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True)
        parser.add_argument("--month", required=True, help="a month that has ended, e.g. 2026-10")

    def handle(self, *args, region, month, **options):
        reg = commands.region(region)
        started = time.monotonic()
        # In a thread, so that the command can print progress (inline where jobs run inline: tests).
        job = commands.follow("月度结算（命令行）", lambda: start_settlement(reg, month, background=jobs.THREAD if settings.JOBS_IN_BACKGROUND else False),
                              self.stderr)
        seconds = time.monotonic() - started
        if job.status == JobStatus.FAILED:
            raise CommandError(job.message)
        c = job.counts
        self.stdout.write(f"{job.title}: {job.get_status_display()}。{job.message}")
        self.stdout.write(f"  {c.get('people', 0):,} people, {c.get('person_days', 0):,} person-days, "
                          f"{c.get('lines', 0):,} new lines ({c.get('adjustments', 0):,} adjustments), "
                          f"{c.get('unpaid', 0):,} parts unpaid, in {seconds:.1f} s")
