"""An institution's certified carers, and the periods in which a carer's care is not settled."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.enrolment.idcard import InvalidIdNumber, detect_kind, parse_identity

from .models import Carer, CarerKind, CarerSuspension, Institution


def checked_id(value: str) -> str:
    try:
        return parse_identity(detect_kind(value), value).number
    except InvalidIdNumber as exc:
        raise ValidationError({"id_number": str(exc)}) from None


@transaction.atomic
def register(institution: Institution, user, *, name: str, id_number: str, phone: str = "",
             certificate_number: str, level: str = "", certificate_expiry: date | None = None,
             login=None) -> Carer:
    errors = {}
    if not (name or "").strip() or len(name.strip()) > 64:
        errors["name"] = "请填写姓名（不超过64个字）"
    if not (certificate_number or "").strip() or len(certificate_number.strip()) > 64:
        errors["certificate_number"] = "机构护理员须登记职业资格证书编号"
    if len(level or "") > 32:
        errors["level"] = "不能超过32个字"
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 15):
        errors["phone"] = "请填写7–15位数字的电话"
    if login is not None and (login.institution_id != institution.pk or login.role != "carer"):
        errors["login"] = "登录账号须为本机构的护理员账号"
    if errors:
        raise ValidationError(errors)
    number = checked_id(id_number)
    if Carer.objects.filter(region_id=institution.region_id, id_number=number, kind=CarerKind.CERTIFIED).exists():
        raise ValidationError({"id_number": "该护理员已在本地区登记"})
    return Carer.objects.create(
        region_id=institution.region_id, institution=institution, kind=CarerKind.CERTIFIED, user=login,
        name=name.strip(), id_number=number, phone=phone, certificate_number=certificate_number.strip(),
        level=(level or "").strip(), certificate_expiry=certificate_expiry)


@transaction.atomic
def suspend(carer: Carer, user, *, start: date, end: date, reason: str) -> CarerSuspension:
    """A period in which the carer's care is not settled and no visit can be recorded
    (Changning 二(二)2: three months for inducing repeated re-assessments)."""
    if end < start:
        raise ValidationError({"end": "结束日期不能早于开始日期"})
    if not (reason or "").strip() or len(reason.strip()) > 200:
        raise ValidationError({"reason": "请写明暂停结算的理由（不超过200个字）"})
    if carer.suspensions.filter(start__lte=end, end__gte=start).exists():
        raise ValidationError({"start": "与已有的暂停期间重叠"})
    suspension = CarerSuspension.objects.create(carer=carer, start=start, end=end, reason=reason.strip(),
                                                created_by=user)
    record(Action.CREATE, suspension, user=user, region=carer.region_id,
           detail={"carer": carer.pk, "start": start.isoformat(), "end": end.isoformat()})
    return suspension


@transaction.atomic
def record_training(carer: Carer, user, *, course: str, on: date, hours, provider: str) -> "CarerTraining":
    """A training attended; a family carer who completes one counts as trained from then on
    (Xuzhou 五(二)2 pays untrained family care at a lower share)."""
    from decimal import Decimal, InvalidOperation

    from django.utils import timezone

    from .models import CarerTraining

    errors = {}
    for field, value, limit in (("course", course, 100), ("provider", provider, 100)):
        if not (value or "").strip() or len(value.strip()) > limit:
            errors[field] = f"必填，不超过{limit}个字"
    if on > timezone.localdate():
        errors["on"] = "培训日期不能晚于今天"
    try:
        hours = Decimal(str(hours)).quantize(Decimal("0.1"))
        if not hours.is_finite() or not Decimal("0.5") <= hours <= Decimal("500"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["hours"] = "学时须为 0.5～500"
    if errors:
        raise ValidationError(errors)
    training = CarerTraining.objects.create(carer=carer, course=course.strip(), on=on, hours=hours,
                                            provider=provider.strip(), entered_by=user)
    if carer.kind == CarerKind.FAMILY and not carer.trained:
        carer.trained = True
        carer.save()  # audited
    return training
