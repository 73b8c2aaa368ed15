"""What the lists whose rows are built in Python share (Django's admin builds its change list's
rows so; docs/decisions/0027): a detail link's beginning reversed once a page, the empty table's row."""

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def link_prefix(url_name: str) -> str:
    """`…/` of a `…/<int:pk>/` page, to which a row adds `{pk}/`: one reverse() for the page."""
    return reverse(url_name, args=[0]).removesuffix("0/")


def empty(columns: int, text: str) -> SafeString:
    return mark_safe(f'<tr><td colspan="{columns}">{escape(text)}</td></tr>')
