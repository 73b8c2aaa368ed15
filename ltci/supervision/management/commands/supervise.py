import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ltci.core import commands, jobs
from ltci.core.models import JobStatus

from ...nightly import run_round
from ...screening import start_screening


class Command(BaseCommand):
    help = ("`supervise --region R --month YYYY-MM`: screens the month against the rule base; "
            "`supervise --nightly` screens every region's current and previous month.")

    def add_arguments(self, parser):
        parser.add_argument("--region")
        parser.add_argument("--month", help="a month that has begun, e.g. 2026-10")
        parser.add_argument("--nightly", action="store_true", help="every region, this month and the last")

    def handle(self, *args, region, month, nightly, **options):
        if nightly:
            for job in run_round():
                job.refresh_from_db()
                self.stdout.write(f"{job.region_id} {job.title}: {job.message}")
            return
        if not region or not month:
            raise CommandError("give --region and --month, or --nightly")
        reg = commands.region(region)
        started = time.monotonic()
        job = commands.follow("疑点筛查（命令行）", lambda: start_screening(reg, month, background=jobs.THREAD if settings.JOBS_IN_BACKGROUND else False),
                              self.stderr)
        if job.status == JobStatus.FAILED:
            raise CommandError(job.message)
        c = job.counts
        by_rule = ", ".join(f"{k} {v:,}" for k, v in c.items()
                            if k not in ("visits", "hits", "new", "refreshed", "seconds", "timing") and v)
        self.stdout.write(f"{job.title}: {job.message}")
        self.stdout.write(f"  {c.get('visits', 0):,} visits screened, {c.get('hits', 0):,} hits "
                          f"({c.get('new', 0):,} new) in {time.monotonic() - started:.1f} s "
                          f"({c.get('timing', '')} s)" + (f"; {by_rule}" if by_rule else ""))
