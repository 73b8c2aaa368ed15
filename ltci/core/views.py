from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ltci.accounts.models import User
from ltci.accounts.roles import USER_MANAGE, Role
from ltci.accounts.scope import visible
from ltci.audit.models import Action, AuditEvent
from ltci.enrolment.models import Enrolment, EnrolmentStatus, Person
from ltci.providers.models import Institution
from ltci.regions.continuation import in_force

from .health import database_state, worker_state
from .models import Notice


@require_GET
@never_cache
def healthz(request):
    """ok (200) or error (503) for anyone (a load balancer, a monitor), and whether a worker beats
    (`worker`: ok, stale or none; the web serves either way); what is wrong (the database's error,
    pending migrations, the vendor), the last heartbeat's age and each scheduled run's last outcome
    only for a logged-in platform administrator: an outsider learns nothing about the installation.
    On the machine itself, `ltci check` says it all."""
    state = database_state()
    ok = state["database"] == "ok" and state.get("migrations") == "ok"
    body = {"status": "ok" if ok else "error"}
    if ok:  # whether long work runs: a monitor alerts on it without learning anything else
        work = worker_state()
        body["worker"] = work["worker"]
        state.update(work)
    if request.user.is_authenticated and request.user.is_superuser:
        body.update(state)
    return JsonResponse(body, status=200 if ok else 503)


def _region_summary(user, today):
    region = user.region
    if region is None:
        return None
    version = region.version_on(today)
    # After its end on paper the last version stays in force until a newer one starts (0021).
    applied = None if version else in_force(region.pk, today)
    return {"region": region, "version": version, "applied": applied}


def _enrolment_chart(user) -> list[dict]:
    rows = (
        visible(Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE), user)
        .values("scheme", "category").annotate(n=Count("id")).order_by("scheme", "category")
    )
    labels = dict(Enrolment._meta.get_field("scheme").choices) | {
        k: v for k, v in Enrolment._meta.get_field("category").choices
    }
    data = [{"name": " ".join(filter(None, [labels.get(r["scheme"]), labels.get(r["category"])])), "value": r["n"]}
            for r in rows]
    return data


@login_required
def home(request):
    user: User = request.user
    today = timezone.localdate()
    context = {"today": today, "summary": _region_summary(user, today), "role": user.role}
    persons = visible(Person.objects.all(), user)
    if user.role in (Role.BUREAU_ADMIN, Role.SUPERVISOR, Role.CLERK, Role.AUDITOR):
        context["person_count"] = persons.count()
        context["institution_count"] = visible(Institution.objects.all(), user).count()
        context["enrolment_chart"] = _enrolment_chart(user)
    if user.role == Role.BUREAU_ADMIN:
        context["users_by_role"] = (
            visible(User.objects.all(), user).values("role").annotate(n=Count("id")).order_by("role")
        )
        role_labels = dict(Role.choices)
        for row in context["users_by_role"]:
            row["label"] = role_labels.get(row["role"], row["role"])
    if user.can(USER_MANAGE):  # the platform administrator: the accounts of every region, counted
        context["users_by_region"] = (
            visible(User.objects.filter(is_active=True), user).values("region__name")
            .annotate(n=Count("id")).order_by("region__name")
        )
    if user.role == Role.CLERK:
        context["recent_persons"] = persons.order_by("-created_at", "-id")[:8]
    if user.role == Role.AUDITOR:
        week = timezone.now() - timezone.timedelta(days=7)
        events = visible(AuditEvent.objects.filter(at__gte=week), user)
        context["audit_week"] = {
            "failed_logins": events.filter(action=Action.LOGIN_FAILED).count(),
            "denied": events.filter(action=Action.DENIED).count(),
            "exports": events.filter(action=Action.EXPORT).count(),
            "id_views": events.filter(action=Action.VIEW_ID).count(),
        }
    if user.region_id:
        context["notices"] = [n for n in Notice.objects.filter(region_id=user.region_id, resolved_at__isnull=True)[:20]
                              if user.can(n.permission)]
    if user.institution_id:
        context["institution"] = user.institution
    if user.person_id:
        person = user.person
        context["own_person"] = person
        context["own_enrolments"] = person.enrolments.all()
    return render(request, "core/home.html", context)
