"""`ltci`: the platform's command line. Django's management commands, with the platform's own listed first."""

import os
import sys

POLICY_COMMANDS = ("scenario", "batch", "policy")

# Commands of the platform, as `ltci --help` lists them. Every other Django command works too.
ALIASES = {"check": "healthcheck"}  # `ltci check` is the platform's check; `ltci manage check` is Django's


def _usage() -> str:
    from django.core.management import get_commands, load_command_class

    lines = ["usage: ltci COMMAND [options]   (ltci COMMAND --help for a command's options)", "", "commands:"]
    commands = get_commands()
    shown = {"serve", "worker", "demo", "check", "import", "contributions", "assessment", "settle", "ledger", "audit",
             "supervise", "backup", "restore", "project", "reform", "migrate",
             "createsuperuser", "changepassword", "collectstatic", "shell"}
    for name in sorted(shown):
        real = ALIASES.get(name, name)
        if real not in commands:
            continue
        help_text = load_command_class(commands[real], real).help.strip().splitlines()[0]
        lines.append(f"  {name:<16} {help_text}")
    from ltci.policy.cli import COMMANDS as policy_commands

    lines += [f"  {name:<16} {text}" for name, text in policy_commands.items()]
    lines += ["", "  manage CMD ...   any other Django management command (ltci manage help lists them)"]
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in POLICY_COMMANDS:
        # The policy engine's commands run without Django (and without a database).
        from ltci.policy.cli import main as policy_main

        return policy_main(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltci.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:  # read the settings first: an environment they refuse (production without a key) is one line
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018
    except ImproperlyConfigured as exc:
        print(f"ltci: {exc}", file=sys.stderr)
        return 2

    if not argv or argv[0] in ("-h", "--help", "help"):
        django.setup()
        print(_usage())
        return 0
    if argv[0] == "manage":
        argv = argv[1:]
    else:
        argv[0] = ALIASES.get(argv[0], argv[0])
    execute_from_command_line(["ltci", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
