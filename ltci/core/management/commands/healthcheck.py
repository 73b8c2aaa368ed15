from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from ltci.core.health import platform_problems


class Command(BaseCommand):
    help = "Checks the platform: Django's system checks, the database, migrations, regions and assets."

    def add_arguments(self, parser):
        parser.add_argument("--deploy", action="store_true", help="also run Django's deployment checks")

    def handle(self, *args, **options):
        call_command("check", deploy=options["deploy"], fail_level="WARNING" if options["deploy"] else "ERROR")
        problems = platform_problems()
        for problem in problems:
            self.stderr.write(f"problem: {problem}")
        if problems:
            raise CommandError(f"{len(problems)} problem(s) found")
        self.stdout.write("ltci check: database, migrations, regions and assets are in order.")
