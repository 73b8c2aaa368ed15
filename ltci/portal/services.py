"""What the portal shows the insured and their family, and the one action it adds: choosing an
institution from the list. Every other action is the owning app's service (assessment.services,
care.plans, care.ratings, care.choices); the portal only finds the person's own rows and calls them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from ltci.accounts.roles import Reach
from ltci.accounts.scope import record_out_of_scope, visible
from ltci.assessment import services as assessment
from ltci.assessment.flow import OPEN
from ltci.assessment.models import Application, Certificate
from ltci.care import choices
from ltci.care.models import (
    VISITED_MODES,
    CarePlan,
    PlanStatus,
    Stay,
    Visit,
    VisitRating,
)
from ltci.care.ratings import rating_of, why_not_rateable
from ltci.enrolment.models import Person
from ltci.providers.models import CatalogueItem

RECENT_DAYS = 60  # visits shown (and offered for rating) on the phone
CHOICE_AHEAD_DAYS = 90
# Steps whose notes are the agency's own bookkeeping, not news for the applicant: who is drawn to
# assess (assign names the two evaluators; an applicant who knows them before the visit could
# approach them), redrawn or reassigned. A pool's shortfall (draw_short) is not a step at all.
INTERNAL_STEPS = frozenset({"assign", "redraw", "reassign"})
HIDDEN_STEPS = frozenset({"draw_short"})


def timeline(app) -> list[dict]:
    """The application's steps as the applicant sees them."""
    from ltci.assessment.flow import State

    return [{"at": t.at, "label": t.get_action_label(), "target": t.target, "state": State(t.target).label,
             "note": "" if t.action in INTERNAL_STEPS else t.note}
            for t in app.transitions.all() if t.action not in HIDDEN_STEPS]


def insured(user, permission: str | None = None) -> Person:
    """The person an insured or family account stands for; refuses (403) other accounts and roles
    without the permission. The portal is the insured's own: staff use the console."""
    if not getattr(user, "is_authenticated", False) or user.reach != Reach.SELF or not user.person_id:
        raise PermissionDenied("portal: insured accounts only")
    if permission and not user.can(permission):
        raise PermissionDenied(permission)
    return user.person


def today() -> date:
    return timezone.localdate()


def last_month(on: date) -> date:
    return (on.replace(day=1) - timedelta(days=1)).replace(day=1)


def applications(user, *, scoped: bool = True):
    """The person's applications; unscoped for `get_visible_or_404`, which then records an attempt
    at someone else's as a denial."""
    qs = Application.objects.select_related("person", "region").order_by("-submitted_on", "-id")
    return visible(qs, user) if scoped else qs


def current_certificate(person: Person, on: date) -> Certificate | None:
    return assessment.grade_on(person, on)


def plans(user):
    return visible(CarePlan.objects.select_related("institution"), user).order_by("-valid_from", "-id")


def recent_visits(user, on: date):
    """The person's visits of the last weeks, the current version of each, with rating state."""
    since = timezone.make_aware(timezone.datetime.combine(on - timedelta(days=RECENT_DAYS), timezone.datetime.min.time()))
    rows = list(visible(Visit.objects.select_related("carer", "institution", "supersedes"), user)
                .filter(superseded_by__isnull=True, checkin_at__gte=since).order_by("-checkin_at"))
    ratings = {r.visit_id: r for r in VisitRating.objects.filter(visit__person_id=user.person_id)}
    codes = {c for v in rows for c in v.items}
    names = dict(CatalogueItem.objects.filter(region_id=user.region_id, code__in=codes).values_list("code", "name"))
    out = []
    for v in rows:
        # A rating given to any earlier version counts (a correction of a correction too).
        rating = ratings.get(v.pk) or (rating_of(v) if v.supersedes_id else None)
        out.append(VisitRow(v, rating, None if rating else why_not_rateable(v),
                            [names.get(c, c) for c in v.items]))
    return out


@dataclass
class VisitRow:
    visit: Visit
    rating: VisitRating | None
    refused: str | None  # why it cannot be rated; None: it can be rated now
    item_names: list[str] | None = None

    @property
    def stars_text(self) -> str:
        return "★" * self.rating.score + "☆" * (5 - self.rating.score) if self.rating else ""

    @property
    def rateable(self) -> bool:
        return self.rating is None and self.refused is None


def served_institutions(person: Person, on: date):
    """The institutions that serve or served the person: of a care choice begun by `on`. A choice
    made for a coming day does not make an institution the person's before it serves them (else
    choosing an institution would be a way to review it)."""
    from ltci.care.models import CareChoice
    from ltci.providers.models import Institution

    return Institution.objects.filter(pk__in=CareChoice.objects.filter(
        person=person, institution__isnull=False, effective_from__lte=on).values("institution_id")).order_by("name")


def reviewable_institution(person: Person, pk: int, on: date | None = None):
    """An institution that serves or served the person; any other does not exist here (404)."""
    from django.http import Http404

    found = served_institutions(person, on or today()).filter(pk=pk).first()
    if found is None:
        raise Http404("not an institution of this person")
    return found


