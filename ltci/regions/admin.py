from django.contrib import admin

from .models import PolicyVersion, Region


class PolicyVersionInline(admin.TabularInline):
    model = PolicyVersion
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "province", "pooling_level")
    inlines = [PolicyVersionInline]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ("code", "region", "document", "valid_from", "valid_to")
    list_filter = ("region",)
