"""An assessment world: a region's pool of evaluators, a paid-up applicant, files to upload, and a
walk of an application to any point of the flow."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.assessment import services
from ltci.assessment.models import Evaluator, EvaluatorKind
from ltci.contributions.models import Bill, Payment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

ALL_INDEPENDENT = {a: "independent" for a in ("eating", "bowel_bladder", "bathing", "dressing", "toilet", "transfer")}
ALL_DEPENDENT = {a: "dependent" for a in ALL_INDEPENDENT}

# The spec's example: ADL 40 (severe), cognition and perception intact → severe_1.
SEVERE_1 = {
    "adl": {"eating": 10, "dressing": 5, "face_oral": 0, "bowel": 10, "bladder": 5, "toilet": 5, "walking": 5,
            "transfer": 0, "stairs": 0, "bathing": 0},
    "cognition": {"time": 4, "person": 4, "place": 4, "memory": 4},
    "perception": {"vision": 4, "hearing": 4, "communication": 4},
}


def pdf(name="discharge.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png(name="visit.png", content=PNG):
    return SimpleUploadedFile(name, content, content_type="image/png")


def paid_up(person, years=range(2021, 2027)):
    """Bills and full payments for the years, so enrolment and contributions pass the pre-check."""
    from ltci.core.models import Job, JobKind

    job = Job.objects.create(kind=JobKind.BILLING, region_id=person.region_id, title="test billing")
    for year in years:
        Bill.objects.create(region_id=person.region_id, person=person, period=str(year), due_date=date(year, 1, 31),
                            individual=Decimal(30), total=Decimal(30), job=job)
        Payment.objects.create(region_id=person.region_id, person=person, period=str(year), payer="individual",
                               channel="bank", amount=Decimal(30), reference=f"T{person.pk}-{year}",
                               paid_on=date(year, 1, 10))


@dataclass
class Pool:
    assessors: list = field(default_factory=list)
    experts: list = field(default_factory=list)
    committee: list = field(default_factory=list)

    def user_of(self, evaluator):
        return evaluator.user


def make_pool(region, *, assessors=2, experts=4, committee=2, prefix="") -> Pool:
    pool = Pool()
    n = 0
    for kind, count, role, members in ((EvaluatorKind.ASSESSOR, assessors, Role.ASSESSOR, pool.assessors),
                                       (EvaluatorKind.EXPERT, experts, Role.EXPERT, pool.experts),
                                       (EvaluatorKind.EXPERT, committee, Role.COMMITTEE, pool.committee)):
        for _ in range(count):
            n += 1
            user = create_user(username=f"{prefix}{region.code}-ev{n}", password=None, role=role, region=region,
                               full_name=f"评估{n}")
            members.append(Evaluator.objects.create(region=region, user=user, kind=kind, title="副主任医师",
                                                    title_rank="associate_senior", committee=role == Role.COMMITTEE))
    return pool


@pytest.fixture
def world(world):
    """The shared world without its ready-made applications: these tests make their own through the flow."""
    from ltci.assessment.models import Application, Certificate

    Certificate.objects.all().delete()
    Application.objects.all().delete()
    return world


@pytest.fixture
def pool(world):
    return make_pool(world["home"].region)


@pytest.fixture
def applicant(world):
    person = world["home"].person
    paid_up(person)
    return person


def submit(person, user, **overrides):
    fields = dict(channel="counter", applicant_name="王小明", applicant_relation="child", applicant_phone="13800000000",
                  disabled_since=date(2025, 1, 1), self_assessment=ALL_DEPENDENT, pledge_signed=True,
                  materials=[("discharge_summary", pdf())])
    fields.update(overrides)
    return services.submit(user=user, person=person, **fields)


def visit(app, evaluator_user, **overrides):
    fields = dict(scores=SEVERE_1, guardian="王小明", photo=png(), latitude="34.2610", longitude="117.1880")
    fields.update(overrides)
    return services.record_visit(app, evaluator_user, **fields)


def decide_all(app, grade, reason="同意"):
    """Every open review decided with the same grade, in drawing order."""
    for review in services.open_reviews(app).select_related("expert__user"):
        services.decide(review, review.expert.user, grade=grade, reason=reason)
    app.refresh_from_db()


def walk(world, pool, person, *, to="certified", grade="severe_1"):
    """Takes a new application of `person` along the flow to the state `to`."""
    clerk = world["home"].users[Role.CLERK]
    app = submit(person, clerk)
    if to == "submitted":
        return app
    services.accept(app, clerk)
    if to == "accepted":
        return _fresh(app)
    task = services.assign(app, clerk)
    if to == "assigned":
        return _fresh(app)
    visit(app, task.first.user)
    if to == "in_review":
        return _fresh(app)
    decide_all(app, grade)
    if to == "in_publicity":
        return _fresh(app)
    app = _fresh(app)
    services.certify(app, clerk, on=app.publicity_until + timedelta(days=1))
    return _fresh(app)


def _fresh(app):
    app.refresh_from_db()
    return app


def backdate(cert, valid_from=date(2025, 6, 1)):
    """Moves a certificate to have taken effect on `valid_from` (tests of what follows it)."""
    from ltci.assessment.models import Certificate

    until = date(valid_from.year + 2, valid_from.month, valid_from.day) - timedelta(days=1)
    Certificate.objects.filter(pk=cert.pk).update(valid_from=valid_from, valid_until=until)
    cert.refresh_from_db()
    return cert
