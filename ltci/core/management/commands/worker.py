from django.core.management.base import BaseCommand

from ltci.core import worker


class Command(BaseCommand):
    help = ("Runs the queued long work (imports, billing, settlement, screening) and the schedule's runs. "
            "Start one or more beside `ltci serve`; Ctrl-C or SIGTERM stop it after the task in hand.")

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between looks at an empty queue")
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")
        parser.add_argument("--max-tasks", type=int, default=None, help="exit after this many tasks")

    def handle(self, *args, interval, batch, max_tasks, **options):
        self.stdout.write(f"ltci worker {worker.jobs.this_process()} (Ctrl-C stops after the task in hand)")
        self.stdout.flush()
        worker.run(interval=interval, batch=batch, max_tasks=max_tasks)
