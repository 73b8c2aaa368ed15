"""The institutions' ranking by confirmed findings over a period, and confirmed cases lowering the
star rating for twelve months."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ltci.providers import rating
from ltci.providers.models import Inspection
from ltci.supervision import cases, ranking, sanctions
from ltci.supervision.models import Case, CaseStatus, SanctionKind

from .support import MARCH, confirmed, make_hit, pdf, people, settled  # noqa: F401  (fixtures)
from .support import clerks, home  # noqa: F401

pytestmark = pytest.mark.django_db


def _confirm(w, people, *, institution="own", hits=1):
    made = [make_hit(w, MARCH, institution=institution) for _ in range(hits)]
    case = cases.open_case(w.region.pk, [h.pk for h in made], people["auditor"], assigned_to=people["auditor"])
    return cases.decide(case, people["auditor"], confirm=True, finding="属实", evidence=pdf())


def test_institutions_rank_by_confirmed_cases_then_hits_then_recovered(confirmed, settled, people):
    sanctions.apply(confirmed, people["clerk"], SanctionKind.RECOVERY, reason="虚报床日")
    sanctions.apply(confirmed, people["clerk"], SanctionKind.FINE, reason="违约", amount="2000")
    _confirm(settled, people, institution="other", hits=3)
    _confirm(settled, people, institution="other")
    dismissed = cases.open_case(settled.region.pk, [make_hit(settled, MARCH).pk], people["auditor"],
                                assigned_to=people["auditor"])
    cases.decide(dismissed, people["auditor"], confirm=False, finding="不属实")
    start, end = ranking.period(None, None)
    rows = ranking.ranking(settled.region.pk, start, end)
    assert [(r.institution, r.cases, r.hits) for r in rows] == [
        (settled.other_institution, 2, 4), (settled.institution, 1, 2)]
    assert rows[1].recovered == settled.feb_line.fund and rows[1].fined == Decimal("2000.00")
    assert [r.rank for r in rows] == [1, 2]


def test_the_period_counts_cases_by_the_day_they_were_decided(confirmed, settled):
    Case.objects.filter(pk=confirmed.pk).update(decided_at=timezone.make_aware(datetime(2024, 6, 1)))
    assert ranking.ranking(settled.region.pk, *ranking.period(None, None)) == []
    assert len(ranking.ranking(settled.region.pk, date(2024, 1, 1), date(2024, 12, 31))) == 1


@pytest.mark.parametrize("start, end, field", [("2026-02-30", "", "start"), ("", "x", "end"),
                                               ("2026-05-01", "2026-04-01", "start"),
                                               ("2010-01-01", "2026-01-01", "start")])
def test_a_bad_period_names_the_field(start, end, field):
    with pytest.raises(ValidationError) as exc:
        ranking.period(start, end)
    assert field in exc.value.message_dict


def test_each_confirmed_case_of_the_year_lowers_the_star_score_up_to_the_cap(home, people):
    today = timezone.localdate()
    Inspection.objects.create(institution=home.institution, on=today - timedelta(days=10), score=92,
                              inspector=people["clerk"])
    assert rating.star_rating(home.institution, today).stars == 5
    _confirm(home, people)
    r = rating.star_rating(home.institution, today)
    assert (r.confirmed_cases, r.deduction, r.score, r.stars) == (1, Decimal("5"), Decimal("87.0"), 4)
    for _ in range(5):
        _confirm(home, people)
    r = rating.star_rating(home.institution, today)
    assert r.confirmed_cases == 6 and r.deduction == rating.CASE_DEDUCTION_CAP and r.score == Decimal("72.0")
    # Cases older than the window no longer count; open or dismissed cases never do.
    Case.objects.update(decided_at=timezone.now() - timedelta(days=400))
    assert rating.star_rating(home.institution, today).score == Decimal("92.0")
    Case.objects.update(decided_at=timezone.now(), status=CaseStatus.DISMISSED)
    assert rating.star_rating(home.institution, today).deduction == 0
