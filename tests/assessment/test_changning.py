"""Changning: the community health centre screens before intake, and the level is Shanghai's, recorded
from the municipal assessment, not scored from the national scale."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from ltci.accounts.roles import Role
from ltci.assessment import services
from ltci.assessment.flow import State
from ltci.assessment.models import Application, Certificate

from .conftest import ALL_DEPENDENT, decide_all, make_pool, pdf, png


@pytest.fixture
def cn(db):
    from tests.conftest import build_region_world

    world = build_region_world("changning")
    Certificate.objects.filter(region=world.region).delete()
    Application.objects.filter(region=world.region).delete()
    return world


def test_a_changning_application_is_screened_and_records_the_municipal_level(cn):
    clerk = cn.users[Role.CLERK]
    pool = make_pool(cn.region)
    app = services.submit(user=clerk, person=cn.person, channel="counter", applicant_name="王小明",
                          applicant_relation="child", applicant_phone="13800000000", disabled_since=date(2025, 1, 1),
                          self_assessment=ALL_DEPENDENT, pledge_signed=True, acceptance_point="新泾镇社区卫生服务中心",
                          materials=[("outpatient_record", pdf())])
    with pytest.raises(services.NotAllowed) as exc:
        services.accept(app, clerk)
    assert "预评估" in exc.value.messages[0]
    services.screen(app, clerk, passed=True, note="")
    services.accept(app, clerk)
    task = services.assign(app, clerk)
    common = dict(guardian="王小明", photo=png(), latitude="31.22", longitude="121.42")
    with pytest.raises(ValidationError) as exc:
        services.record_visit(app, task.first.user, level="severe_1", external_reference="SH1", **common)
    assert "level" in exc.value.message_dict  # a national grade is not a Shanghai level
    with pytest.raises(ValidationError) as exc:
        services.record_visit(app, task.first.user, level="level_4", external_reference="", **common)
    assert "external_reference" in exc.value.message_dict
    services.record_visit(app, task.first.user, level="level_4", external_reference="SH2026-0001",
                          **{**common, "photo": png()})
    task.refresh_from_db()
    assert task.proposed_grade == "level_4" and task.scores == {} and "市级" in task.explanation[0]["what"]
    decide_all(app, "level_4")
    assert app.state == State.IN_PUBLICITY
    services.certify(app, clerk, on=app.publicity_until + timedelta(days=1))
    cert = Certificate.objects.get(application=app)
    assert cert.grade == "level_4" and cert.qualifies and cert.totals == {}


def test_screening_can_stop_an_application_with_the_reason(cn):
    clerk = cn.users[Role.CLERK]
    app = services.submit(user=clerk, person=cn.person, channel="counter", applicant_name="王小明",
                          applicant_relation="child", applicant_phone="13800000000", disabled_since=date(2025, 1, 1),
                          self_assessment=ALL_DEPENDENT, pledge_signed=True, acceptance_point="新泾镇社区卫生服务中心",
                          materials=[("outpatient_record", pdf())])
    with pytest.raises(ValidationError):
        services.screen(app, clerk, passed=False, note="")
    services.screen(app, clerk, passed=False, note="能独立行走，明显达不到待遇等级")
    app.refresh_from_db()
    assert app.state == State.SCREENED_OUT
    assert app.transitions.last().note == "能独立行走，明显达不到待遇等级"
