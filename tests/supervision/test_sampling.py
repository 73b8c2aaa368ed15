"""Random sampling: the share of a month's checked-out visits, reproducible from the recorded seed,
never a visit twice; outcomes recorded only by the assigned auditor; 服务不实 becomes a hit."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ltci.audit.models import Action, AuditEvent
from ltci.settlement.review import StepRefused
from ltci.supervision import cases, rulebase, sampling
from ltci.supervision.models import Hit, HitStatus, Sample, SampleOutcome

from .support import MARCH, people, visit, visiting  # noqa: F401  (fixtures)
from .support import home  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def visits(home, people):
    """40 checked-out visits in March (and one not checked out, one in April) at a ten per cent share."""
    inst, carer = visiting(home)
    made = [visit(home, inst, carer, MARCH + timedelta(days=d % 28), n=d // 28) for d in range(40)]
    open_one = visit(home, inst, carer, date(2025, 3, 30))
    open_one.checkout_at = None
    open_one.save()
    visit(home, inst, carer, date(2025, 4, 2))
    rulebase.change_setting(home.region.pk, rulebase.SAMPLING, people["auditor"], enabled=True,
                            params={"share": "0.10"}, valid_from=date(2025, 1, 1), reason="第三方核查比例")
    home.inst, home.carer, home.march_visits = inst, carer, made
    return home


def test_a_draw_takes_the_share_reproducibly_from_the_recorded_seed(visits, people):
    made = sampling.draw(visits.region.pk, MARCH, people["auditor"])
    assert len(made) == 4  # ceil(40 × 0.10)
    seed = made[0].seed
    assert seed == sampling.seed_for(visits.region.pk, MARCH) and made[0].share == Decimal("0.1000")
    # Anyone can redo the draw from the seed and the month's visits.
    expected = sorted((v.pk for v in visits.march_visits), key=lambda i: sampling.rank(seed, i))[:4]
    assert sorted(s.visit_id for s in made) == sorted(expected)
    Sample.objects.all().delete()
    again = sampling.draw(visits.region.pk, MARCH, people["auditor"])
    assert sorted(s.visit_id for s in again) == sorted(expected)
    event = AuditEvent.objects.filter(action=Action.BATCH, object_type="supervision.sample").last()
    assert event.detail["seed"] == seed and event.detail["population"] == 40


def test_drawing_again_adds_nothing_and_never_draws_a_visit_twice(visits, people):
    first = {s.visit_id for s in sampling.draw(visits.region.pk, MARCH, people["auditor"])}
    assert sampling.draw(visits.region.pk, MARCH, people["auditor"]) == []
    # Ten late visits raise the target by one: one more is drawn, none again.
    for d in range(10):
        visit(visits, visits.inst, visits.carer, MARCH + timedelta(days=d), n=5)
    more = sampling.draw(visits.region.pk, MARCH, people["auditor"])
    assert len(more) == 1 and more[0].visit_id not in first
    assert Sample.objects.count() == 5 == len(set(Sample.objects.values_list("visit_id", flat=True)))


def test_a_month_not_begun_cannot_be_drawn(visits):
    with pytest.raises(ValidationError) as exc:
        sampling.parse_month("2999-01")
    assert "month" in exc.value.message_dict
    with pytest.raises(ValidationError):
        sampling.parse_month("2025-13")


@pytest.fixture
def assigned(visits, people):
    sampling.draw(visits.region.pk, MARCH, people["auditor"])
    sample = Sample.objects.order_by("id").first()
    sampling.assign([sample.pk], people["second"], people["auditor"], region=visits.region.pk)
    sample.refresh_from_db()
    return sample


def test_samples_are_assigned_only_to_auditors_of_the_region(visits, people):
    sampling.draw(visits.region.pk, MARCH, people["auditor"])
    ids = list(Sample.objects.values_list("pk", flat=True))
    with pytest.raises(ValidationError) as exc:
        sampling.assign(ids, people["clerk"], people["auditor"], region=visits.region.pk)
    assert "assigned_to" in exc.value.message_dict
    assert sampling.assign_evenly(visits.region.pk, MARCH, people["auditor"]) == 4
    assert {s.assigned_to_id for s in Sample.objects.all()} == {people["auditor"].pk, people["second"].pk}


def test_only_the_assigned_auditor_records_the_outcome(assigned, people):
    with pytest.raises(StepRefused, match="被分派"):
        sampling.record_outcome(assigned, people["auditor"], method="call", outcome="confirmed")
    sampling.record_outcome(assigned, people["second"], method="call", outcome="confirmed", note="本人确认已服务")
    assigned.refresh_from_db()
    assert assigned.outcome == SampleOutcome.CONFIRMED and assigned.checked_by == people["second"]
    assert AuditEvent.objects.filter(action=Action.TRANSITION, object_type="supervision.sample",
                                     object_id=str(assigned.pk)).exists()
    with pytest.raises(StepRefused, match="已登记"):
        sampling.record_outcome(assigned, people["second"], method="call", outcome="not_confirmed", note="改")


@pytest.mark.parametrize("kw, field", [
    ({"method": "email"}, "method"), ({"outcome": "pending"}, "outcome"), ({"note": "x" * 501}, "note"),
    ({"outcome": "not_confirmed", "note": ""}, "note"), ({"method": "visit"}, "latitude"),
    ({"method": "visit", "latitude": "95", "longitude": "117.1"}, "latitude"),
    ({"method": "visit", "latitude": "34.2", "longitude": ""}, "latitude"),
])
def test_bad_outcome_input_names_the_field_and_changes_nothing(assigned, people, kw, field):
    args = {"method": "call", "outcome": "confirmed", "note": "", **kw}
    with pytest.raises(ValidationError) as exc:
        sampling.record_outcome(assigned, people["second"], **args)
    assert field in exc.value.message_dict
    assigned.refresh_from_db()
    assert assigned.outcome == SampleOutcome.PENDING and assigned.checked_at is None


def test_a_home_check_keeps_the_phones_location(assigned, people):
    sampling.record_outcome(assigned, people["second"], method="visit", outcome="confirmed", note="",
                            latitude="34.261234", longitude="117.188")
    assigned.refresh_from_db()
    assert (assigned.latitude, assigned.longitude) == (Decimal("34.261234"), Decimal("117.188000"))


def test_service_not_delivered_becomes_a_hit_a_case_can_take(assigned, people):
    sampling.record_outcome(assigned, people["second"], method="call", outcome="not_confirmed",
                            note="家属称当天无人上门")
    hit = Hit.objects.get(rule=sampling.SAMPLE_RULE)
    assert hit.records == {"visit": [assigned.visit_id]} and hit.status == HitStatus.NEW
    assert hit.institution_id == assigned.visit.institution_id and hit.carer_id == assigned.visit.carer_id
    assert "家属称当天无人上门" in rulebase.describe(hit.rule, hit.detail, hit.params)
    case = cases.open_case(assigned.region_id, [hit.pk], people["auditor"])
    assert case.hits.get() == hit


def test_a_region_that_switched_the_rule_off_gets_no_hit(assigned, people):
    rulebase.change_setting(assigned.region_id, sampling.SAMPLE_RULE, people["auditor"], enabled=False,
                            valid_from=date(2025, 1, 1), reason="改由人工立案")
    sampling.record_outcome(assigned, people["second"], method="call", outcome="not_confirmed", note="无人上门")
    assert not Hit.objects.exists()
