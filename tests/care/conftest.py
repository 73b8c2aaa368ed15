"""A home-care scene: a home-care institution, a certified carer who logs in, and a beneficiary in a
visited mode whose home is at a known point."""

from datetime import date
from decimal import Decimal

import pytest

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.care import choices
from ltci.providers.models import Carer, InstitutionKind

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
    return {"home": home, "institution": institution, "carer": carer, "carer_user": carer_user, "other": other,
            "other_user": other_user, "person": home.person, "clerk": clerk}
