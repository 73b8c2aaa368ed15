"""Ratings by the person served: a visit once, after check-out, by its own person; an institution once
a calendar month; the score and the comment checked; nothing changes on a refusal."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ltci.accounts.roles import Role
from ltci.audit.models import Action, AuditEvent
from ltci.care import ratings, visits
from ltci.care.models import VisitRating
from ltci.providers.models import InstitutionReview
from tests.portal.conftest import HOME, build_portal

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(world):
    """The portal's scene: a beneficiary at home with visits checked out, the insured account's own."""
    return build_portal(world)


def test_the_person_served_rates_a_checked_out_visit_once(portal):
    visit = portal["visits"][0]
    rating = ratings.rate_visit(visit, portal["insured"], score="4", comment="  准时，很耐心  ")
    assert (rating.score, rating.comment, rating.rated_by) == (4, "准时，很耐心", portal["insured"])
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="care.visitrating",
                                     object_id=str(rating.pk)).exists()
    with pytest.raises(ratings.AlreadyRated):
        ratings.rate_visit(visit, portal["insured"], score=1, comment="改主意了")
    assert list(VisitRating.objects.values_list("score", "comment")) == [(4, "准时，很耐心")]


def test_only_the_person_served_rates(portal):
    home = portal["home"]
    with pytest.raises(PermissionDenied):  # another person's visit
        ratings.rate_visit(portal["other_visit"], portal["insured"], score=5)
    for role in (Role.CARER, Role.CLERK, Role.INSTITUTION_ADMIN):  # nobody rates on the person's behalf
        with pytest.raises(PermissionDenied):
            ratings.rate_visit(portal["visits"][0], home.users[role], score=5)
    assert not VisitRating.objects.exists()


@pytest.mark.parametrize("score", [0, 6, -1, "abc", "", None, True, 4.5, "5 stars"])
def test_a_score_outside_one_to_five_names_the_field(portal, score):
    with pytest.raises(ValidationError) as exc:
        ratings.rate_visit(portal["visits"][0], portal["insured"], score=score)
    assert "score" in exc.value.message_dict
    assert not VisitRating.objects.exists()


def test_the_comment_is_limited_to_200_characters(portal):
    with pytest.raises(ValidationError) as exc:
        ratings.rate_visit(portal["visits"][0], portal["insured"], score=5, comment="好" * 201)
    assert "comment" in exc.value.message_dict
    assert not VisitRating.objects.exists()
    with pytest.raises(ValidationError):
        ratings.rate_visit(portal["visits"][0], portal["insured"], score=5, comment="好\x00")
    assert ratings.rate_visit(portal["visits"][0], portal["insured"], score=5, comment="好" * 200).comment == "好" * 200


def test_a_visit_not_checked_out_cannot_be_rated(portal):
    open_visit = visits.check_in(portal["carer_user"], person=portal["person"], request_id="open-1",
                                 latitude=str(HOME[0]), longitude=str(HOME[1]),
                                 at=timezone.now() - timedelta(minutes=5))
    with pytest.raises(ratings.Refused, match="尚未签退"):
        ratings.rate_visit(open_visit, portal["insured"], score=5)
    assert not VisitRating.objects.exists()


def test_a_corrected_visit_is_rated_once_across_its_versions(portal):
    visit = portal["visits"][0]
    ratings.rate_visit(visit, portal["insured"], score=3)
    fixed = visits.correct(visit, portal["clerk"], reason="漏选项目", items=["SC06", "SC19"])
    assert ratings.rating_of(fixed).score == 3
    with pytest.raises(ratings.AlreadyRated):
        ratings.rate_visit(fixed, portal["insured"], score=5)
    other = portal["visits"][1]
    newer = visits.correct(other, portal["clerk"], reason="签退时间有误")
    with pytest.raises(ratings.Refused, match="已更正"):
        ratings.rate_visit(other, portal["insured"], score=5)
    assert ratings.rate_visit(newer, portal["insured"], score=5).visit == newer


def test_an_institution_is_reviewed_once_a_month_by_someone_it_served(portal):
    institution, insured = portal["institution"], portal["insured"]
    first = ratings.rate_institution(institution, insured, score=4, comment="上门准时")
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="providers.institutionreview").exists()
    with pytest.raises(ratings.AlreadyRated, match="本月已评价"):
        ratings.rate_institution(institution, insured, score=1)
    assert InstitutionReview.objects.count() == 1
    # A month later the person may rate again.
    InstitutionReview.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(days=31))
    assert ratings.rate_institution(institution, insured, score=5).score == 5
    assert InstitutionReview.objects.count() == 2
    with pytest.raises(ValidationError) as exc:  # never served the person
        ratings.rate_institution(portal["home"].other_institution, insured, score=5)
    assert "institution" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        ratings.rate_institution(institution, portal["home"].users[Role.CLERK], score=5)


def test_the_month_is_the_local_calendar_month(portal):
    start, end = ratings._month_bounds(timezone.localdate().replace(month=12, day=31))
    assert (start.month, start.day, end.month, end.day, end.year - start.year) == (12, 1, 1, 1, 1)
    assert str(start.tzinfo) == "Asia/Shanghai"


def test_an_institutions_review_may_be_as_long_as_the_page_and_the_model_allow(portal):
    """The care page offers 300 characters for an institution's review (the model's limit): a
    250-character review is taken, 301 refused (it used to be cut at the visit's 200)."""
    done = ratings.rate_institution(portal["institution"], portal["insured"], score=4, comment="好" * 250)
    assert len(done.comment) == 250
    InstitutionReview.objects.filter(pk=done.pk).update(created_at=done.created_at - timedelta(days=40))
    with pytest.raises(ValidationError) as exc:
        ratings.rate_institution(portal["institution"], portal["insured"], score=4, comment="好" * 301)
    assert "comment" in exc.value.message_dict and "300" in exc.value.message_dict["comment"][0]


def test_a_comment_typed_on_two_lines_in_a_browser_is_taken(portal):
    """A browser sends a textarea's line break as CR LF: that is no control character."""
    rating = ratings.rate_visit(portal["visits"][0], portal["insured"], score=5, comment="准时\r\n很耐心")
    assert rating.comment == "准时\n很耐心"


@pytest.mark.parametrize("comment", ["好\x7f好", "好\x85好", "评价\u202e好很"])
def test_invisible_controls_and_bidi_overrides_are_refused(portal, comment):
    with pytest.raises(ValidationError) as exc:
        ratings.rate_visit(portal["visits"][0], portal["insured"], score=5, comment=comment)
    assert "comment" in exc.value.message_dict
    assert not VisitRating.objects.exists()


def test_a_rating_holds_across_a_correction_of_a_correction(portal, client_for):
    """Rated, corrected twice: the current version shows the rating given, not a refusal."""
    visit = portal["visits"][0]
    ratings.rate_visit(visit, portal["insured"], score=3, comment="还行")
    fixed = visits.correct(visit, portal["clerk"], reason="漏选项目", items=["SC06", "SC19"])
    fixed_again = visits.correct(fixed, portal["clerk"], reason="签退时间有误")
    rows = {v["id"]: v for v in client_for(portal["insured"]).get("/api/my/visits").json()}
    assert rows[fixed_again.pk]["rating"]["score"] == 3 and rows[fixed_again.pk]["rateable"] is False
