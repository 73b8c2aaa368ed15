"""Becoming and staying a designated institution: the application, the agency's review (approval
makes the institution and its agreement), suspension from new clients for a period, termination."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.care.geo import point
from ltci.core.money import AGREED_PRICE, BED_DAY_PRICE, parse_money

from .models import (Agreement, Designation, DesignationStatus, Institution, InstitutionKind, InstitutionStatus,
                     Termination, TerminationWithdrawal)
from .uscc import InvalidCreditCode, parse_credit_code

TEXT_LIMITS = {"name": 200, "district": 64, "address": 200, "licence_number": 64, "liability_insurer": 100,
               "liability_policy": 64}


@transaction.atomic
def submit(region: str, user, *, name: str, credit_code: str, kind: str, district: str, address: str, latitude,
           longitude, filed_beds: int, staff: int, licence_number: str, licence_expiry: date,
           liability_insurer: str, liability_policy: str, liability_expiry: date) -> tuple[Designation, list[str]]:
    """The application, with the credit code's warnings (an unusual registration authority only warns)."""
    errors, warnings = {}, []
    texts = {"name": name, "district": district, "address": address, "licence_number": licence_number,
             "liability_insurer": liability_insurer, "liability_policy": liability_policy}
    for field, value in texts.items():
        if not (value or "").strip():
            errors[field] = "必填"
        elif len(value.strip()) > TEXT_LIMITS[field]:
            errors[field] = f"不能超过{TEXT_LIMITS[field]}个字"
    try:
        code = parse_credit_code(credit_code)
        warnings += list(code.warnings)
        if Institution.objects.filter(credit_code=code.number).exists():
            errors["credit_code"] = "该统一社会信用代码已是定点机构"
        elif Designation.objects.filter(credit_code=code.number, status=DesignationStatus.SUBMITTED).exists():
            errors["credit_code"] = "该机构已有待审核的申请"
    except InvalidCreditCode as exc:
        errors["credit_code"] = str(exc)
        code = None
    if kind not in InstitutionKind.values:
        errors["kind"] = f"机构类型须为：{'、'.join(InstitutionKind.labels)}"
    elif not isinstance(filed_beds, int) or not 0 <= filed_beds <= 100_000:
        errors["filed_beds"] = "备案床位数须为 0～100000"
    elif kind == InstitutionKind.HOME_CARE and filed_beds:
        errors["filed_beds"] = "居家护理服务机构不备案床位"
    elif kind != InstitutionKind.HOME_CARE and not filed_beds:
        errors["filed_beds"] = "机构护理须备案床位"
    if not isinstance(staff, int) or not 1 <= staff <= 100_000:
        errors["staff"] = "护理人员数须为 1～100000"
    today = timezone.localdate()
    for field, value in (("licence_expiry", licence_expiry), ("liability_expiry", liability_expiry)):
        if value <= today:
            errors[field] = "已过期，须在有效期内"
    if errors:
        raise ValidationError(errors)
    lat, lon = point(latitude, longitude)
    application = Designation.objects.create(
        region_id=region, credit_code=code.number, kind=kind, latitude=lat, longitude=lon, filed_beds=filed_beds,
        staff=staff, licence_expiry=licence_expiry, liability_expiry=liability_expiry, submitted_by=user,
        **{k: v.strip() for k, v in texts.items()})
    return application, warnings


