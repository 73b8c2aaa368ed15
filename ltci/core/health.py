"""The platform's own state: database reachable, migrations applied, assets built, regions loaded."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor


def database_state() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return {"database": "error", "database_error": str(exc).splitlines()[0][:200]}
    loader = MigrationExecutor(connection).loader
    # Every migration of the code that the database has not recorded, gaps included.
    pending = sorted(key for key in loader.graph.nodes if key not in loader.applied_migrations)
    return {
        "database": "ok",
        "database_vendor": connection.vendor,
        "migrations": "ok" if not pending else "pending",
        "pending_migrations": [f"{app}.{name}" for app, name in pending],
    }


def worker_state() -> dict:
    """The age of the last worker heartbeat (ok within `jobs.STALE`) and each scheduled run's last run."""
    from django.utils import timezone

    from .jobs import STALE
    from .models import ScheduledRun, WorkerBeat

    now = timezone.now()
    last = WorkerBeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    age = None if last is None else round((now - last).total_seconds(), 1)
    return {
        "worker": "none" if last is None else "ok" if now - last < STALE else "stale",
        "worker_heartbeat_age_seconds": age,
        "schedule": [{"code": r.code, "last_due": r.last_due, "last_finished_at": r.last_finished_at,
                      "last_ok": r.last_ok, "next_due": r.next_due} for r in ScheduledRun.objects.all()],
    }


def assets_built() -> bool:
    vendor = settings.BASE_DIR / "ltci" / "core" / "static" / "vendor"
    return all((vendor / name).exists() for name in ("htmx.min.js", "echarts.min.js"))


def platform_problems() -> list[str]:
    """Everything that stops the platform from serving properly, in words for an operator."""
    state = database_state()
    problems = []
    if state["database"] != "ok":
        problems.append(f"database unreachable: {state.get('database_error')}")
        return problems
    if state["migrations"] != "ok":
        problems.append(f"migrations not applied: {', '.join(state['pending_migrations'][:5])} (run `ltci migrate`)")
        return problems
    from ltci.policy.regions import load_regions
    from ltci.regions.models import Region

    missing = set(load_regions()) - set(Region.objects.values_list("code", flat=True))
    if missing:
        problems.append(f"regions not loaded: {', '.join(sorted(missing))} (run `ltci migrate`)")
    if not assets_built():
        problems.append("front-end assets not built (run `make install`)")
    return problems
