"""Use cases of the register that the foundation needs: register, correct contact data, reveal, export."""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Collate
from django.utils import timezone
from ltci.audit.masking import mask_id
from ltci.audit.recorder import record_export, record_view
from ltci.core.exports import workbook
from ltci.core.money import CONTRIBUTION_BASE, PENSION, optional_money

from .idcard import InvalidIdNumber, detect_kind, parse_identity
from .models import EndReason, Enrolment, EnrolmentStatus, IdKind, Person, Scheme

_PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


def check_phone(phone: str) -> str:
    phone = (phone or "").strip().replace(" ", "")
    if phone and not _PHONE.match(phone):
        raise ValidationError({"phone": "联系电话应为11位手机号或带区号的固定电话"})
    return phone


def check_district(region_id: str, district: str) -> str:
    """A district of the region, by name or 6-digit code, as its name; empty stays empty."""
    from ltci.policy.policies import region as policy_region

    district = (district or "").strip()
    if not district:
        return ""
    reg = policy_region(region_id)
    names = {d.name: d.name for d in reg.districts} | {d.code: d.name for d in reg.districts}
    if district not in names:
        raise ValidationError({"district": f"不是{reg.name}的区县：{district}"})
    return names[district]


@transaction.atomic
def register_person(*, region, id_number: str, name: str, sex: str | None = None, birth_date: date | None = None,
                    phone: str = "", district: str = "", address: str = "",
                    id_kind: str | None = None) -> tuple[Person, tuple[str, ...]]:
    """Registers a person from an identity document number (kind guessed when not given); sex and
    birth date come from the number and must agree with what was given. Returns the person and any
    warnings for the clerk."""
    number = (id_number or "").replace(" ", "").upper()
    kind = id_kind or detect_kind(number)
    if kind not in IdKind.values:
        raise ValidationError({"id_kind": "证件类型应为居民身份证、港澳台居民居住证或外国人永久居留身份证"})
    try:
        parsed = parse_identity(kind, number)
    except InvalidIdNumber as exc:
        raise ValidationError({"id_number": str(exc)}) from None
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写姓名"})
    if parsed.sex is None and sex not in ("M", "F"):
        raise ValidationError({"sex": "此证件号码不含性别，须填写性别（M 或 F）"})
    if sex and parsed.sex and sex != parsed.sex:
        raise ValidationError({"sex": "性别与身份证号码不一致"})
    if birth_date and birth_date != parsed.birth_date:
        raise ValidationError({"birth_date": "出生日期与身份证号码不一致"})
    if Person.objects.filter(region=region, id_number=parsed.number).exists():
        raise ValidationError({"id_number": "该证件号码已在本统筹地区登记"})
    person = Person(
        region=region, id_kind=kind, id_number=parsed.number, name=name, sex=parsed.sex or sex,
        birth_date=parsed.birth_date, phone=check_phone(phone), district=check_district(region.pk, district),
        address=address.strip(),
    )
    person.full_clean()
    person.save()
    return person, parsed.warnings


@transaction.atomic
def update_contact(person: Person, **fields) -> Person:
    allowed = {"phone", "district", "address"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "此字段不能在此修改"})
    if "phone" in fields:
        fields["phone"] = check_phone(fields["phone"])
    if "district" in fields:
        fields["district"] = check_district(person.region_id, fields["district"])
    for name, value in fields.items():
        setattr(person, name, (value or "").strip())
    person.full_clean()
    person.save()
    return person


def reveal_id_number(person: Person) -> str:
    """The full number, for a role that needs it; every reveal goes to the audit trail."""
    record_view("id", person)
    return person.id_number


def record_person_view(person: Person, groups) -> None:
    """Opening a person's record shows their memberships; some of them are health data."""
    health = [g.group for g in groups if g.is_health_data]
    if health:
        record_view("health", person, groups=health)


EXPORT_COLUMNS = ("姓名", "证件号码", "性别", "出生日期", "区县/街道", "联系电话", "险种", "人员类别", "参保状态")


def export_persons(queryset, *, full_ids: bool = False, region: str | None = None) -> bytes:
    """The register as an Excel workbook (streamed row by row); ID numbers masked unless full_ids."""
    def lines():
        for p in queryset.prefetch_related("enrolments").iterator(chunk_size=2000):
            enrolment = next((e for e in p.enrolments.all() if e.status == "active"), None)
            yield (
                p.name, p.id_number if full_ids else mask_id(p.id_number), p.get_sex_display(), p.birth_date,
                p.district, p.phone,
                enrolment.get_scheme_display() if enrolment else "",
                enrolment.get_category_display() if enrolment else "",
                enrolment.get_status_display() if enrolment else "未参保",
            )

    data, rows = workbook("参保人", EXPORT_COLUMNS, lines())
    record_export("enrolment.person", rows, region=region, full_ids=full_ids)
    return data


_ID_LIKE = re.compile(r"^[0-9A-Za-z]{6,18}$")


