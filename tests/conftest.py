"""Shared fixtures: a small world of two regions, each with an institution, people and a user per role."""

from dataclasses import dataclass, field
from datetime import date

import pytest
from django.test import Client

from ltci.accounts.models import User
from ltci.accounts.roles import Role
from ltci.accounts.services import create_user
from ltci.core.models import Job, JobKind
from ltci.enrolment.idcard import make_id_number
from ltci.enrolment.models import Enrolment, GroupMembership, Person
from ltci.providers.demo import credit_code
from ltci.providers.models import Institution, InstitutionKind
from ltci.regions.models import Region

PASSWORD = "Correct-Horse-42"


@dataclass
class RegionWorld:
    region: Region
    institution: Institution
    other_institution: Institution
    person: Person  # the insured user's own person
    other_person: Person  # another person of the same region
    job: Job  # a finished import of the region
    users: dict[str, User] = field(default_factory=dict)
    application: object = None  # the person's application, certified
    other_application: object = None  # the other person's, waiting for intake
    certificate: object = None  # the person's certificate


def make_person(region: Region, seq: int, *, name="王秀英", birth=date(1948, 3, 5), sex="F", group=None) -> Person:
    person = Person.objects.create(
        region=region, id_number=make_id_number(_place(region), birth, seq, sex), name=name, sex=sex,
        birth_date=birth, district="测试街道",
    )
    Enrolment.objects.create(region=region, person=person, scheme="employee", category="retired", start=date(2022, 1, 1))
    if group:
        GroupMembership.objects.create(region=region, person=person, group=group, evidence="E123",
                                       valid_from=date(2022, 1, 1))
    return person


def _place(region: Region) -> str:
    return {"xuzhou": "320311", "nanning": "450103", "jiaxing": "330402", "nanzheng": "610721",
            "changning": "310105"}[region.code]


def make_institution(region: Region, n: int) -> Institution:
    import random

    return Institution.objects.create(
        region=region, name=f"{region.name}第{n}护理院", kind=InstitutionKind.ELDERLY_CARE,
        credit_code=credit_code("52", _place(region), random.Random(f"{region.code}{n}")),
    )


def build_region_world(code: str) -> RegionWorld:
    region = Region.objects.get(pk=code)
    world = RegionWorld(
        region=region,
        institution=make_institution(region, 1),
        other_institution=make_institution(region, 2),
        person=make_person(region, 1, group="severe_disability"),
        other_person=make_person(region, 2, name="李建国", birth=date(1940, 7, 1), sex="M"),
        job=Job.objects.create(kind=JobKind.ROSTER_IMPORT, region=region, title="roster.csv"),
    )
    for role in Role:
        extra = {}
        if role in (Role.INSTITUTION_ADMIN, Role.CARER):
            extra["institution"] = world.institution
        if role == Role.INSURED:
            extra["person"] = world.person
        world.users[role] = create_user(username=f"{code}-{role}", password=None, role=role, region=region,
                                        full_name="测试用户", **extra)
    _add_applications(world)
    from ltci.providers.models import Carer

    Carer.objects.create(region=region, institution=world.institution, kind="certified", user=world.users[Role.CARER],
                         name="刘芳", id_number=make_id_number(_place(region), date(1975, 5, 5), 90, "F"))
    return world


def _add_applications(world: RegionWorld) -> None:
    """An application per person (rows only, not walked through the flow: tests/assessment does that)."""
    from ltci.assessment.models import Application, Certificate

    clerk = world.users[Role.CLERK]
    made = []
    for person, state in ((world.person, "certified"), (world.other_person, "submitted")):
        made.append(Application.objects.create(
            region=world.region, person=person, number=f"T{world.region.pk}{person.pk}", channel="counter",
            applicant_name="王小明", applicant_relation="child", applicant_phone="13800000000",
            disabled_since=date(2024, 1, 1), self_assessment_letter="G", pledge_signed=True, state=state,
            submitted_on=date(2025, 1, 6), intake_due=date(2025, 1, 13), created_by=clerk))
    world.application, world.other_application = made
    world.certificate = Certificate.objects.create(
        region=world.region, person=world.person, application=world.application, number=f"C{world.region.pk}",
        grade="severe_1", qualifies=True, valid_from=date(2025, 2, 1), valid_until=date(2027, 1, 31))


@pytest.fixture(autouse=True)
def _jobs_inline(settings, tmp_path):
    """Imports and billing started from pages run in the test's thread; uploads go to a temporary folder."""
    settings.JOBS_IN_BACKGROUND = False
    settings.UPLOAD_DIR = tmp_path / "uploads"
    settings.SETTLEMENT_FACTS_DIR = tmp_path / "settlement-facts"
    settings.TRIALS_DIR = tmp_path / "trials"


@pytest.fixture
def world(db):
    """Two regions: `home` where the users work and `away` whose data they must never see."""
    return {"home": build_region_world("xuzhou"), "away": build_region_world("nanning")}


@pytest.fixture
def client_for():
    def make(user: User) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make
