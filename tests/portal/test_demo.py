"""The portal's demo: the demo insured accounts find something to do."""

import random

from django.core.management import call_command

from ltci.accounts.models import User
from ltci.care.models import CarePlan, VisitRating
from ltci.core.demo import DemoOptions
from ltci.portal import demo
from ltci.settlement.models import Line


def test_the_demo_gives_the_insured_and_a_family_account_things_to_do(db, client_for, settings):
    settings.DEMO_MODE = True  # the demo's accounts log in in demo mode only
    # The demo command runs the portal's demo among the others (ltci.core.demo); a second run adds nothing.
    call_command("demo", region=["jiaxing"], insured=120, seed=3)
    options = DemoOptions(region="jiaxing", insured=120, seed=3)
    assert demo.build(options, random.Random("3:jiaxing:ltci.portal.demo"))["portal family accounts"] == 0

    family = User.objects.get(username="jiaxing.family")
    rated = VisitRating.objects.filter(rated_by=family).count()
    assert rated > 0
    assert family.is_demo and family.person_id
    client = client_for(family)
    home = client.get("/api/my").json()
    assert len(home["plans_to_confirm"]) == 1 and home["visits_to_rate"]
    assert VisitRating.objects.filter(rated_by=family).count() == rated  # nothing rated twice by the rerun
    assert CarePlan.objects.filter(person=family.person, status="draft").count() == 1
    assert Line.objects.filter(person=family.person).exists()  # a benefit to read
    assert client.get("/my/care/").status_code == 200 and client.get("/my/institutions/").status_code == 200
    assert client.get("/api/my/institutions").json()  # institutions to choose from

    insured = User.objects.get(username="jiaxing.insured")
    followed = client_for(insured).get("/api/my").json()["application"]
    assert followed["state"] == "in_publicity" and followed["may_object"] is True
