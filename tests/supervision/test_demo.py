"""The supervision demo: screened months, cases in every state, samples partly checked; a re-run adds nothing."""

import random

import pytest
from django.core.management import call_command

from ltci.accounts.models import User
from ltci.core.demo import DemoOptions
from ltci.core.models import Job, JobKind
from ltci.supervision import demo
from ltci.supervision.models import Case, CaseStatus, Sample, SampleOutcome, Sanction


@pytest.mark.django_db
def test_the_demo_shows_a_living_scheme(client_for, settings):
    settings.DEMO_MODE = True  # the demo's accounts log in in demo mode only
    call_command("demo", region=["xuzhou"], insured=120, seed=3)  # `ltci demo` runs the supervision part
    options = DemoOptions(region="xuzhou", insured=120, seed=3)
    assert Job.objects.filter(kind=JobKind.SCREENING, region="xuzhou").count() == 2
    statuses = set(Case.objects.values_list("status", flat=True))
    assert Case.objects.count() >= 2
    assert {CaseStatus.CONFIRMED, CaseStatus.DISMISSED} <= statuses
    assert set(Sanction.objects.values_list("kind", flat=True)) == {"recovery", "carer_suspension"}
    assert Sample.objects.exclude(outcome=SampleOutcome.PENDING).count() > 0
    # One waits for the demo auditor's home check (the auditor's journey).
    assert Sample.objects.filter(assigned_to__username="xuzhou.auditor", outcome=SampleOutcome.PENDING).exists()
    assert demo.build(options, random.Random("3:xuzhou:ltci.supervision.demo")) == {"screened months": 0}
    auditor = client_for(User.objects.get(username="xuzhou.auditor"))
    for url in ("/supervision/", "/supervision/hits/", "/supervision/cases/", "/supervision/samples/mine",
                "/supervision/ranking/", "/supervision/rules/", f"/supervision/cases/{Case.objects.first().pk}/"):
        assert auditor.get(url).status_code == 200, url
