"""Demo users: one per role in each region, all with the demo password (demo mode only), each with a
name no one else of the region bears; the insured account is the person it names."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password

from ltci.core.demo_names import unique_name

from .models import User
from .roles import Role
from .services import create_user


def demo_username(region: str, role: str) -> str:
    return f"{region}.{role}"


def build(options, rng) -> dict[str, int]:
    from django.db.models import Count

    from ltci.enrolment.models import Enrolment, EnrolmentStatus, Person
    from ltci.providers.models import Institution

    from ltci.regions.models import Region

    region = options.region
    region_obj = Region.objects.get(pk=region)
    institution = Institution.objects.filter(region_id=region).order_by("id").first()
    # The oldest insured person whose name no one else of the region bears: the account is named as
    # its person, and a name names one person.
    shared = set(Person.objects.filter(region_id=region).order_by().values("name").annotate(n=Count("id"))
                 .filter(n__gt=1).values_list("name", flat=True))
    insured_person = (
        Enrolment.objects.filter(region_id=region, status=EnrolmentStatus.ACTIVE).exclude(person__name__in=shared)
        .select_related("person").order_by("person__birth_date", "id").first()
    )
    password = make_password(settings.DEMO_PASSWORD)  # one Argon2 hash for all, instead of one each
    created = 0
    for role in Role:
        username = demo_username(region, role)
        if User.objects.filter(username=username).exists():
            continue
        extra = {}
        full_name = ""
        if role in (Role.INSTITUTION_ADMIN, Role.CARER):
            if institution is None:
                continue
            extra["institution"] = institution
        if role == Role.INSURED:
            if insured_person is None:
                continue
            extra["person"] = insured_person.person
            full_name = insured_person.person.name  # the insured account is the person's own
        user = create_user(username=username, password=None, role=role, region=region_obj,
                           full_name=full_name or unique_name(region), is_demo=True, **extra)
        User.objects.filter(pk=user.pk).update(password=password)
        created += 1
    if not User.objects.filter(username="admin").exists():
        admin = create_user(username="admin", password=None, role="", full_name="平台管理员",
                            is_demo=True, is_superuser=True, is_staff=True)
        User.objects.filter(pk=admin.pk).update(password=password)
        created += 1
    return {"users": created}


def print_logins(out) -> None:
    """Every demo account, the ones the assessment draws from its pool among them, with the person's
    name; a carer suspended today says so (that carer's journey is the refusal)."""
    from django.utils import timezone

    from ltci.providers.models import CarerSuspension

    users = User.objects.filter(is_demo=True, is_active=True).select_related("region").order_by("region", "username")
    if not users:
        out.write("No demo users: run `ltci demo --all-regions` first.")
        return
    today = timezone.localdate()
    suspended = dict(CarerSuspension.objects.filter(carer__user__in=users, start__lte=today, end__gte=today)
                     .order_by("end").values_list("carer__user_id", "end"))
    out.write("")
    out.write(f"Demo logins (password for all: {settings.DEMO_PASSWORD}):")
    for u in users:
        where = u.region.name if u.region else "全部地区"
        role = u.get_role_display() or "平台管理员（基础数据、账号与全部地区驾驶舱）"
        name = "" if u.is_superuser else f" {u.get_full_name()}"
        note = f"（暂停结算至{suspended[u.pk]:%Y-%m-%d}）" if u.pk in suspended else ""
        out.write(f"  {u.username:<28} {role}{name}{note} · {where}")
    out.write("")
