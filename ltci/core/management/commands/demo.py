import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ltci.core.context import Actor, acting
from ltci.core.demo import DemoOptions, build_demo
from ltci.policy.regions import load_regions


class Command(BaseCommand):
    help = "Builds demo data (a synthetic insured population, institutions, users for every role) for regions."

    def add_arguments(self, parser):
        parser.add_argument("--region", action="append", default=[], help="region code; repeat for several")
        parser.add_argument("--all-regions", action="store_true")
        parser.add_argument("--insured", type=int, default=300, help="insured people per region")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true", help="skip regions that already have demo data")

    def handle(self, *args, region, all_regions, insured, seed, if_empty, **options):
        if settings.PRODUCTION:
            # Synthetic people and accounts with a published password, the platform administrator's
            # among them, have no place next to real ones (docs/decisions/0015).
            raise CommandError("ltci demo is refused in production (LTCI_ENV=production): it would add synthetic "
                               "people and demo accounts whose password is published. Nothing was created.",
                               returncode=2)
        known = list(load_regions())
        codes = known if all_regions else region
        if not codes:
            raise CommandError("name a region with --region R (one of %s) or use --all-regions" % ", ".join(known))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise CommandError(f"unknown region(s): {', '.join(unknown)}; known: {', '.join(known)}")
        if insured < 0:
            raise CommandError("--insured must be 0 or more")
        with acting(Actor(name="演示数据（命令行）", channel="cli")):
            for code in codes:
                started = time.monotonic()
                report = build_demo(DemoOptions(region=code, insured=insured, seed=seed, if_empty=if_empty))
                parts = ", ".join(f"{k} {v}" for k, v in report.items())
                self.stdout.write(f"demo {code}: {parts} ({time.monotonic() - started:.1f} s)")
        if not settings.DEMO_MODE:
            self.stdout.write("Not in demo mode: the demo accounts log in only when LTCI_DEMO=1.")
