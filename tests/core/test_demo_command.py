"""`ltci demo`: users for every role, a population, deterministic and idempotent."""

import pytest
from django.core.management import CommandError, call_command

from ltci.accounts.models import User
from ltci.accounts.roles import Role
from ltci.enrolment.models import Enrolment, Person
from ltci.providers.models import Institution
from ltci.providers.uscc import parse_credit_code


def test_demo_builds_a_region_with_users_for_every_role(db):
    call_command("demo", region=["jiaxing"], insured=120, seed=3)
    assert Person.objects.filter(region="jiaxing").count() == 120
    assert Enrolment.objects.filter(region="jiaxing").count() == 120
    roles = set(User.objects.filter(region="jiaxing", is_demo=True).values_list("role", flat=True))
    assert roles == set(Role.values)
    for institution in Institution.objects.filter(region="jiaxing"):
        assert parse_credit_code(institution.credit_code).number == institution.credit_code
    insured = User.objects.get(username="jiaxing.insured")
    assert insured.person.region_id == "jiaxing"
    carer = User.objects.get(username="jiaxing.carer")
    assert carer.institution.region_id == "jiaxing"
    # Placed around the centre its region.toml gives (within about 4 km), not a table in code.
    from ltci.policy.regions import load_regions

    lat, lon = load_regions()["jiaxing"].centre
    for institution in Institution.objects.filter(region="jiaxing", latitude__isnull=False):
        assert abs(float(institution.latitude) - lat) <= 0.035 and abs(float(institution.longitude) - lon) <= 0.035


def test_demo_is_deterministic_and_rerunning_adds_nothing(db):
    call_command("demo", region=["xuzhou"], insured=50, seed=11)
    first = list(Person.objects.order_by("id_number").values_list("id_number", "name", "birth_date"))
    call_command("demo", region=["xuzhou"], insured=50, seed=11)
    assert list(Person.objects.order_by("id_number").values_list("id_number", "name", "birth_date")) == first
    call_command("demo", region=["xuzhou"], insured=50, seed=11, if_empty=True)
    assert Person.objects.count() == 50


def test_a_demo_whose_superseded_certificate_falls_in_arrears_still_builds(db):
    """Review finding: with seed 1, the person picked for a superseded certificate was paid up on the
    first application's day but not on the second's, 300 days later, and the demo crashed."""
    from ltci.assessment.models import Application

    call_command("demo", region=["xuzhou"], insured=50, seed=1)
    assert Application.objects.filter(region="xuzhou").count() >= 15


def test_demo_refuses_unknown_regions(db):
    with pytest.raises(CommandError, match="unknown region"):
        call_command("demo", region=["atlantis"], insured=5, seed=1)
    with pytest.raises(CommandError, match="--region"):
        call_command("demo", insured=5, seed=1)


