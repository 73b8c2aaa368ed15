"""A refused form's reasons beside the fields they concern: `{% load fields %}` then
`{{ errors|error_for:"applicant_phone" }}`. `errors` is `ltci.core.errors.error_pairs(exc)`; a
field may be named by its prefix (`scale` takes `scale.adl.eating`)."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.filter
def error_for(errors, field: str):
    messages = [m for f, m in errors or () if f == field or f.startswith(field + ".")]
    if not messages:
        return ""
    return format_html('<span class="field-error" role="alert">{}</span>',
                       format_html_join("；", "{}", ((m,) for m in messages)))
