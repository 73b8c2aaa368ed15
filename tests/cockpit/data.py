"""Known data for the cockpit's tests: every figure's value follows from what is made here.

Period 2025-01 … 2025-06 (figures on 2025-06-30). In the region:
insured 6 (the world's two + p3..p6; p7 ended in May, p8 starts in July); beneficiaries 3 (the
world's person severe_1, p3 and p4 severe_2; p5 expired in May, p6 does not qualify), cumulative 4;
modes institution_care 1, family_care 1 (p3's later choice), none 1 (p4 chooses in August);
certified carers 4 (the world's one + 3; one inactive and a family carer not counted); institutions
3 with 60 beds (a terminated one not counted), one bed occupied; applications: 4 submitted in the
period, accepted in 3 and 5 days (4.0), concluded in 40 and 30 days (35.0); the fund 50.00 before,
+1000.00 in January, −300.25 in March; hits of two rules, cases open 1 and confirmed 1 (the
first rule's confirmed hit went into the confirmed case).
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from ltci.accounts.roles import Role
from ltci.assessment.models import Application, Certificate
from ltci.care.models import CareChoice, Stay
from ltci.enrolment.idcard import make_id_number
from ltci.enrolment.models import Enrolment
from ltci.fund.services import Entry, post
from ltci.providers.demo import credit_code
from ltci.providers.models import Carer, Institution, InstitutionKind, InstitutionStatus
from ltci.supervision.models import Case, Hit
from tests.conftest import _place, make_person

START, END, DAY = "2025-01", "2025-06", date(2025, 6, 30)


def app(world, person, n, state, submitted, accepted=None):
    return Application.objects.create(
        region=world.region, person=person, number=f"K{world.region.pk}{n}", channel="counter", applicant_name="家属",
        applicant_relation="child", applicant_phone="13800000000", disabled_since=date(2024, 1, 1),
        self_assessment_letter="G", pledge_signed=True, state=state, submitted_on=submitted,
        intake_due=submitted, accepted_on=accepted, created_by=world.users[Role.CLERK])


def cert(world, person, application, n, grade, valid_from, valid_until, issued, qualifies=True):
    c = Certificate.objects.create(region=world.region, person=person, application=application,
                                   number=f"Z{world.region.pk}{n}", grade=grade, qualifies=qualifies,
                                   valid_from=valid_from, valid_until=valid_until)
    Certificate.objects.filter(pk=c.pk).update(issued_at=datetime(*issued, 4, 0, tzinfo=UTC))
    return c


def carer(region, n, kind="certified", active=True, institution=None):
    return Carer.objects.create(region=region, institution=institution, kind=kind, active=active, name=f"护理员{n}",
                                id_number=make_id_number(_place(region), date(1970, 1, 1) + timedelta(days=n), 50 + n, "F"))


def rule_codes() -> list[str]:
    from ltci.supervision.rulebase import RULES

    return sorted(RULES)[:2]


def build(world) -> dict:
    region, clerk = world.region, world.users[Role.CLERK]
    p = {n: make_person(region, 10 + n, name=f"参保人{n}") for n in range(3, 9)}
    Enrolment.objects.filter(person=p[7]).update(status="ended", end=date(2025, 5, 1), end_reason="moved_out")
    Enrolment.objects.filter(person=p[8]).update(start=date(2025, 7, 1))

    # applications and certificates
    Certificate.objects.filter(pk=world.certificate.pk).update(issued_at=datetime(2025, 2, 15, 4, tzinfo=UTC))
    a1 = app(world, p[3], 1, "certified", date(2025, 2, 3), date(2025, 2, 6))
    app(world, p[4], 2, "in_review", date(2025, 3, 3), date(2025, 3, 8))
    a3 = app(world, p[4], 3, "certified", date(2024, 11, 21), date(2024, 12, 1))
    a5 = app(world, p[5], 5, "certified", date(2023, 11, 1))
    a6 = app(world, p[6], 6, "certified", date(2024, 10, 1))
    cert(world, p[3], a1, 3, "severe_2", date(2025, 1, 1), date(2026, 12, 31), (2025, 3, 5))
    cert(world, p[4], a3, 4, "severe_2", date(2025, 3, 1), date(2027, 2, 28), (2024, 12, 20))
    cert(world, p[5], a5, 5, "severe_3", date(2024, 1, 1), date(2025, 5, 31), (2023, 12, 20))
    cert(world, p[6], a6, 6, "moderate", date(2024, 11, 1), date(2026, 10, 31), (2024, 10, 20), qualifies=False)

    # care modes and stays
    CareChoice.objects.create(region=region, person=world.person, mode="institution_care",
                              institution=world.institution, effective_from=date(2025, 2, 1), created_by=clerk)
    CareChoice.objects.create(region=region, person=p[3], mode="home_visit", institution=world.institution,
                              effective_from=date(2025, 1, 1), created_by=clerk)
    CareChoice.objects.create(region=region, person=p[3], mode="family_care", effective_from=date(2025, 4, 1),
                              created_by=clerk)
    CareChoice.objects.create(region=region, person=p[4], mode="home_visit", institution=world.institution,
                              effective_from=date(2025, 8, 1), created_by=clerk)
    Stay.objects.create(region=region, person=world.person, institution=world.institution, bed="1",
                        admitted_on=date(2025, 2, 1), entered_by=clerk)
    Stay.objects.create(region=region, person=p[5], institution=world.institution, bed="2",
                        admitted_on=date(2025, 1, 1), discharged_on=date(2025, 3, 1), entered_by=clerk)

    # institutions and carers
    Institution.objects.filter(pk=world.institution.pk).update(filed_beds=30)
    Institution.objects.filter(pk=world.other_institution.pk).update(filed_beds=20)
    import random

    for n, (kind, status, beds) in enumerate(((InstitutionKind.MEDICAL, InstitutionStatus.ACTIVE, 10),
                                              (InstitutionKind.HOME_CARE, InstitutionStatus.TERMINATED, 5)), 3):
        Institution.objects.create(region=region, name=f"{region.name}第{n}机构", kind=kind, status=status,
                                   filed_beds=beds,
                                   credit_code=credit_code("52", _place(region), random.Random(f"c{region.pk}{n}")))
    for n in range(3):
        carer(region, n, institution=world.institution)
    carer(region, 3, active=False, institution=world.institution)
    carer(region, 4, kind="family")

    # the fund
    for key, on, entries in (
            ("before", date(2024, 12, 10), [Entry("1002", debit=Decimal("50.00")), Entry("4101", credit=Decimal("50.00"))]),
            ("jan", date(2025, 1, 15), [Entry("1002", debit=Decimal("1000.00")), Entry("4104", credit=Decimal("1000.00"))]),
            ("mar", date(2025, 3, 20), [Entry("5101", debit=Decimal("300.25")), Entry("1002", credit=Decimal("300.25"))]),
            ("after", date(2025, 7, 1), [Entry("1002", debit=Decimal("999.00")), Entry("4101", credit=Decimal("999.00"))])):
        post(region_id=region.pk, key=f"cockpit:{region.pk}:{key}", posted_on=on, kind="test", memo=key,
             source=region, entries=entries)

    # supervision
    r1, r2 = rule_codes()
    for n, (rule, month, status) in enumerate(((r1, date(2025, 2, 1), "new"), (r1, date(2025, 3, 1), "confirmed"),
                                               (r2, date(2025, 5, 1), "new"), (r1, date(2024, 12, 1), "new"))):
        Hit.objects.create(region=region, month=month, rule=rule, severity="low", key=f"k{n}", status=status)
    made = [Case.objects.create(region=region, number=f"AJ{region.pk}{n}", month=month, title="案由", status=status,
                                opened_by=world.users[Role.AUDITOR])
            for n, (month, status) in enumerate(((date(2025, 2, 1), "open"), (date(2025, 4, 1), "confirmed"),
                                                 (date(2025, 9, 1), "dismissed")))]
    Hit.objects.filter(region=region, rule=r1, status="confirmed").update(case=made[1])  # the first rule's case
    return {"persons": p, "rules": (r1, r2)}