def test_ltci_demo_exits_2_in_production_and_touches_no_database(tmp_path):
    """Run as an operator would: the command refuses before it opens the database (none exists here)."""
    from .test_cli import ltci, production_env

    result = ltci("demo", "--all-regions", env=production_env(tmp_path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "refused in production" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "db.sqlite3").exists() or (tmp_path / "db.sqlite3").stat().st_size == 0


# After `make run` every journey can be started by the demo's own logins (issue 16, item 2).

def _demo(region: str, settings):
    settings.DEMO_MODE = True  # the demo accounts log in in demo mode only
    call_command("demo", region=[region], insured=60, seed=2026)


def _logged_in(username: str):
    from django.conf import settings
    from django.test import Client

    client = Client()
    response = client.post("/login/", {"username": username, "password": settings.DEMO_PASSWORD})
    assert response.status_code == 302, f"{username} cannot log in"
    return client


@pytest.mark.parametrize("region", ["xuzhou", "changning"])
def test_the_demo_carer_checks_in_at_once_and_the_sanction_suspends_a_colleague(db, settings, region):
    from datetime import timedelta

    from django.utils import timezone

    from ltci.care.choices import mode_on
    from ltci.care.models import VISITED_MODES, Visit
    from ltci.care.plans import plan_on
    from ltci.providers.models import Carer
    from ltci.supervision.models import Sanction

    _demo(region, settings)
    today = timezone.localdate()
    carer = Carer.objects.get(user__username=f"{region}.carer")
    assert carer.active and not carer.suspensions.filter(start__lte=today, end__gte=today).exists()
    assert not Visit.objects.filter(carer=carer, checkout_at__isnull=True).exists()  # nothing left open
    # One visit of yesterday checked in away from the home waits for the agency's decision, out of
    # settlement, and the agency's review page lists it with its reason in words.
    from ltci.care.holds import checkin_radius
    from ltci.care.models import SETTLEABLE_ACCEPTANCE

    away = [v for v in Visit.objects.filter(region_id=region, acceptance="pending") if "checkin_far" in v.exceptions]
    assert len(away) == 1, away
    radius, _ = checkin_radius(region, today)
    assert away[0].exceptions == ["checkin_far"] and away[0].checkin_distance_m > radius and away[0].checkout_at
    assert away[0].acceptance not in SETTLEABLE_ACCEPTANCE and away[0].carer_id == carer.pk
    review = _logged_in(f"{region}.clerk").get("/care/visits/acceptance/").content.decode()
    assert f"签到位置距居所{away[0].checkin_distance_m}米，超出本地区规定的{radius}米" in review
    # A beneficiary of the demo carer due today: visited on this weekday last week, under a confirmed
    # plan of the carer's institution, in a home-visit mode, not visited yet today.
    due = [v.person for v in Visit.objects.filter(carer=carer, checkin_at__date=today - timedelta(days=7))
           .select_related("person")]
    due = [p for p in due if (mode_on(p, today) and mode_on(p, today).mode in VISITED_MODES
                              and (plan := plan_on(p, today)) and plan.institution_id == carer.institution_id
                              and not Visit.objects.filter(person=p, checkin_at__date=today).exists())]
    assert due, "no beneficiary of the demo carer has a visit due today"
    person, choice = due[0], mode_on(due[0], today)

    phone = _logged_in(f"{region}.carer")
    page = phone.get("/care/visits/").content.decode()
    assert f'value="{person.pk}"' in page
    checked_in = phone.post("/care/visits/checkin", {
        "person": person.pk, "request_id": "demo-test-in", "latitude": str(choice.home_latitude),
        "longitude": str(choice.home_longitude)}, follow=True).content.decode()
    assert f"已签到：{person.name}" in checked_in
    assert Visit.objects.filter(carer=carer, person=person, checkout_at__isnull=True).exists()

    # The supervision case's suspension falls on a colleague with a login of his own: his day shows it.
    suspension = Sanction.objects.get(case__region=region, kind="carer_suspension")
    colleague = Carer.objects.get(pk=suspension.effects["carer"])
    assert colleague.user.username == f"{region}.carer.2" and colleague.institution_id == carer.institution_id
    assert colleague.suspensions.filter(start__lte=today, end__gte=today).exists()
    other = Visit.objects.filter(carer=colleague).exclude(person=person).order_by("-checkin_at").first()
    refused = _logged_in(f"{region}.carer.2").post("/care/visits/checkin", {
        "person": other.person_id, "request_id": "demo-test-suspended", "latitude": "31.2",
        "longitude": "121.4"}, follow=True).content.decode()
    assert "暂停结算" in refused and not Visit.objects.filter(request_id="demo-test-suspended").exists()


def test_every_account_the_demo_draws_or_assigns_logs_in_and_is_printed(db, settings):
    from io import StringIO

    from django.core.management.base import OutputWrapper

    from ltci.accounts.demo import print_logins
    from ltci.assessment.models import Evaluator, Review, SiteAssessment

    _demo("xuzhou", settings)
    pool = set(Evaluator.objects.filter(region="xuzhou").values_list("user__username", flat=True))
    drawn = set(Review.objects.filter(application__region="xuzhou").values_list("expert__user__username", flat=True))
    for field in ("first", "second"):
        drawn |= set(SiteAssessment.objects.filter(application__region="xuzhou")
                     .values_list(f"{field}__user__username", flat=True))
    assert {"xuzhou.pool3", "xuzhou.pool4", "xuzhou.pool5"} <= pool and drawn <= pool
    assert any(u.startswith("xuzhou.pool") for u in drawn)  # the draw does pick the pool's members
    accounts = set(User.objects.filter(region="xuzhou").values_list("username", flat=True))
    assert pool <= accounts
    assert set(User.objects.filter(region="xuzhou", is_demo=True).values_list("username", flat=True)) == accounts
    out = StringIO()
    print_logins(OutputWrapper(out))  # as `ltci serve` prints them
    printed = out.getvalue()
    for username in sorted(accounts):
        assert f"\n  {username} " in printed, f"{username} is not printed"
        _logged_in(username)
    assert _logged_in("xuzhou.pool3").get("/").status_code == 200
    lines = {line.split()[0]: line for line in printed.splitlines() if line.startswith("  ")}
    assert "暂停结算至" in lines["xuzhou.carer.2"] and "暂停" not in lines["xuzhou.carer"]
    assert User.objects.get(username="xuzhou.pool3").get_full_name() in lines["xuzhou.pool3"]


def test_demo_people_bear_distinct_names_and_the_insured_account_is_its_person(db, settings):
    from ltci.providers.models import Carer

    _demo("nanning", settings)
    insured = User.objects.get(username="nanning.insured")
    assert insured.get_full_name() == insured.person.name
    people = Person.objects.filter(region="nanning")
    carers = Carer.objects.filter(region="nanning")
    users = User.objects.filter(region="nanning")
    for user in users:
        name = user.get_full_name()
        assert name, user.username
        assert not users.exclude(pk=user.pk).filter(last_name=user.last_name, first_name=user.first_name).exists(), name
        own = [user.person_id] if user.username == "nanning.insured" else []
        assert not people.exclude(pk__in=own).filter(name=name).exists(), f"{user.username} {name}"
        assert not carers.exclude(user=user).filter(name=name).exists(), f"{user.username} {name}"
    for carer in carers:
        assert not people.filter(name=carer.name).exists(), carer.name
        assert not carers.exclude(pk=carer.pk).filter(name=carer.name).exists(), carer.name
