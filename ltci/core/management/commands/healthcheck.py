from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from ltci.core.health import platform_problems


class Command(BaseCommand):
    help = "Checks the platform: Django's system checks, the database, migrations, regions and assets."

    def add_arguments(self, parser):
        parser.add_argument("--deploy", action="store_true",
                            help="also run Django's deployment checks, verify the audit trail (ltci audit verify) "
                                 "and, on PostgreSQL, that the platform's role cannot rewrite it")

    def handle(self, *args, **options):
        call_command("check", deploy=options["deploy"], fail_level="WARNING" if options["deploy"] else "ERROR")
        problems = platform_problems()
        if options["deploy"] and not problems:
            problems += self._audit_trail()
        for problem in problems:
            self.stderr.write(f"problem: {problem}")
        if problems:
            raise CommandError(f"{len(problems)} problem(s) found")
        self.stdout.write("ltci check: database, migrations, regions and assets are in order.")

    def _audit_trail(self) -> list[str]:
        from ltci.audit.chain import verify
        from ltci.audit.triggers import role_problems

        verdict = verify()
        problems = [f"审计日志：{p}" for p in verdict.problems]
        if verdict.count > len(verdict.problems):
            problems.append(f"审计日志：……另有 {verdict.count - len(verdict.problems)} 处问题")
        if verdict.ok:
            self.stdout.write(verdict.summary())
        return problems + role_problems()