@transaction.atomic
def approve(application: Designation, user, *, agreement_number: str, start: date, end: date, modes: list[str],
            penalties: str) -> Agreement:
    application = Designation.objects.select_for_update().get(pk=application.pk)
    if application.status != DesignationStatus.SUBMITTED:
        raise ValidationError({"status": f"该申请{application.get_status_display()}，不能再审核"})
    errors = {}
    if not (agreement_number or "").strip() or len(agreement_number.strip()) > 32:
        errors["agreement_number"] = "请填写协议编号（不超过32个字符）"
    elif Agreement.objects.filter(number=agreement_number.strip()).exists():
        errors["agreement_number"] = "协议编号已被使用"
    if end <= start:
        errors["end"] = "协议终止日期须晚于起始日期"
    from ltci.care.choices import KINDS, region_modes
    from ltci.policy.errors import PolicyError

    try:
        offered = region_modes(application.region_id, start)
    except PolicyError as exc:  # before the region's first policy version
        errors["start"] = exc.words()
        offered = {}
    wrong = [m for m in modes if m not in offered or application.kind not in KINDS.get(m, set())]
    if "start" not in errors and (not modes or wrong):
        errors["modes"] = f"服务范围须为本地区、本类机构可提供的护理方式（不符：{'、'.join(wrong) or '未选择'}）"
    if errors:
        raise ValidationError(errors)
    institution = Institution.objects.create(
        region_id=application.region_id, name=application.name, credit_code=application.credit_code,
        kind=application.kind, district=application.district, address=application.address,
        latitude=application.latitude, longitude=application.longitude, filed_beds=application.filed_beds)
    agreement = Agreement.objects.create(institution=institution, number=agreement_number.strip(), start=start,
                                         end=end, modes=modes, penalties=penalties.strip(),
                                         signed_on=timezone.localdate())
    application.status, application.institution = DesignationStatus.APPROVED, institution
    application.reviewed_by, application.reviewed_at = user, timezone.now()
    application.save()
    return agreement


@transaction.atomic
def reject(application: Designation, user, *, note: str) -> Designation:
    application = Designation.objects.select_for_update().get(pk=application.pk)
    if application.status != DesignationStatus.SUBMITTED:
        raise ValidationError({"status": f"该申请{application.get_status_display()}，不能再审核"})
    if not (note or "").strip():
        raise ValidationError({"note": "请写明不予批准的理由"})
    application.status, application.decision_note = DesignationStatus.REJECTED, note.strip()[:300]
    application.reviewed_by, application.reviewed_at = user, timezone.now()
    application.save()
    return application


@transaction.atomic
def suspend(institution: Institution, user, *, until: date, reason: str) -> Institution:
    """No new clients until the date (Changning 二(二)2: three months); its clients keep their care."""
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    if institution.status == InstitutionStatus.TERMINATED:
        raise ValidationError({"status": "该机构已终止协议"})
    if until <= timezone.localdate():
        raise ValidationError({"until": "暂停截止日期须晚于今天"})
    if not (reason or "").strip():
        raise ValidationError({"reason": "请写明暂停的理由"})
    # The start is kept so supervision can tell clients taken during the suspension from earlier ones.
    institution.status, institution.suspended_until = InstitutionStatus.SUSPENDED, until
    institution.suspended_from = timezone.localdate()
    institution.save()
    record(Action.UPDATE, institution, user=user, detail={"suspended_until": until.isoformat(), "reason": reason[:200]})
    return institution


@transaction.atomic
def lift_suspension(institution: Institution, user, *, until: date, reason: str) -> str:
    """Lifts a suspension withdrawn in error, if it is still the one in force (until `until`); an
    institution suspended again since, or terminated, stays as it is. Says what it did."""
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    if institution.status != InstitutionStatus.SUSPENDED or institution.suspended_until != until:
        return "机构状态已另有变化，未作改动"
    institution.status, institution.suspended_until = InstitutionStatus.ACTIVE, None
    institution.save()
    record(Action.UPDATE, institution, user=user, detail={"suspension_lifted": until.isoformat(), "reason": reason[:200]})
    return "已恢复接收新参保人"


@transaction.atomic
def terminate(institution: Institution, user, *, on: date, reason: str, case_number: str = "") -> Institution:
    """Ends the institution's agreements on `on`; what it changed is kept in a `Termination`, so a
    termination entered in error can be withdrawn. `case_number`: the supervision case whose sanction
    it is (withdrawn then only with the sanction)."""
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    if institution.status == InstitutionStatus.TERMINATED:
        raise ValidationError({"status": "该机构已终止协议"})
    if not (reason or "").strip():
        raise ValidationError({"reason": "请写明终止的理由"})
    before = (institution.status, institution.suspended_from, institution.suspended_until)
    institution.status, institution.suspended_until = InstitutionStatus.TERMINATED, None
    institution.save()
    ended = []
    for agreement in institution.agreements.filter(terminated_on__isnull=True, end__gte=on):
        agreement.terminated_on = on
        agreement.save()
        ended.append(agreement.pk)
    termination = Termination.objects.create(
        institution=institution, on=on, reason=reason.strip()[:200], case_number=case_number,
        previous_status=before[0], previous_suspended_from=before[1], previous_suspended_until=before[2],
        agreements=ended, entered_by=user)
    record(Action.UPDATE, institution, user=user, detail={"terminated_on": on.isoformat(), "reason": reason[:200],
                                                          "termination": termination.pk})
    return institution


