import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ltci.accounts.services import retire_demo_passwords
from ltci.core.context import Actor, acting
from ltci.core.health import platform_problems


class Command(BaseCommand):
    help = ("Serves the platform (waitress) after checking that it is ready; prints the demo logins in demo mode. "
            "Long work and the schedule run in `ltci worker`, started beside it.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=None,
                            help="request threads (default: 2 on SQLite, whose one writer more threads only "
                                 "queue behind; 4 on PostgreSQL, docs/decisions/0027 section 18)")
        parser.add_argument("--processes", type=int, default=1,
                            help="serving processes, each with its threads (PostgreSQL only; SQLite's one writer "
                                 "keeps one process)")

    def handle(self, *args, host, port, threads, processes=1, **options):
        from django.db import connection

        # Four, not eight, on PostgreSQL: with eight, a thread back from the database waited behind
        # seven others for the interpreter and a page's p95 ran to 2-4 times its p50 (0027, section 18).
        threads = threads or (2 if connection.vendor == "sqlite" else 4)
        if processes < 1:
            raise CommandError("--processes must be 1 or more")
        if processes > 1 and connection.vendor != "postgresql":
            raise CommandError("--processes above 1 needs PostgreSQL: SQLite has one writer, so more processes "
                               "would only wait on each other (serve with one process and its threads)")
        problems = platform_problems()
        if problems:
            raise CommandError("not ready to serve:\n  " + "\n  ".join(problems))
        if settings.DEMO_MODE:
            from ltci.accounts.demo import print_logins

            print_logins(self.stdout)
        else:
            with acting(Actor(name="系统启动（服务进程）", channel="cli")):
                retired = retire_demo_passwords()
            if retired:
                self.stdout.write(f"Not in demo mode: the demo password of {retired} demo account(s) no longer works.")
        from ltci.core import jobs

        with acting(Actor(name="系统启动（服务进程）", channel="cli")):
            for job in jobs.recover():
                self.stdout.write(f"job {job.pk} ({job.get_kind_display()}) of a process that died: "
                                  f"{job.get_status_display()}. {job.message}")
        # Long work and the schedule run in `ltci worker` (decision 0024); this process only serves.
        from ltci.core.uploads import largest_body

        # waitress buffers a body before the platform sees it: no more than the largest route takes
        # (each route's own limit is checked before its view reads anything).
        waitress_options = {"threads": threads, "ident": "ltci", "max_request_body_size": largest_body()}
        if processes > 1:
            from ltci.core.serving import serve_processes

            if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
                self.stdout.write("PROMETHEUS_MULTIPROC_DIR is not set: /metrics shows the figures of the process "
                                  "that answers it only (the production guide)")
            sys.exit(serve_processes(host, port, processes, waitress_options, self.stdout))
        self.stdout.write(f"ltci serving on http://{host}:{port}/  (Ctrl-C stops)")
        sys.stdout.flush()
        from waitress import serve

        from ltci.wsgi import application

        serve(application, host=host, port=port, **waitress_options)
