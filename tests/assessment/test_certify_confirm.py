"""出具结论 on the application page shows the conclusion it will issue and issues it only when confirmed."""

from datetime import timedelta

import pytest

from ltci.accounts.roles import Role
from ltci.assessment import services
from ltci.assessment.flow import State
from ltci.assessment.models import Application, Certificate

from tests.confirming import ask, confirmed_post

from .conftest import walk

pytestmark = pytest.mark.django_db


def test_the_conclusion_is_shown_before_it_is_issued(world, pool, applicant, client_for):
    app = walk(world, pool, applicant, to="in_publicity")
    Application.objects.filter(pk=app.pk).update(publicity_until=services.today() - timedelta(days=1))
    clerk = client_for(world["home"].users[Role.CLERK])
    url = f"/assessment/{app.pk}/certify"
    page = ask(clerk, url, {})
    for words in ("确认出具评估结论", app.number, applicant.name, services.grade_label("severe_1"), "长期护理保险待遇", "有效期",
                  "确认出具结论"):
        assert words in page, words
    assert not Certificate.objects.exists() and Application.objects.get(pk=app.pk).state == State.IN_PUBLICITY
    done = confirmed_post(clerk, url, {}, follow=True).content.decode()
    assert "已办理：公示期满，出具结论" in done
    assert Certificate.objects.get().application_id == app.pk
    assert Application.objects.get(pk=app.pk).state == State.CERTIFIED
