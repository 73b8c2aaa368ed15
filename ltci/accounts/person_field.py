"""A person named by ID number in the admin site: the platform administrator links an insured
account (or an evaluator's recusal) to a person without browsing the register. He types the number
he was given; the form shows the linked person's masked number only, never a name or a full number,
and each lookup is recorded (docs/decisions/0015)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from ltci.enrolment.idcard import normalise

LABEL = "参保人证件号码"


def person_field(*, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=LABEL, max_length=32, required=required, strip=True,
        help_text="输入参保人的证件号码以关联；已关联的只显示遮盖后的号码，留空则不变。",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def person_by_id_number(region_id: str | None, text: str):
    """The person of the region with this ID number; a ValidationError in Chinese otherwise, which
    says no more than that the region has no such insured person. Every lookup is on the trail,
    found or not, so that the form cannot be used to probe the register unseen."""
    from ltci.audit.masking import mask_id
    from ltci.audit.models import Action, Outcome
    from ltci.audit.recorder import record
    from ltci.enrolment.models import Person

    if not region_id:
        raise ValidationError("请先选择统筹地区。")
    number = normalise(text)
    person = Person.objects.filter(region_id=region_id, id_number=number).first() if number else None
    record(Action.VIEW_ID, person, object_type_="enrolment.person", object_repr=mask_id(number[:32]),
           region=region_id, outcome=Outcome.SUCCESS if person else Outcome.FAILURE,
           detail={"what": "id_number_lookup", "found": person is not None})
    if person is None:
        raise ValidationError("该统筹地区没有此证件号码的参保人。")
    return person


def masked_person(person) -> str:
    return person.masked_id if person is not None else "—"
