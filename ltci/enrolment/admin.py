from django.contrib import admin

from .models import Enrolment, GroupMembership, Person


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0


class GroupInline(admin.TabularInline):
    model = GroupMembership
    extra = 0


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "masked_id", "region", "sex", "birth_date", "district")
    list_filter = ("region", "sex")
    search_fields = ("name",)
    inlines = [EnrolmentInline, GroupInline]

    @admin.display(description="证件号码")
    def masked_id(self, obj):
        return obj.masked_id
