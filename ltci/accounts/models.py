"""People who log in: a role, and a data scope (a region and, for institution staff, an institution)."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from ltci.audit.signals import AuditedModel

from .roles import PLATFORM_ADMIN, ROLE_PERMISSIONS, ROLE_REACH, Reach, Role, admin_site_allows


class User(AuditedModel, AbstractUser):
    role = models.CharField("角色", max_length=32, choices=Role.choices, blank=True)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="users",
        verbose_name="统筹地区",
    )
    institution = models.ForeignKey(
        "providers.Institution", on_delete=models.PROTECT, null=True, blank=True, related_name="users",
        verbose_name="所属机构",
    )
    person = models.ForeignKey(
        "enrolment.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="users",
        verbose_name="本人或家属所代表的参保人",
    )
    is_demo = models.BooleanField("演示账号", default=False, help_text="演示模式之外，演示账号的密码失效。")

    audit_ignored_fields = ("password", "last_login")

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]

    class Scope:
        region = "region"
        institution = "institution"

    def __str__(self):
        label = self.get_role_display() or ("平台管理员" if self.is_superuser else "")
        return f"{self.get_full_name() or self.username}（{label}）"

    def get_full_name(self):
        # Chinese order: family name first, no space.
        return f"{self.last_name}{self.first_name}".strip()

    @property
    def role_key(self) -> str:
        """The user's row in roles.py's tables: the role, or the platform administrator's for a superuser."""
        return PLATFORM_ADMIN if self.is_superuser else self.role

    @property
    def reach(self) -> str | None:
        return ROLE_REACH.get(self.role_key)

    @property
    def permissions(self) -> frozenset[str]:
        if not self.is_active or not (self.region_id or self.is_superuser):
            return frozenset()
        return ROLE_PERMISSIONS.get(self.role_key, frozenset())

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    # Django's own permissions (read by the admin site only) come from roles.ADMIN_SITE, for every
    # user, superusers included: being a superuser grants no more than the platform administrator's row.
    def has_perm(self, perm, obj=None) -> bool:
        return admin_site_allows(self.permissions, perm)

    def has_perms(self, perm_list, obj=None) -> bool:
        return all(self.has_perm(p, obj) for p in perm_list)

    def has_module_perms(self, app_label) -> bool:
        from .roles import ADMIN_SITE

        return any(label.startswith(f"{app_label}.") and permission in self.permissions
                   for label, (permission, _) in ADMIN_SITE.items())

    def clean(self):
        super().clean()
        # The admin site is the platform administrator's only.
        self.is_staff = self.is_superuser
        errors = {}
        if self.is_superuser:
            # One meaning only: roles.py's platform administrator, of every region and none.
            for name, value, message in (
                    ("role", self.role, "平台管理员没有其他角色，请留空。"),
                    ("region", self.region_id, "平台管理员不属于某一统筹地区，请留空。"),
                    ("institution", self.institution_id, "平台管理员不属于定点机构，请留空。"),
                    ("person", self.person_id, "平台管理员不关联参保人。")):
                if value:
                    errors[name] = message
            if errors:
                raise ValidationError(errors)
            return
        if not self.role:
            errors["role"] = "请选择角色。"
        if not self.region_id:
            errors["region"] = "除平台管理员外，每个账号必须属于一个统筹地区。"
        reach = ROLE_REACH.get(self.role)
        if reach == Reach.INSTITUTION:
            if not self.institution_id:
                errors["institution"] = "机构管理员和护理员必须属于一个定点机构。"
            elif self.region_id and self.institution.region_id != self.region_id:
                errors["institution"] = "所属机构不在该账号的统筹地区内。"
        elif self.institution_id:
            errors["institution"] = "只有机构管理员和护理员属于机构。"
        if reach == Reach.SELF:
            if not self.person_id:
                errors["person"] = "参保人/家属账号必须关联一名参保人。"
            elif self.region_id and self.person.region_id != self.region_id:
                errors["person"] = "该参保人不在账号的统筹地区内。"
        elif self.person_id:
            errors["person"] = "只有参保人/家属账号关联参保人。"
        if errors:
            raise ValidationError(errors)
