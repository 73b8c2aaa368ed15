"""`{% application_rows page today %}` and `{% certificate_rows certificates %}`: the workbench's rows
of applications and of its latest conclusions, built in Python as
Django's admin builds its change list's rows: through `{% for %}` each of 30 rows cost about 0.6 ms
(a city's clerks open this page all day; docs/decisions/0027)."""

from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from ltci.core import rows as rows_

from ..flow import State

register = template.Library()

WAITING_INTAKE = (State.SUBMITTED, State.SCREENED)
ENDED = (State.CERTIFIED, State.WITHDRAWN)


def _day(d) -> str:
    return f"{d:%Y-%m-%d}" if d else ""


def _due(a, today) -> str:
    """What the application waits for and by when: intake, the conclusion, the publicity's end."""
    text = ""
    if a.state in WAITING_INTAKE:
        text = f"受理 {_day(a.intake_due)}" + (' <span class="warn">已超时</span>' if a.intake_due < today else "")
    elif a.conclusion_due and a.state not in ENDED:
        text = f"结论 {_day(a.conclusion_due)}"
    if a.state == State.IN_PUBLICITY:
        text += f"公示至 {_day(a.publicity_until)}"
    return text


@register.simple_tag
def application_rows(applications, today) -> str:
    if not applications:
        return rows_.empty(7, "暂无申请。")
    detail = rows_.link_prefix("assessment:detail")
    rows = []
    for a in applications:
        kind = a.get_kind_display() + (f"（{a.get_trigger_display()}）" if a.trigger else "")
        rows.append(
            f'<tr><td><a href="{detail}{a.pk}/">{escape(a.number)}</a></td><td>{escape(a.person.name)}</td>'
            f"<td>{escape(a.person.masked_id)}</td><td>{escape(kind)}</td><td>{escape(a.state_label)}</td>"
            f"<td>{_day(a.submitted_on)}</td><td>{_due(a, today)}</td></tr>")
    return mark_safe("".join(rows))


@register.simple_tag
def certificate_rows(certificates) -> str:
    if not certificates:
        return rows_.empty(5, "暂无评估结论。")
    pdf = reverse("assessment:certificate", args=[0]).removesuffix("0.pdf")
    rows = []
    for c in certificates:
        until = f"{_day(c.ended_on)}（已被取代）" if c.ended_on else _day(c.valid_until)
        rows.append(
            f"<tr><td>{escape(c.number)}</td><td>{escape(c.person.name)}</td><td>{escape(c.get_grade_label())}</td>"
            f'<td>{_day(c.valid_from)} 至 {until}</td><td><a href="{pdf}{c.pk}.pdf">通知书 PDF</a></td></tr>')
    return mark_safe("".join(rows))
