from django.contrib import admin

from .models import Institution


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "kind", "credit_code", "status")
    list_filter = ("region", "kind", "status")
    search_fields = ("name", "credit_code")
