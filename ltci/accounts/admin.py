"""Accounts in the admin site (基础数据管理): the platform administrator creates, deactivates and
resets the accounts of every region. What he may do here is roles.ADMIN_SITE; an insured account's
person is named by ID number and shown masked (person_field.py)."""

from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError

from ltci.audit.models import Action
from ltci.audit.recorder import record

from .models import User
from .person_field import masked_person, person_by_id_number, person_field


class _PersonByIdNumber:
    """Links the account to the person of its region whose ID number was typed, if one was."""

    def clean(self):
        cleaned = super().clean()
        text = cleaned.get("person_id_number")
        if text:
            region = cleaned.get("region")
            try:
                self.instance.person = person_by_id_number(region.pk if region else None, text)
            except ValidationError as exc:
                self.add_error("person_id_number", exc)
        return cleaned

    def _update_errors(self, errors):
        # The model's checks name `person`, which this form enters as `person_id_number`.
        if hasattr(errors, "error_dict") and "person" in errors.error_dict:
            errors.error_dict["person_id_number"] = errors.error_dict.pop("person")
        super()._update_errors(errors)


class UserCreationForm(_PersonByIdNumber, auth_forms.AdminUserCreationForm):
    person_id_number = person_field()

    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User


class UserChangeForm(_PersonByIdNumber, auth_forms.UserChangeForm):
    person_id_number = person_field()

    class Meta(auth_forms.UserChangeForm.Meta):
        model = User


_SCOPE = ("role", "region", "institution")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("username", "get_full_name", "role", "region", "institution", "is_active", "is_superuser",
                    "is_demo")
    list_filter = ("role", "region", "is_active", "is_superuser", "is_demo")
    ordering = ("region", "role", "username")
    # No groups or Django permissions: what an account may do is its role (roles.py), nothing else.
    # `is_demo` is read-only: clearing it would let the published demo password work again.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("姓名与联系方式", {"fields": ("last_name", "first_name", "email")}),
        ("角色与数据范围", {"fields": (*_SCOPE, "linked_person", "person_id_number")}),
        ("状态", {"fields": ("is_active", "is_superuser", "is_demo", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        ("姓名", {"fields": ("last_name", "first_name")}),
        ("角色与数据范围", {"fields": (*_SCOPE, "person_id_number")}),
    )
    readonly_fields = ("linked_person", "is_demo", "last_login", "date_joined")
    filter_horizontal = ()
    raw_id_fields = ("institution",)

    @admin.display(description="已关联的参保人")
    def linked_person(self, obj):
        return masked_person(obj.person if obj and obj.person_id else None)

    def log_change(self, request, obj, message):
        """A password reset is on the trail like any change of an account (the hash itself is not)."""
        entry = super().log_change(request, obj, message)
        if request.resolver_match and request.resolver_match.url_name.endswith("_password_change"):
            record(Action.UPDATE, obj, detail={"password": "reset" if obj.has_usable_password() else "disabled"})
        return entry
