"""The tasks a worker runs (`ltci worker`): a job, by its id, as the person who started it."""

from __future__ import annotations

from django_tasks import task

from .context import Actor


def _actor_out(actor: Actor) -> dict:
    return {"user": actor.user.pk if actor.user is not None else None, "name": actor.name, "ip": actor.ip,
            "channel": actor.channel, "path": actor.path}


def _actor_in(data: dict) -> Actor:
    from ltci.accounts.models import User

    user = User.objects.filter(pk=data["user"]).first() if data.get("user") else None
    default = Actor()
    return Actor(user=user, name=data.get("name") or default.name, ip=data.get("ip"),
                 channel=data.get("channel") or default.channel, path=data.get("path") or "")


@task()
def run_job(job_id: int, actor: dict, resume: bool = False) -> str:
    from . import jobs

    return jobs.execute(job_id, _actor_in(actor), resume=resume)


def enqueue_job(job_id: int, actor: Actor, *, resume: bool = False) -> None:
    run_job.enqueue(job_id, _actor_out(actor), resume)


@task()
def run_scheduled(code: str) -> str:
    from . import schedule

    return schedule.execute(code)


def enqueue_scheduled(code: str) -> None:
    run_scheduled.enqueue(code)
