"""Designation, agreement and status: an application checked at the edge, approval making the
institution and its agreement, agreed prices used by plans, suspension and termination."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ltci.accounts.roles import Role
from ltci.care import choices
from ltci.providers import designation, quality
from ltci.providers.catalogue import price_for
from ltci.providers.demo import credit_code
from ltci.providers.models import CatalogueItem, Designation, Institution, InstitutionStatus
from ltci.providers.rating import star_rating

FUTURE = date.today() + timedelta(days=365)


def application(**overrides):
    import random

    fields = dict(name="泉山区安康居家护理服务有限公司", credit_code=credit_code("91", "320311", random.Random(7)),
                  kind="home_care", district="泉山区", address="解放路1号", latitude="34.26", longitude="117.18",
                  filed_beds=0, staff=12, licence_number="XK-2025-01", licence_expiry=FUTURE,
                  liability_insurer="某财产保险公司", liability_policy="ZR-001", liability_expiry=FUTURE)
    fields.update(overrides)
    return fields


@pytest.mark.parametrize("field,overrides", [
    ("credit_code", {"credit_code": "91320311MA1X0000X0"}),
    ("filed_beds", {"filed_beds": 20}),
    ("filed_beds", {"kind": "elderly_care", "filed_beds": 0}),
    ("filed_beds", {"kind": "elderly_care", "filed_beds": -5}),
    ("filed_beds", {"kind": "elderly_care", "filed_beds": 10**20}),
    ("staff", {"staff": 10**20}),
    ("liability_expiry", {"liability_expiry": date.today() - timedelta(days=1)}),
    ("staff", {"staff": 0}),
    ("name", {"name": ""}),
    ("latitude", {"latitude": "95"}),
])
def test_an_application_is_checked_at_the_edge(world, field, overrides):
    with pytest.raises(ValidationError) as exc:
        designation.submit("xuzhou", world["home"].users[Role.CLERK], **application(**overrides))
    assert field in exc.value.message_dict and not Designation.objects.exists()


def test_approval_makes_the_institution_and_its_agreement_and_prices_override_the_catalogue(world):
    clerk = world["home"].users[Role.CLERK]
    made, warnings = designation.submit("xuzhou", clerk, **application())
    with pytest.raises(ValidationError) as exc:
        designation.approve(made, clerk, agreement_number="XZ-2026-01", start=date(2026, 1, 1), end=date(2027, 12, 31),
                            modes=["institution_care"], penalties="")
    assert "modes" in exc.value.message_dict  # a home-care provider does not run beds
    agreement = designation.approve(made, clerk, agreement_number="XZ-2026-01", start=date(2026, 1, 1),
                                    end=date(2027, 12, 31), modes=["home_visit"], penalties="违约追回并扣减保证金")
    institution = agreement.institution
    assert institution.kind == "home_care" and institution.latitude == Decimal("34.260000")
    item = CatalogueItem.objects.get(region_id="xuzhou", code="SC06")
    assert price_for(institution, item, date(2026, 6, 1)) is None
    designation.set_prices(agreement, clerk, {"SC06": "48.00"})
    assert price_for(institution, item, date(2026, 6, 1)) == Decimal("48.00")
    with pytest.raises(ValidationError):
        designation.set_prices(agreement, clerk, {"SC06": "50.00"})  # once agreed, changed by a new agreement
    with pytest.raises(ValidationError):
        designation.approve(made, clerk, agreement_number="XZ-2026-02", start=date(2026, 1, 1),
                            end=date(2027, 12, 31), modes=["home_visit"], penalties="")


def test_a_rejection_needs_a_reason(world):
    clerk = world["home"].users[Role.CLERK]
    made, _ = designation.submit("xuzhou", clerk, **application())
    with pytest.raises(ValidationError):
        designation.reject(made, clerk, note="")
    assert designation.reject(made, clerk, note="责任保险不足").status == "rejected"


def test_a_suspended_institution_takes_no_new_client_until_the_date_and_a_terminated_one_none(world):
    clerk = world["home"].users[Role.CLERK]
    inst = world["home"].institution
    inst.kind = "home_care"
    inst.save()
    until = date.today() + timedelta(days=90)
    designation.suspend(inst, clerk, until=until, reason="诱导重复评估（长宁 二(二)2）")
    inst.refresh_from_db()
    assert inst.status == InstitutionStatus.SUSPENDED and inst.suspended_until == until
    assert "暂停接收新参保人" in choices.takes_new_clients(inst, date.today())
    assert choices.takes_new_clients(inst, until + timedelta(days=1)) is None
    designation.terminate(inst, clerk, on=date.today(), reason="严重违约")
    assert "终止" in choices.takes_new_clients(Institution.objects.get(pk=inst.pk), until + timedelta(days=1))


def test_the_star_rating_combines_inspections_and_reviews(world):
    clerk = world["home"].users[Role.CLERK]
    inst = world["home"].institution
    assert star_rating(inst, date.today()).stars is None
    quality.inspect(inst, clerk, on=date.today(), score=92)
    assert star_rating(inst, date.today()).stars == 5
    choices.choose(world["home"].person, clerk, mode="home_visit", effective_from=date(2025, 1, 1),
                   institution=inst, home_latitude="34.26", home_longitude="117.18")
    quality.review(inst, world["home"].person, score=2, comment="迟到")
    rating = star_rating(inst, date.today())
    assert rating.score == Decimal("71.2") and rating.stars == 3  # 0.6 × 92 + 0.4 × 40
    with pytest.raises(ValidationError):
        quality.review(inst, world["home"].other_person, score=5)  # never served by it


def test_the_pages_record_review_and_supervise(world, client_for):
    clerk = client_for(world["home"].users[Role.CLERK])
    form = {**application(), "do": "submit", "licence_expiry": FUTURE.isoformat(), "liability_expiry": FUTURE.isoformat()}
    assert clerk.post("/institutions/designations/", form).status_code == 302
    made = Designation.objects.get()
    bad = clerk.post("/institutions/designations/", {"do": "approve", "pk": made.pk, "agreement_number": "A1",
                                                       "start": "2026-01-01", "end": "2025-01-01", "modes": ["home_visit"]})
    assert bad.status_code == 422 and "协议终止日期须晚于起始日期" in bad.content.decode()
    clerk.post("/institutions/designations/", {"do": "approve", "pk": made.pk, "agreement_number": "A1",
                                                 "start": "2026-01-01", "end": "2027-12-31", "modes": ["home_visit"]})
    made.refresh_from_db()
    assert made.status == "approved"
    page = clerk.get(f"/institutions/{made.institution_id}/").content.decode()
    assert "A1" in page and "暂无检查和评价" in page
    response = clerk.post(f"/institutions/{made.institution_id}/", {"do": "inspection", "on": "2026-01-05",
                                                                     "score": "abc"})
    assert response.status_code == 422 and "请填写整数" in response.content.decode()
    clerk.post(f"/institutions/{made.institution_id}/", {"do": "inspection", "on": date.today().isoformat(),
                                                          "score": "95"})
    assert "5 星" in clerk.get(f"/institutions/{made.institution_id}/").content.decode()
    carer = client_for(world["home"].users[Role.CARER])
    assert carer.post(f"/institutions/{world['home'].institution.pk}/", {"do": "suspend"}).status_code == 403


def test_an_agreement_starting_before_the_region_s_first_policy_version_is_refused_not_a_500(world, client_for):
    """Found by Schemathesis: the modes of the start day were looked up and raised a 500."""
    clerk = world["home"].users[Role.CLERK]
    made, _ = designation.submit("xuzhou", clerk, **application())
    response = client_for(clerk).post(f"/api/designations/{made.pk}/approve", {
        "agreement_number": "XZ-2000-01", "start": "2000-01-01", "end": "2001-12-31", "modes": ["home_visit"]},
        content_type="application/json")
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "start"
    assert response.json()["message"] == "2000-01-01早于徐州市长护险政策的施行日期（2022-01-01）"
    made.refresh_from_db()
    assert made.status == "submitted" and not Institution.objects.filter(name=made.name).exists()
