"""The evaluator pool is reference data of a region: kept in the admin (基础数据管理) by the platform
administrator; decisions and applications are never edited there."""

from django.contrib import admin

from .models import Evaluator, Recusal


class RecusalInline(admin.TabularInline):
    model = Recusal
    extra = 0
    raw_id_fields = ("person",)


@admin.register(Evaluator)
class EvaluatorAdmin(admin.ModelAdmin):
    list_display = ("user", "region", "kind", "title", "title_rank", "body", "committee", "active")
    list_filter = ("region", "kind", "title_rank", "committee", "active")
    search_fields = ("user__username", "user__last_name", "user__first_name", "body")
    raw_id_fields = ("user", "institution")
    inlines = [RecusalInline]