def open_termination(institution: Institution) -> Termination | None:
    """The termination in force: the latest, unless withdrawn."""
    last = institution.terminations.select_related("withdrawal").first()
    return None if last is None or hasattr(last, "withdrawal") else last


@transaction.atomic
def withdraw_termination(institution: Institution, user, *, reason: str, by_sanction: bool = False) -> TerminationWithdrawal:
    """撤回: a termination entered in error undone by a new record. The agreements it ended run on
    to their own end, the institution is as it was before (a suspension that has since run out is
    over); the termination stays on record. A termination made by a case's sanction is withdrawn
    with the sanction (`by_sanction`), not here."""
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise ValidationError({"reason": "请写明撤回终止的理由（不超过200个字）"})
    termination = open_termination(institution) if institution.status == InstitutionStatus.TERMINATED else None
    if termination is None:
        raise ValidationError({"status": "该机构没有可撤回的终止服务协议"})
    if termination.case_number and not by_sanction:
        raise ValidationError({"status": f"该终止是稽核案件{termination.case_number}的处理决定，须在案件中撤销该处理决定"})
    today = timezone.localdate()
    suspended = (termination.previous_status == InstitutionStatus.SUSPENDED and termination.previous_suspended_until
                 and termination.previous_suspended_until > today)
    institution.status = InstitutionStatus.SUSPENDED if suspended else InstitutionStatus.ACTIVE
    institution.suspended_until = termination.previous_suspended_until if suspended else None
    institution.suspended_from = termination.previous_suspended_from if suspended else institution.suspended_from
    institution.save()
    for agreement in institution.agreements.filter(pk__in=termination.agreements, terminated_on=termination.on):
        agreement.terminated_on = None
        agreement.save()
    withdrawal = TerminationWithdrawal.objects.create(termination=termination, reason=reason, withdrawn_by=user)
    record(Action.UPDATE, institution, user=user,
           detail={"termination_withdrawn": termination.pk, "terminated_on": termination.on.isoformat(),
                   "reason": reason})
    return withdrawal


@transaction.atomic
def set_prices(agreement: Agreement, user, prices: dict[str, str]) -> int:
    """Agreed prices for catalogue items, all or none; a price once agreed changes only with a new agreement."""
    from .catalogue import items_of
    from .models import AgreedPrice

    catalogue = {i.code: i for i in items_of(agreement.institution.region_id, agreement.start)}
    taken = set(agreement.prices.values_list("item__code", flat=True))
    errors, rows = [], []
    bed_day = None
    for code, raw in prices.items():
        if code == BED_DAY:
            bed_day = _bed_day_price(agreement, raw, errors)
            continue
        item = catalogue.get(code)
        if item is None:
            errors.append(f"{code} 不在本地区服务项目目录中")
        elif code in taken:
            errors.append(f"{item.name}已有协议价，变更须签订新的协议")
        else:
            try:
                rows.append(AgreedPrice(agreement=agreement, item=item,
                                        price=parse_money(raw, AGREED_PRICE, "prices", label=f"{item.name}协议价")))
            except ValidationError as exc:
                errors.append(exc.messages[0])
    if errors:
        raise ValidationError({"prices": errors})
    AgreedPrice.objects.bulk_create(rows)
    if bed_day is not None:
        agreement.bed_day_price = bed_day
        agreement.save(update_fields=["bed_day_price"])
    record(Action.UPDATE, agreement, user=user, detail={"agreed_prices": {r.item.code: str(r.price) for r in rows},
                                                        **({"bed_day_price": str(bed_day)} if bed_day else {})})
    return len(rows) + (bed_day is not None)


BED_DAY = "bed_day"  # the key of the bed-day price among an agreement's prices


def _bed_day_price(agreement: Agreement, raw, errors: list):
    if agreement.bed_day_price is not None:
        errors.append("床日费用标准已约定，变更须签订新的协议")
        return None
    try:
        return parse_money(raw, BED_DAY_PRICE, "prices")
    except ValidationError as exc:
        errors.append(exc.messages[0])
        return None
