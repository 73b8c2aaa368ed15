"""People who log in: a role, and a data scope (a region and, for institution staff, an institution)."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from ltci.audit.signals import AuditedModel

from .roles import ALL_PERMISSIONS, ROLE_PERMISSIONS, ROLE_REACH, Reach, Role


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
    def reach(self) -> str | None:
        return ROLE_REACH.get(self.role)

    @property
    def permissions(self) -> frozenset[str]:
        if self.is_superuser:
            return ALL_PERMISSIONS
        if not self.is_active or not self.region_id:
            return frozenset()
        return ROLE_PERMISSIONS.get(self.role, frozenset())

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def clean(self):
        super().clean()
        if self.is_superuser:
            return
        errors = {}
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