def bed_days(stay: Stay, first: date, last: date, on: date) -> int:
    """Bed-days of a stay within [first, last], up to `on`: the day of admission counts, the day of
    discharge does not, a same-day stay is one day (as settlement counts them, decision 0007)."""
    if stay.discharged_on == stay.admitted_on:
        return 1 if first <= stay.admitted_on <= min(last, on) else 0
    start = max(stay.admitted_on, first)
    end = min(last, on, stay.discharged_on - timedelta(days=1) if stay.discharged_on else last)
    return max(0, (end - start).days + 1)


def stays(user, on: date) -> list[dict]:
    first = on.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return [{"stay": s, "month_days": bed_days(s, first, last, on)}
            for s in visible(Stay.objects.select_related("institution"), user).order_by("-admitted_on")[:12]]


def benefit(person: Person, month: date) -> dict:
    """The month's statement (lines booked in the month, adjustments included) with each line's explanation."""
    from ltci.settlement.statements import person_context

    context = person_context(person, month)
    for key in ("fund", "personal"):  # SQLite's sums lose the scale: money shows to the fen
        context[key] = Decimal(context[key]).quantize(Decimal("0.01"))
    return context


def benefit_months(person: Person) -> list[date]:
    from ltci.settlement.models import Line

    return sorted(set(Line.objects.filter(person=person).values_list("claim__month", flat=True)), reverse=True)[:24]


def summary(user, on: date | None = None) -> dict:
    """The home page: the application to follow, the certificate, plans to confirm, visits to rate,
    last month's benefit."""
    on = on or today()
    person = insured(user)
    apps = list(applications(user)[:5])
    open_app = next((a for a in apps if a.state in OPEN), None)
    month = last_month(on)
    statement = benefit(person, month)
    visits = recent_visits(user, on)
    return {
        "person": person, "masked_id": person.masked_id, "today": on,
        "application": open_app or (apps[0] if apps else None), "applications": apps,
        "certificate": current_certificate(person, on),
        "mode": choices.mode_on(person, on),
        "plans_to_confirm": list(plans(user).filter(status=PlanStatus.DRAFT)),
        "to_rate": [r for r in visits if r.rateable][:5],
        "month": month, "benefit_fund": statement["fund"], "benefit_personal": statement["personal"],
        "benefit_lines": len(statement["rows"]),
    }


def choose_institution(user, *, institution_id, mode: str, effective_from: date, home_latitude=None,
                       home_longitude=None, on: date | None = None):
    """The insured chooses an institution of the list (care.choices.offers) for a mode, from a coming
    day: past days are settled on the mode recorded then, so no back-dating. The care choices
    service then checks kind, suspension and beds as for any choice."""
    from ltci.accounts.roles import CARE_CHOOSE

    person = insured(user, CARE_CHOOSE)
    # The region's designated institutions are public; one of another region is nobody's to choose.
    from ltci.providers.models import Institution

    if not Institution.objects.filter(pk=institution_id, region_id=person.region_id).exists():
        record_out_of_scope(Institution.objects.filter(pk=institution_id), institution_id)
        raise Http404("not found")
    on = on or today()
    if not isinstance(effective_from, date) or not on < effective_from <= on + timedelta(days=CHOICE_AHEAD_DAYS):
        raise ValidationError({"effective_from": f"生效日期须在明天至{CHOICE_AHEAD_DAYS}天内"})
    cert = assessment.grade_on(person, effective_from)
    if cert is None or not cert.qualifies:
        raise ValidationError({"mode": "生效日期没有达到待遇等级的有效评估结论，暂不能选择护理机构"})
    offer = next((o for o in choices.offers(person, effective_from)
                  if institution_id is not None and o.institution.pk == institution_id), None)
    if offer is None:
        raise ValidationError({"institution": "该机构不在可选择的定点机构名单中（须签有服务协议、正在接收新参保人）"})
    if mode not in dict(offer.modes):
        raise ValidationError({"mode": f"{offer.institution.name}可提供：{'、'.join(label for _, label in offer.modes)}"})
    if mode in VISITED_MODES:
        # The home is where every check-in's distance is measured from (a check on the carer's
        # presence): the insured does not move it from the phone. The recorded home is taken; a
        # first one may be given here, a change is made at the agency.
        home = choices.home_point(person)
        supplied = home_latitude not in (None, "") or home_longitude not in (None, "")
        if home and supplied:
            from ltci.care.geo import point

            if point(home_latitude, home_longitude, "home_") != (Decimal(home[0]), Decimal(home[1])):
                raise ValidationError({"home_latitude": "居所位置以登记为准；如已搬家，请到经办机构变更居所位置"})
        if home:
            home_latitude, home_longitude = home
    return choices.choose(person, user, mode=mode, effective_from=effective_from, institution=offer.institution,
                          home_latitude=home_latitude, home_longitude=home_longitude)
