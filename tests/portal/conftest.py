"""A beneficiary at home in Xuzhou, the insured account's own person: a home-care institution under
agreement with a rating, a confirmed plan and a new draft to confirm, visits checked out in the last
days; and the other person of the region with visits of their own."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ltci.accounts.roles import Role
from ltci.care import choices, plans, visits
from ltci.providers.models import Agreement, Carer, InstitutionKind
from tests.care.conftest import certified, priced

HOME = (Decimal("34.261000"), Decimal("117.188000"))
OTHER_HOME = (Decimal("34.271000"), Decimal("117.198000"))


def agree(institution, modes, start=date(2025, 1, 1), end=date(2099, 12, 31)):
    return Agreement.objects.create(institution=institution, number=f"XY-{institution.pk}", start=start, end=end,
                                    modes=modes, signed_on=start)


def visit_on(carer_user, person, day: date, hour: int, lat, lon, items=("SC06",)):
    begin = timezone.make_aware(datetime.combine(day, time(hour, 0)))
    v = visits.check_in(carer_user, person=person, request_id=f"t-{person.pk}-{day}-{hour}", latitude=str(lat),
                        longitude=str(lon), at=begin)
    return visits.check_out(carer_user, v, request_id=f"t-{person.pk}-{day}-{hour}-out", latitude=str(lat),
                            longitude=str(lon), items=list(items), face_check="passed",
                            at=begin + timedelta(minutes=50))


@pytest.fixture
def portal(world):
    return build_portal(world)


def build_portal(world) -> dict:
    home = world["home"]
    institution = home.institution
    institution.kind = InstitutionKind.HOME_CARE
    institution.latitude, institution.longitude = Decimal("34.262000"), Decimal("117.190000")
    institution.save()
    agree(institution, ["home_visit"])
    clerk, insured, carer_user = home.users[Role.CLERK], home.users[Role.INSURED], home.users[Role.CARER]
    priced(home.region.pk, {"SC06": "45.00", "SC19": "20.00", "SC11": "30.00"})
    for person, (lat, lon) in ((home.person, HOME), (home.other_person, OTHER_HOME)):
        if person is home.other_person:
            certified(person, clerk)
        choices.choose(person, clerk, mode="home_visit", effective_from=date(2025, 2, 1), institution=institution,
                       home_latitude=str(lat), home_longitude=str(lon))
        plans.confirm(plans.draft(person, clerk, valid_from=date(2025, 2, 1), items=[("SC06", 8), ("SC19", 12)]),
                      clerk)
    today = timezone.localdate()
    mine = [visit_on(carer_user, home.person, today - timedelta(days=n), 9, *HOME) for n in (3, 2)]
    theirs = visit_on(carer_user, home.other_person, today - timedelta(days=2), 14, *OTHER_HOME)
    draft = plans.draft(home.person, clerk, valid_from=today.replace(day=1) + timedelta(days=40),
                        items=[("SC06", 10), ("SC11", 4)])
    return {"home": home, "institution": institution, "clerk": clerk, "insured": insured, "carer_user": carer_user,
            "carer": Carer.objects.get(user=carer_user), "person": home.person, "visits": mine, "other_visit": theirs,
            "draft": draft, "today": today}
