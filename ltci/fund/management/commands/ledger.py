from django.core.management.base import BaseCommand, CommandError

from ltci.audit.chain import verify
from ltci.regions.models import Region

from ...ledger import check


class Command(BaseCommand):
    help = ("Fund ledger: `check [--region R]` verifies the books (balanced journals, known accounts, debits = "
            "credits, bank = receipts − payments as recomputed from payment and fee records) and the audit trail's "
            "hash chain; exit 1 on any discrepancy.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("check", help="verify a region's books; prints a summary, exits 1 on a discrepancy")
        verify.add_argument("--region", help="one region (default: every region)")

    def handle(self, *args, action, region=None, **options):
        regions = Region.objects.filter(pk=region) if region else Region.objects.all()
        if region and not regions.exists():
            raise CommandError(f"unknown region {region!r}")
        failed = []
        for reg in regions.order_by("pk"):
            result = check(reg.pk)
            self.stdout.write(f"基金账务核对：{reg.name}（{reg.pk}）")
            for line in result.lines:
                self.stdout.write(f"  {line}")
            if result.ok:
                self.stdout.write("  核对通过")
                continue
            failed.append(reg.pk)
            self.stdout.write(f"  发现 {len(result.problems)} 处问题：")
            for problem in result.problems:
                self.stdout.write(f"  ✗ {problem}")
        # The trail records who booked what: a books check that trusts a rewritten trail proves nothing.
        trail = verify()
        self.stdout.write("审计日志核对")
        for problem in trail.problems:
            self.stdout.write(f"  ✗ {problem}")
        self.stdout.write(f"  {trail.summary()}")
        if not trail.ok:
            failed.append("审计日志")
        if failed:
            raise CommandError(f"基金账务核对未通过：{', '.join(failed)}", returncode=1)
