"""A home-care scene: a home-care institution, a certified carer who logs in, and a beneficiary in a
visited mode whose home is at a known point."""

from datetime import date
from decimal import Decimal

import pytest

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.care import choices, plans
from ltci.providers.models import Carer, CatalogueItem, InstitutionKind

HOME = (Decimal("34.261000"), Decimal("117.188000"))  # 徐州, a point of the demo's kind


@pytest.fixture
def scene(world):
    home = world["home"]
    institution = home.institution
    institution.kind = InstitutionKind.HOME_CARE
    institution.save()
    carer_user = home.users[Role.CARER]
    carer = Carer.objects.get(user=carer_user)
    other_user = create_user(username="xz-carer2", password=None, role=Role.CARER, region=home.region,
                             institution=institution, full_name="陈静")
    other = Carer.objects.create(region=home.region, institution=institution, kind="certified", user=other_user,
                                 name="陈静", id_number="110105194912310011", certificate_number="ZG-002")
    clerk = home.users[Role.CLERK]
    choices.choose(home.person, clerk, mode="home_visit", effective_from=date(2025, 1, 1), institution=institution,
                   home_latitude=str(HOME[0]), home_longitude=str(HOME[1]))
    priced(home.region.pk, {"SC06": "45.00", "SC19": "20.00", "SC11": "30.00"})
    plan = plans.draft(home.person, clerk, valid_from=date(2025, 2, 1), items=[("SC06", 8), ("SC19", 12)])
    plans.confirm(plan, home.users[Role.INSURED])
    return {"home": home, "institution": institution, "carer": carer, "carer_user": carer_user, "other": other,
            "other_user": other_user, "person": home.person, "clerk": clerk}


def priced(region: str, prices: dict) -> None:
    for code, price in prices.items():
        CatalogueItem.objects.filter(region_id=region, code=code).update(unit_price=Decimal(price))


def certified(person, clerk, grade="severe_1", valid_from=date(2025, 2, 1)):
    """A certificate in force for `person` (rows only: the flow is tested in tests/assessment)."""
    from ltci.assessment.models import Application, Certificate

    app = Application.objects.create(
        region_id=person.region_id, person=person, number=f"C{person.pk}-{grade}", channel="counter",
        applicant_name="王小明", applicant_relation="child", applicant_phone="13800000000",
        disabled_since=date(2024, 1, 1), self_assessment_letter="G", pledge_signed=True, state="certified",
        submitted_on=valid_from, intake_due=valid_from, created_by=clerk)
    return Certificate.objects.create(region_id=person.region_id, person=person, application=app,
                                      number=f"N{person.pk}-{grade}", grade=grade, qualifies=True,
                                      valid_from=valid_from, valid_until=date(valid_from.year + 2, 1, 31))
