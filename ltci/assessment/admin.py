"""The evaluator pool is reference data of a region: kept in the admin (基础数据管理) by the platform
administrator; decisions and applications are never edited there. A recusal names its person by ID
number and shows it masked: the pool's keeper does not browse the register (docs/decisions/0015)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from ltci.accounts.person_field import masked_person, person_by_id_number, person_field

from .models import Evaluator, Recusal


class RecusalForm(forms.ModelForm):
    person_id_number = person_field()

    class Meta:
        model = Recusal
        fields = ("reason",)

    def __init__(self, *args, region_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.region_id = region_id
        # A new recusal must name its person; an existing one keeps its person unless another is typed.
        self.fields["person_id_number"].required = not self.instance.person_id

    def clean(self):
        cleaned = super().clean()
        text = cleaned.get("person_id_number")
        if text:
            try:
                self.instance.person = person_by_id_number(self.region_id, text)
            except ValidationError as exc:
                self.add_error("person_id_number", exc)
        return cleaned


class RecusalFormSet(BaseInlineFormSet):
    def get_form_kwargs(self, index):
        # The evaluator's region, also while the evaluator is being added (the instance is unsaved then).
        return {**super().get_form_kwargs(index), "region_id": self.instance.region_id}


class RecusalInline(admin.TabularInline):
    model = Recusal
    form = RecusalForm
    formset = RecusalFormSet
    extra = 0
    fields = ("linked_person", "person_id_number", "reason")
    readonly_fields = ("linked_person",)

    @admin.display(description="回避的参保人")
    def linked_person(self, obj):
        return masked_person(obj.person if obj and obj.person_id else None)


@admin.register(Evaluator)
class EvaluatorAdmin(admin.ModelAdmin):
    list_display = ("user", "region", "kind", "title", "title_rank", "body", "committee", "active")
    list_filter = ("region", "kind", "title_rank", "committee", "active")
    search_fields = ("user__username", "user__last_name", "user__first_name", "body")
    raw_id_fields = ("user", "institution")
    inlines = [RecusalInline]
