"""What the platform's batch commands (settle, supervise, contributions bill) share: the region
named on the command line, and a job started as the command's actor and followed to its end."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from ltci.regions.models import Region

from . import jobs
from .context import Actor, acting
from .errors import reasons
from .models import Job


def region(code: str) -> Region:
    found = Region.objects.filter(pk=code).first()
    if found is None:
        raise CommandError(f"unknown region {code!r}")
    return found


def follow(actor: str, start: Callable[[], Job], out) -> Job:
    """Starts a job as `actor` and prints its progress to `out` until it ends; a refusal of the
    input (before any job exists) is the command's error."""
    with acting(Actor(name=actor, channel="cli")):
        try:
            job = start()
        except ValidationError as exc:
            raise CommandError(reasons(exc)) from None
        return jobs.follow(job, job.thread, out)
