from datetime import date

from django.core.management.base import BaseCommand, CommandError

from ltci.core.context import Actor, acting
from ltci.regions.models import Region

from ...services import tick


class Command(BaseCommand):
    help = ("Assessment: `tick [--region R] [--on YYYY-MM-DD]` issues the certificates whose publicity has ended "
            "and the expiry reminders that are due (run daily).")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        daily = sub.add_parser("tick", help="certificates after publicity, expiry reminders (re-running is a no-op)")
        daily.add_argument("--region", help="one region (default: every region)")
        daily.add_argument("--on", type=date.fromisoformat, help="the day to run for (default: today)")

    def handle(self, *args, action, region=None, on=None, **options):
        regions = Region.objects.filter(pk=region) if region else Region.objects.all()
        if region and not regions.exists():
            raise CommandError(f"unknown region {region!r}")
        with acting(Actor(name="评估流程每日处理（定时任务）", channel="cli")):
            for reg in regions.order_by("pk"):
                counts = tick(reg.pk, on)
                self.stdout.write(f"{reg.pk}: {counts['certified']} certificates issued, "
                                  f"{counts['reminders']} expiry reminders")
