"""Demo users: one per role in each region, all with the demo password (demo mode only)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password

from .models import User
from .roles import Role
from .services import create_user

_NAMES = ("王建华", "李秀英", "张伟", "刘芳", "陈静", "杨洋", "赵敏", "黄磊", "周婷", "吴刚", "徐丽", "孙浩")


def demo_username(region: str, role: str) -> str:
    return f"{region}.{role}"


def build(options, rng) -> dict[str, int]:
    from ltci.enrolment.models import Enrolment, EnrolmentStatus
    from ltci.providers.models import Institution

    from ltci.regions.models import Region

    region = options.region
    region_obj = Region.objects.get(pk=region)
    institution = Institution.objects.filter(region_id=region).order_by("id").first()
    insured_person = (
        Enrolment.objects.filter(region_id=region, status=EnrolmentStatus.ACTIVE)
        .select_related("person").order_by("person__birth_date", "id").first()
    )
    password = make_password(settings.DEMO_PASSWORD)  # one Argon2 hash for all, instead of one each
    created = 0
    for role in Role:
        username = demo_username(region, role)
        if User.objects.filter(username=username).exists():
            continue
        extra = {}
        if role in (Role.INSTITUTION_ADMIN, Role.CARER):
            if institution is None:
                continue
            extra["institution"] = institution
        if role == Role.INSURED:
            if insured_person is None:
                continue
            extra["person"] = insured_person.person
        user = create_user(username=username, password=None, role=role, region=region_obj,
                           full_name=rng.choice(_NAMES), is_demo=True, **extra)
        User.objects.filter(pk=user.pk).update(password=password)
        created += 1
    if not User.objects.filter(username="admin").exists():
        admin = create_user(username="admin", password=None, role="", full_name="平台管理员",
                            is_demo=True, is_superuser=True, is_staff=True)
        User.objects.filter(pk=admin.pk).update(password=password)
        created += 1
    return {"users": created}


def print_logins(out) -> None:
    users = User.objects.filter(is_demo=True, is_active=True).select_related("region").order_by("region", "username")
    if not users:
        out.write("No demo users: run `ltci demo --all-regions` first.")
        return
    out.write("")
    out.write(f"Demo logins (password for all: {settings.DEMO_PASSWORD}):")
    for u in users:
        where = u.region.name if u.region else "全部地区"
        out.write(f"  {u.username:<28} {u.get_role_display() or '平台管理员（基础数据、账号与全部地区驾驶舱）'} · {where}")
    out.write("")
