"""Shared fixtures of the case, sanction, sampling and page tests: the settlement world (the world's
person in the world's care home since February 2025), its February and March settled, February
approved, hits made directly (the screening engine has its own tests), and the people who act."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.settlement import review, run
from ltci.settlement.models import Claim, Line
from ltci.supervision import cases
from ltci.supervision.models import Hit
from tests.settlement.conftest import TODAY, TZ, clerks, home, visit, visiting  # noqa: F401  (fixtures)

FEB, MARCH = date(2025, 2, 1), date(2025, 3, 1)


def pdf(name="evidence.pdf", body=b"%PDF-1.4\n%%EOF\n"):
    return SimpleUploadedFile(name, body, "application/pdf")


def make_hit(w, month, *, rule="bed_days_over_month", key=None, person="own", institution="own", carer=None,
             region=None, **extra):
    person = {"own": w.person, "other": w.other_person, None: None}[person]
    institution = {"own": w.institution, "other": w.other_institution, None: None}[institution]
    return Hit.objects.create(region=region or w.region, month=month, rule=rule, severity="high",
                              key=key or f"{rule}:{month}:{person.pk if person else 0}:{Hit.objects.count()}",
                              day=month + timedelta(days=4), person=person, institution=institution, carer=carer,
                              records={"stay": [1]}, detail={"bed_days": 33, "days_in_month": 31}, params={},
                              **extra)


@pytest.fixture
def settled(home, clerks):  # noqa: F811
    """February and March settled; February's claim reviewed and approved (so paid-for), March waiting."""
    for month in ("2025-02", "2025-03"):
        run.start_settlement(home.region, month, user=clerks["reviewer"], today=TODAY)
    feb = Claim.objects.get(month=FEB)
    review.approve(review.review(feb, clerks["reviewer"]), clerks["approver"])
    home.feb_line = Line.objects.get(claim=feb)
    home.march_line = Line.objects.get(claim__month=MARCH)
    return home


@pytest.fixture
def people(home):  # noqa: F811
    """The world's auditor, a second auditor and the clerk who sanctions."""
    second = create_user(username="xz-auditor-2", password=None, role=Role.AUDITOR, region=home.region,
                         full_name="稽核员乙")
    return {"auditor": home.users[Role.AUDITOR], "second": second, "clerk": home.users[Role.CLERK]}


@pytest.fixture
def confirmed(settled, people):
    """A case on the person's February and March at the care home, confirmed by the assigned auditor."""
    hits = [make_hit(settled, FEB), make_hit(settled, MARCH)]
    case = cases.open_case(settled.region.pk, [h.pk for h in hits], people["auditor"], assigned_to=people["auditor"])
    cases.decide(case, people["auditor"], confirm=True, finding="床日数超过当月天数，经核对入住记录属实", evidence=pdf())
    case.refresh_from_db()
    return case


def visit_at(w, inst, carer, day, n=0):
    return visit(w, inst, carer, day, n=n)


__all__ = ["FEB", "MARCH", "TODAY", "TZ", "pdf", "make_hit", "settled", "people", "confirmed", "home", "clerks",
           "visit", "visiting", "visit_at", "datetime", "time"]
