from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "get_full_name", "role", "region", "institution", "is_active", "is_demo")
    list_filter = ("role", "region", "is_active", "is_demo")
    fieldsets = BaseUserAdmin.fieldsets + (("角色与数据范围", {"fields": ("role", "region", "institution", "person", "is_demo")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("角色与数据范围", {"fields": ("role", "region", "institution", "person")}),)
    raw_id_fields = ("person", "institution")
