"""Cases: opened from hits of the region not in a case, grouped per institution or person, decided
only by the assigned auditor with a finding and evidence; a confirmed case holds exactly the
unapproved lines of its hits' persons and months."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from ltci.settlement import review
from ltci.settlement.models import Hold, Line
from ltci.settlement.review import StepRefused
from ltci.supervision import cases
from ltci.supervision.models import Case, CaseStatus, Hit, HitStatus

from .support import FEB, MARCH, confirmed, make_hit, pdf, people, settled  # noqa: F401  (fixtures)
from .support import clerks, home  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_case_takes_its_hits_and_is_numbered_per_region_and_month(home, people):
    hits = [make_hit(home, MARCH), make_hit(home, MARCH)]
    case = cases.open_case(home.region.pk, [h.pk for h in hits], people["auditor"])
    assert case.number == "稽核320300-202503-0001" and case.institution == home.institution
    assert case.title.startswith(home.institution.name) and case.status == CaseStatus.OPEN
    assert set(Hit.objects.values_list("status", flat=True)) == {HitStatus.IN_CASE}
    second = cases.open_case(home.region.pk, [make_hit(home, MARCH).pk], people["auditor"])
    assert second.number == "稽核320300-202503-0002"


def test_a_hit_already_in_a_case_or_of_another_region_is_refused_and_nothing_changes(world, home, people):
    hit = make_hit(home, MARCH)
    cases.open_case(home.region.pk, [hit.pk], people["auditor"])
    fresh = make_hit(home, MARCH)
    with pytest.raises(StepRefused, match="已在其他案件中"):
        cases.open_case(home.region.pk, [hit.pk, fresh.pk], people["auditor"])
    away = world["away"]
    far = make_hit(away, MARCH, region=away.region)
    with pytest.raises(ValidationError) as exc:
        cases.open_case(home.region.pk, [far.pk], people["auditor"])
    assert "hits" in exc.value.message_dict
    with pytest.raises(ValidationError):
        cases.open_case(home.region.pk, [], people["auditor"])
    assert Case.objects.count() == 1 and Hit.objects.get(pk=fresh.pk).status == HitStatus.NEW


def test_a_months_new_hits_are_grouped_per_institution_and_per_person_without_one(home, people):
    make_hit(home, MARCH)
    make_hit(home, MARCH, person="other")
    make_hit(home, MARCH, institution="other")
    make_hit(home, MARCH, institution=None)
    make_hit(home, MARCH, institution=None)
    make_hit(home, FEB)  # another month: not taken
    made = cases.open_cases_for_month(home.region.pk, MARCH, people["auditor"], assigned_to=people["second"])
    assert sorted(c.hits.count() for c in made) == [1, 2, 2]
    assert {c.institution_id for c in made} == {home.institution.pk, home.other_institution.pk, None}
    assert all(c.assigned_to == people["second"] for c in made)
    assert Hit.objects.filter(status=HitStatus.NEW).count() == 1
    with pytest.raises(StepRefused):
        cases.open_cases_for_month(home.region.pk, MARCH, people["auditor"])


def test_only_an_auditor_of_the_region_can_be_assigned(home, people):
    case = cases.open_case(home.region.pk, [make_hit(home, MARCH).pk], people["auditor"])
    with pytest.raises(ValidationError) as exc:
        cases.assign(case, people["clerk"], people["auditor"])
    assert "assigned_to" in exc.value.message_dict
    cases.assign(case, people["second"], people["auditor"])
    assert Case.objects.get().assigned_to == people["second"]


def test_only_the_assigned_auditor_decides(home, people):
    case = cases.open_case(home.region.pk, [make_hit(home, MARCH).pk], people["auditor"],
                           assigned_to=people["second"])
    with pytest.raises(StepRefused, match="承办"):
        cases.decide(case, people["auditor"], confirm=False, finding="无问题")
    cases.decide(case, people["second"], confirm=False, finding="入住记录重复录入，已更正，不构成违规")
    case.refresh_from_db()
    assert case.status == CaseStatus.DISMISSED and case.decided_by == people["second"]
    assert Hit.objects.get().status == HitStatus.DISMISSED
    with pytest.raises(StepRefused):
        cases.decide(case, people["second"], confirm=True, finding="再次", evidence=pdf())


@pytest.mark.parametrize("finding, evidence, field", [
    ("", None, "finding"),
    ("x" * (cases.FINDING_MAX + 1), pdf(), "finding"),
    ("属实", None, "evidence"),
    ("属实", SimpleUploadedFile("evidence.exe", b"MZ\x90\x00", "application/octet-stream"), "evidence"),
    ("属实", SimpleUploadedFile("evidence.pdf", b"GIF89a....", "application/pdf"), "evidence"),
    ("属实", SimpleUploadedFile("evidence.png", b"", "image/png"), "evidence"),
])
def test_bad_decision_input_names_the_field_and_changes_nothing(settled, people, finding, evidence, field):
    case = cases.open_case(settled.region.pk, [make_hit(settled, MARCH).pk], people["auditor"],
                           assigned_to=people["auditor"])
    with pytest.raises(ValidationError) as exc:
        cases.decide(case, people["auditor"], confirm=True, finding=finding, evidence=evidence)
    assert field in exc.value.message_dict
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and not case.evidence and not Hold.objects.exists()
    assert Hit.objects.get().status == HitStatus.IN_CASE


def test_an_oversized_evidence_file_is_refused(settled, people, settings):
    settings.MATERIAL_MAX_BYTES = 64
    case = cases.open_case(settled.region.pk, [make_hit(settled, MARCH).pk], people["auditor"],
                           assigned_to=people["auditor"])
    with pytest.raises(ValidationError, match="MB"):
        cases.decide(case, people["auditor"], confirm=True, finding="属实", evidence=pdf(body=b"%PDF" + b"0" * 100))
    assert Case.objects.get().status == CaseStatus.OPEN


def test_confirming_holds_the_unapproved_lines_of_the_hits_and_nothing_else(confirmed, settled):
    # March is unapproved: held. February is approved: left to the recovery sanction.
    assert list(Hold.objects.values_list("line_id", flat=True)) == [settled.march_line.pk]
    assert Hold.objects.get().reason.startswith(f"稽核案件{confirmed.number}")
    assert review.waiting(Line.objects.filter(pk=settled.march_line.pk)).count() == 0
    assert set(confirmed.hits.values_list("status", flat=True)) == {HitStatus.CONFIRMED}
    path = Path(settings.UPLOAD_DIR) / confirmed.evidence.name
    assert path.read_bytes().startswith(b"%PDF")


def test_a_hit_of_another_person_holds_none_of_the_persons_lines(settled, people):
    case = cases.open_case(settled.region.pk, [make_hit(settled, MARCH, person="other").pk], people["auditor"],
                           assigned_to=people["auditor"])
    cases.decide(case, people["auditor"], confirm=True, finding="属实", evidence=pdf())
    assert not Hold.objects.exists()


def test_a_dismissed_case_holds_nothing(settled, people):
    case = cases.open_case(settled.region.pk, [make_hit(settled, MARCH).pk], people["auditor"],
                           assigned_to=people["auditor"])
    cases.decide(case, people["auditor"], confirm=False, finding="不属实")
    assert not Hold.objects.exists()
