from datetime import date
from decimal import Decimal

import pytest

from ltci.enrolment.idcard import make_id_number
from ltci.enrolment.models import Enrolment, GroupMembership, Person
from ltci.regions.models import Region


@pytest.fixture
def enrol(db):
    """Registers a person with an enrolment: enrol("xuzhou", 1, scheme=..., start=..., base=...)."""

    def make(region_code, seq, *, scheme="employee", category="retired", start=date(2021, 6, 1), birth=date(1950, 3, 5),
             sex="F", base=None, pension=None, groups=(), name="王秀英"):
        region = Region.objects.get(pk=region_code)
        place = {"xuzhou": "320311", "nanning": "450103", "jiaxing": "330402", "nanzheng": "610721",
                 "changning": "310105"}[region_code]
        person = Person.objects.create(region=region, id_number=make_id_number(place, birth, seq, sex), name=name,
                                       sex=sex, birth_date=birth, district="测试")
        Enrolment.objects.create(region=region, person=person, scheme=scheme,
                                 category=category if scheme == "employee" else "", start=start,
                                 contribution_base=Decimal(base) if base else None,
                                 pension=Decimal(pension) if pension else None)
        for g in groups:
            GroupMembership.objects.create(region=region, person=person, group=g, valid_from=date(2020, 1, 1))
        return person

    return make
