from ninja import Router, Schema

from .models import User
from .roles import PERMISSION_LABELS, USER_VIEW
from .scope import require, visible

router = Router(tags=["账号"])


class MeOut(Schema):
    username: str
    name: str
    role: str
    role_label: str
    region: str | None
    institution_id: int | None
    person_id: int | None
    permissions: list[str]


class UserOut(Schema):
    id: int
    username: str
    name: str
    role: str
    role_label: str
    region: str | None
    institution_id: int | None
    is_active: bool


def _user_out(u: User) -> dict:
    return {
        "id": u.pk, "username": u.username, "name": u.get_full_name(), "role": u.role,
        "role_label": u.get_role_display(), "region": u.region_id, "institution_id": u.institution_id,
        "is_active": u.is_active,
    }


@router.get("/me", response=MeOut, summary="当前用户、角色与权限")
def me(request):
    u = request.user
    return {
        "username": u.username, "name": u.get_full_name(), "role": u.role, "role_label": u.get_role_display(),
        "region": u.region_id, "institution_id": u.institution_id, "person_id": u.person_id,
        "permissions": sorted(p for p in u.permissions if p in PERMISSION_LABELS),
    }


@router.get("/users", response=list[UserOut], summary="本地区的账号")
def users(request):
    require(request.user, USER_VIEW)
    return [_user_out(u) for u in visible(User.objects.all(), request.user).order_by("username")]
