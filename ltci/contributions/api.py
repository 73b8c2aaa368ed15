from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from ltci.accounts.roles import CONTRIBUTION_BILL, CONTRIBUTION_EXPORT, CONTRIBUTION_VIEW, PAYMENT_RECORD
from ltci.accounts.scope import get_visible_or_404, require, visible
from ltci.core.api import JobOut, job_out
from ltci.core.exports import attachment
from ltci.core.money import MoneyText
from ltci.core.uploads import start_import_from_request
from ltci.enrolment.models import Person
from ltci.regions.continuation import in_force

from . import payments, queries
from .billing import start_billing
from .models import Bill, Payment
from .standing import contribution_verdict, statement

router = Router(tags=["筹资缴费"])


class BillingIn(Schema):
    period: str


class BillOut(Schema):
    id: int
    person_id: int
    period: str
    kind: str
    due_date: date
    individual: Decimal
    employer: Decimal
    medical_fund: Decimal
    fiscal: Decimal
    total: Decimal


class PaymentIn(Schema):
    person_id: int
    period: str
    payer: str
    channel: str
    amount: MoneyText
    reference: str
    paid_on: date


class PaymentOut(Schema):
    id: int
    person_id: int
    period: str
    payer: str
    channel: str
    amount: Decimal
    reference: str
    paid_on: date


class ArrearsOut(Schema):
    person_id: int
    name: str
    id_number_masked: str
    district: str
    billed: Decimal
    paid: Decimal
    owed: Decimal


class ContributionPeriodOut(Schema):
    period: str
    billed: dict
    paid: dict
    arrears: Decimal
    fully_paid_on: date | None


class StandingOut(Schema):
    person_id: int
    periods: list[ContributionPeriodOut]
    verdict_checked: bool
    eligible: bool
    reasons: list[dict]
    note: str
    policy_in_force: str  # the policy applied today; after its end on paper: 延续执行 and its basis



@router.post("/contributions/billing", response={202: JobOut}, summary="缴费核定（按期间；重复核定不重复出单）")
def bill(request, payload: BillingIn):
    require(request.user, CONTRIBUTION_BILL)
    job = start_billing(request.user.region, payload.period, user=request.user,
                        background=settings.JOBS_IN_BACKGROUND)
    return Status(202, job_out(job))


@router.get("/contributions/bills", response=list[BillOut], summary="缴费核定单")
@paginate
def bills(request, period: str = "", person_id: int | None = None):
    require(request.user, CONTRIBUTION_VIEW)
    qs = visible(Bill.objects.order_by("person_id", "period", "id"), request.user)
    if period:
        qs = qs.filter(period=period)
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    return qs


@router.get("/contributions/payments", response=list[PaymentOut], summary="缴费记录")
@paginate
def payment_list(request, period: str = "", channel: str = "", person_id: int | None = None):
    require(request.user, CONTRIBUTION_VIEW)
    qs = visible(Payment.objects.order_by("-paid_on", "-id"), request.user)
    if period:
        qs = qs.filter(period=period)
    if channel:
        qs = qs.filter(channel=channel)
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    return qs


@router.post("/contributions/payments", response={201: PaymentOut}, summary="登记一笔缴费（入基金收入）")
def record(request, payload: PaymentIn):
    require(request.user, PAYMENT_RECORD)
    person = get_visible_or_404(Person.objects.all(), request.user, pk=payload.person_id)
    data = payload.dict(exclude={"person_id"})
    return Status(201, payments.record_payment(person, user=request.user, **data))


@router.post("/contributions/payments/import", response={202: JobOut}, summary="导入缴费记录（Excel或CSV）")
def import_payments(request, file: File[UploadedFile], strict: Form[bool] = True, dry_run: Form[bool] = False):
    require(request.user, PAYMENT_RECORD)
    job = start_import_from_request(request, payments.start_import, file=file, strict=strict, dry_run=dry_run)
    return Status(202, job_out(job))


@router.get("/contributions/arrears", response=list[ArrearsOut], summary="某期间的欠费名单（证件号码脱敏）")
def arrears(request, period: str, district: str = "", limit: int = 100, offset: int = 0):
    require(request.user, CONTRIBUTION_VIEW)
    own = request.user.person_id if request.user.reach == "self" else None
    if request.user.reach == "self" and own is None:
        return []
    rows, _ = queries.arrears(request.user.region_id, period, district=district, person_id=own,
                              limit=min(max(limit, 1), 1000), offset=max(offset, 0), count=False)
    return [{"person_id": r.person_id, "name": r.name, "id_number_masked": r.masked_id, "district": r.district,
             "billed": r.billed, "paid": r.paid, "owed": r.owed} for r in rows]


@router.get("/contributions/arrears/export", summary="导出欠费名单（Excel，证件号码脱敏）")
def arrears_export(request, period: str, district: str = ""):
    require(request.user, CONTRIBUTION_EXPORT)
    return attachment(queries.export_arrears(request.user.region_id, period, district=district),
                      f"arrears-{period}.xlsx")


@router.get("/persons/{person_id}/standing", response=StandingOut, summary="参保人的缴费、欠费与今日待遇资格")
def standing(request, person_id: int):
    require(request.user, CONTRIBUTION_VIEW)
    person = get_visible_or_404(Person.objects.prefetch_related("enrolments", "groups"), request.user, pk=person_id)
    verdict = contribution_verdict(person, timezone.localdate())
    return {"person_id": person.pk, "verdict_checked": verdict.checked, "eligible": verdict.eligible,
            "reasons": verdict.reasons, "note": verdict.note, "policy_in_force": str(in_force(person.region_id) or ""),
            "periods": [{"period": ps.period, "billed": {k: str(v) for k, v in ps.billed.items()},
                         "paid": {k: str(v) for k, v in ps.paid.items()}, "arrears": ps.arrears,
                         "fully_paid_on": ps.fully_paid_on} for ps in statement(person)]}
