"""Counter registration: one person with their enrolment, typed in by a clerk of the region.

The form's values go through the roster import's row check (`roster.RosterRules.parse`), so the
counter and the import refuse the same things in the same words. What only a single registration
adds: an ID number the region already holds is refused with that person; a warning of the check
(a place code unknown for the birth year) must be confirmed by the clerk before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ltci.accounts.scope import visible
from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.core.imports import RowRejected

from .models import Enrolment, EnrolmentStatus, Person
from .roster import COLUMNS, RosterRules

FIELDS = tuple(c.key for c in COLUMNS)


@dataclass(frozen=True)
class Registered:
    person: Person
    enrolment: Enrolment
    warnings: tuple[str, ...]  # confirmed by the clerk


class AlreadyRegistered(ValidationError):
    """The region already holds this ID number: `person`, to be handled on their page (None when the
    user may not see them: then the refusal does not name them either)."""

    def __init__(self, person: Person | None):
        self.person = person
        if person is None:
            message = "该证件号码已在本统筹地区登记，不能重复登记"
        elif person.enrolments.filter(status=EnrolmentStatus.ACTIVE).exists():
            message = f"该证件号码已登记为参保人 {person}，不能重复登记"
        else:
            message = f"该证件号码已登记为参保人 {person}，目前没有有效的参保登记，请在其页面新增参保登记"
        super().__init__({"id_number": message})


class NeedsConfirmation(ValidationError):
    """The values pass the check but with warnings: the clerk confirms them (nothing was written)."""

    def __init__(self, warnings: tuple[str, ...]):
        self.warnings = warnings
        super().__init__({"id_number": [*warnings, "请与证件原件核对，无误后确认登记"]})


def register(user, values: Mapping, *, confirmed: Iterable[str] = ()) -> Registered:
    """Registers a person and their active enrolment in the user's region, from the values of the
    roster's columns (text, as typed). `confirmed`: the warnings the clerk has seen and accepted;
    a warning not among them stops the registration with NeedsConfirmation."""
    region = getattr(user, "region", None)
    if region is None:
        raise ValidationError({"__all__": "参保登记只能由统筹地区的经办人员在本地区办理"})
    rules = RosterRules(region.pk, timezone.localdate())
    try:
        row = rules.parse(1, {key: values.get(key) or "" for key in FIELDS})
    except RowRejected as exc:
        raise ValidationError({exc.column: exc.reason}) from None
    with transaction.atomic():
        existing = _registered(region, row.id_number)
        if existing is not None:
            raise AlreadyRegistered(_if_visible(existing, user))
        if set(row.warnings) - set(confirmed):
            raise NeedsConfirmation(row.warnings)
        person = Person(region=region, id_kind=row.id_kind, id_number=row.id_number, name=row.name, sex=row.sex,
                        birth_date=row.birth_date, phone=row.phone, district=row.district, address=row.address)
        try:
            with transaction.atomic():  # a savepoint: another clerk may have registered the number meanwhile
                person.save()
        except IntegrityError:
            raise AlreadyRegistered(_if_visible(_registered(region, row.id_number), user)) from None
        enrolment = Enrolment.objects.create(region=region, person=person, scheme=row.scheme, category=row.category,
                                             start=row.start, contribution_base=row.contribution_base,
                                             pension=row.pension)
        # The person and the enrolment are each recorded field by field on save; this event is the
        # act: who registered at the counter, and which warnings they confirmed.
        record(Action.CREATE, person, user=user, object_repr=f"柜台参保登记 {person}",
               detail={"registration": "counter", "enrolment": enrolment.pk, "confirmed_warnings": list(row.warnings)})
    return Registered(person, enrolment, row.warnings)


def _registered(region, id_number: str) -> Person | None:
    return Person.objects.filter(region=region, id_number=id_number).first()


def _if_visible(person: Person, user) -> Person | None:
    return person if visible(Person.objects.filter(pk=person.pk), user).exists() else None
