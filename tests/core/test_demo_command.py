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
