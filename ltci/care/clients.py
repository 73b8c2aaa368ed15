"""An institution's clients: the people whose care names it. Institution staff reach a person only
through this relation, so an id typed into a request finds nobody else, and a refusal never names
a person the actor may not see."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from ltci.accounts.roles import Reach
from ltci.accounts.scope import get_visible_or_404, record_out_of_scope
from ltci.enrolment.models import Person

from .models import CareChoice, Stay


def clients_of(institution_id: int) -> QuerySet:
    """People who chose the institution for their care at some time, or stayed in it."""
    return Person.objects.filter(
        Exists(CareChoice.objects.filter(person=OuterRef("pk"), institution_id=institution_id))
        | Exists(Stay.objects.filter(person=OuterRef("pk"), institution_id=institution_id)))


def client_or_404(user, person_id) -> Person:
    """The person named in a request, resolved through the user's own relations: the region's people
    for the agency, the institution's clients for its staff, oneself for the insured; 404 otherwise."""
    if user.reach != Reach.INSTITUTION:
        return get_visible_or_404(Person.objects.all(), user, pk=person_id)
    person = (clients_of(user.institution_id).filter(pk=person_id, region_id=user.region_id).first()
              if user.institution_id else None)
    if person is None:
        record_out_of_scope(Person.objects.filter(pk=person_id), person_id)
        raise Http404("not found")
    return person
