from django.core.management.base import BaseCommand, CommandError

from ...chain import parse_anchor, verify


class Command(BaseCommand):
    help = ("Audit trail: `verify [--anchor SEQ:HASH]` checks its hash chain (no event edited, deleted, reordered "
            "or cut from the tail) and its guard triggers; exit 1 on any problem.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("verify", help="verify the whole chain; one line when intact, exits 1 on a problem")
        check.add_argument("--anchor", action="append", default=[], metavar="SEQ:HASH",
                           help="a place and hash printed by an earlier verify (kept elsewhere): the chain must still "
                                "hold it (repeatable)")

    def handle(self, *args, action, anchor=(), **options):
        try:
            anchors = [parse_anchor(a) for a in anchor]
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from None
        verdict = verify(anchors=anchors)
        if verdict.sealed:
            self.stdout.write(f"已封存提交后尚未入链的事件 {verdict.sealed} 条")
        for problem in verdict.problems:
            self.stdout.write(f"✗ {problem}")
        if verdict.count > len(verdict.problems):
            self.stdout.write(f"……另有 {verdict.count - len(verdict.problems)} 处问题未列出")
        if not verdict.ok:
            raise CommandError(verdict.summary(), returncode=1)
        self.stdout.write(verdict.summary())
