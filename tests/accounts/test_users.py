"""Users' role and scope must be consistent; demo passwords never outlive demo mode."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from ltci.accounts.models import User
from ltci.accounts.roles import Role
from ltci.accounts.services import create_user, retire_demo_passwords, users_with_demo_password
from ltci.audit.models import AuditEvent
from ltci.regions.models import Region


def test_institution_staff_need_an_institution_of_their_region(world):
    home, away = world["home"], world["away"]
    with pytest.raises(ValidationError) as err:
        create_user(username="c1", password=None, role=Role.CARER, region=home.region)
    assert "institution" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        create_user(username="c2", password=None, role=Role.CARER, region=home.region, institution=away.institution)
    assert "institution" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        create_user(username="c3", password=None, role=Role.CLERK, region=home.region, institution=home.institution)
    assert "institution" in err.value.message_dict
    assert not User.objects.filter(username__in=["c1", "c2", "c3"]).exists()


def test_an_insured_account_represents_a_person_of_its_region(world):
    home, away = world["home"], world["away"]
    with pytest.raises(ValidationError) as err:
        create_user(username="i1", password=None, role=Role.INSURED, region=home.region)
    assert "person" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        create_user(username="i2", password=None, role=Role.INSURED, region=home.region, person=away.person)
    assert "person" in err.value.message_dict


def test_staff_need_a_role_and_region(db):
    with pytest.raises(ValidationError) as err:
        create_user(username="x", password=None, role="")
    assert {"role", "region"} <= set(err.value.message_dict)


def test_creating_a_user_is_audited_without_the_password_hash(db):
    user = create_user(username="xz-auditor", password="Correct-Horse-42", role=Role.AUDITOR,
                       region=Region.objects.get(pk="xuzhou"))
    event = AuditEvent.objects.get(action="create", object_type="accounts.user", object_id=str(user.pk))
    assert event.region_id == "xuzhou"
    assert "password" not in event.detail["fields"]
    assert "argon2" not in str(event.detail)


@override_settings(DEMO_MODE=False)
def test_outside_demo_mode_demo_passwords_are_an_error_and_get_retired(db):
    call_command("demo", region=["xuzhou"], insured=5, seed=1)
    assert users_with_demo_password()
    with pytest.raises(SystemCheckError, match="ltci.E001"):
        call_command("check", deploy=True)
    assert retire_demo_passwords() == len(User.objects.filter(is_demo=True))
    assert users_with_demo_password() == []
    assert not User.objects.get(username="xuzhou.clerk").has_usable_password()
    call_command("check")  # clean now


@override_settings(DEMO_MODE=True)
def test_in_demo_mode_demo_logins_work(client, db):
    from django.conf import settings

    call_command("demo", region=["xuzhou"], insured=5, seed=1)
    response = client.post("/login/", {"username": "xuzhou.clerk", "password": settings.DEMO_PASSWORD})
    assert response.status_code == 302