def _beginning(field: str, text: str) -> Q:
    """Values beginning with `text`, as an index finds them on either database (docs/decisions/0027):
    PostgreSQL's LIKE 'text%' by the field's pattern index (varchar_pattern_ops); on SQLite, whose
    LIKE ignores ASCII case and so no ordinary index, a range over the field's index (BINARY order:
    every value beginning with `text` sorts from `text` to `text` followed by the last character)."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": text, f"{field}__lt": text + "\U0010ffff"})
    return Q(**{f"{field}__startswith": text})


def _initials(queryset, text: str):
    """People whose initials begin with `text`, in the initials' order (those equal to it first), then
    by id: read from an index in that order until the page is full (0027). SQLite's index on the
    column is in BINARY order; PostgreSQL's is its C-collated one (migration 0005), whatever the
    database's collation."""
    if connection.vendor == "sqlite":
        return queryset.filter(_beginning("name_initials", text)).order_by("name_initials", "id")
    return (queryset.alias(initials_c=Collate("name_initials", "C")).filter(initials_c__startswith=text)
            .order_by("initials_c", "id"))


def search(queryset, *, q: str = "", district: str = "", scheme: str = "", status: str = ""):
    """People by ID number (whole or its beginning), name, or pinyin initials (wxy for 王秀英).

    A whole ID number is looked up as such; a beginning of one, the initials and a name by their
    beginning, through an index (a city has millions of people). A name no one's begins with is
    then looked for anywhere in the names (秀英 finds 王秀英), which reads every name."""
    q = (q or "").strip()
    if q:
        if _ID_LIKE.match(q) and any(c.isdigit() for c in q):
            number = q.upper()
            queryset = queryset.filter(id_number=number) if len(number) == 18 else queryset.filter(
                _beginning("id_number", number))
        elif q.isascii() and q.isalpha():
            queryset = _initials(queryset, q.lower())
        else:
            begun = queryset.filter(_beginning("name", q))
            queryset = begun if begun.exists() else queryset.filter(name__contains=q)
    if district:
        queryset = queryset.filter(district=district)
    if scheme or status:
        enrolments = Enrolment.objects.all()
        if scheme:
            enrolments = enrolments.filter(scheme=scheme)
        if status:
            enrolments = enrolments.filter(status=status)
        queryset = queryset.filter(pk__in=enrolments.values("person_id"))
    return queryset


@transaction.atomic
def enrol(person: Person, *, scheme: str, category: str = "", start: date, contribution_base=None,
          pension=None) -> Enrolment:
    """A new LTCI enrolment; a person has at most one active enrolment in a region."""
    current = person.enrolments.filter(status=EnrolmentStatus.ACTIVE).first()
    if current is not None:
        raise ValidationError({"start": f"该参保人已有有效的参保登记（{current.get_scheme_display()}，"
                                        f"{current.start:%Y-%m-%d} 起），须先终止"})
    last = person.enrolments.exclude(end__isnull=True).order_by("-end").first()
    if last is not None and start <= last.end:
        raise ValidationError({"start": f"参保日期须晚于上次参保终止日期 {last.end:%Y-%m-%d}"})
    if start < person.birth_date or start > timezone.localdate():
        raise ValidationError({"start": "参保日期不能早于出生日期或晚于今天"})
    if scheme == Scheme.EMPLOYEE and not category:
        raise ValidationError({"category": "职工医保参保人须填写人员类别"})
    if scheme == Scheme.RESIDENT:
        category = ""
    contribution_base = optional_money(contribution_base, CONTRIBUTION_BASE, "contribution_base")
    pension = optional_money(pension, PENSION, "pension")
    enrolment = Enrolment(region_id=person.region_id, person=person, scheme=scheme, category=category, start=start,
                          contribution_base=contribution_base, pension=pension)
    enrolment.full_clean()
    enrolment.save()
    return enrolment


@transaction.atomic
def end_enrolment(enrolment: Enrolment, *, end: date, reason: str) -> Enrolment:
    """Ends an active enrolment on a date for a reason (death, moving out, leaving the medical scheme)."""
    if enrolment.status != EnrolmentStatus.ACTIVE:
        raise ValidationError({"status": "只能终止有效的参保登记"})
    if reason not in EndReason.values:
        raise ValidationError({"reason": "终止原因应为死亡、迁出本统筹地区或退出基本医疗保险"})
    if end < enrolment.start or end > timezone.localdate():
        raise ValidationError({"end": "终止日期不能早于参保日期或晚于今天"})
    enrolment.status, enrolment.end, enrolment.end_reason = EnrolmentStatus.ENDED, end, reason
    enrolment.save(update_fields=["status", "end", "end_reason"])
    return enrolment


@transaction.atomic
def add_group(person: Person, *, group: str, evidence: str, valid_from: date, valid_to: date | None = None):
    """Records a special-group membership (残疾证, 医疗救助 certificate …) with its evidence and validity."""
    from .models import Group, GroupMembership

    if group not in Group.values:
        raise ValidationError({"group": "未知的人员身份"})
    evidence = (evidence or "").strip()
    if not evidence:
        raise ValidationError({"evidence": "须填写证明材料编号"})
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": "有效期止不能早于有效期起"})
    overlapping = person.groups.filter(group=group).exclude(valid_to__lt=valid_from)
    if valid_to is not None:
        overlapping = overlapping.exclude(valid_from__gt=valid_to)
    if overlapping.exists():
        raise ValidationError({"valid_from": "该身份在此期间已有登记"})
    membership = GroupMembership(region_id=person.region_id, person=person, group=group, evidence=evidence,
                                 valid_from=valid_from, valid_to=valid_to)
    membership.full_clean()
    membership.save()
    return membership
