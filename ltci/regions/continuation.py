"""A policy version past its end on paper: the platform's one rule and the document behind it.

A version stays in force after its `valid_to` until a newer version starts (延续执行): every part
of the platform asks the engine with `carry_over=True` and shows what it applied through
`in_force`. The bureau administrator records the document that continues it (a notice, a new
plan not yet in the parameter files); it is shown beside 延续执行, as the decision record on
policies carried on explains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ltci.accounts.roles import POLICY_CONTINUE
from ltci.core.values import BadValue, parse_date
from ltci.policy.errors import PolicyError
from ltci.policy.policies import policy_on

from .models import Continuation, PolicyVersion, Region

NUMBER_MAX, TITLE_MAX = 64, 200


@dataclass(frozen=True)
class InForce:
    """The policy a region applies on a day, as its pages say it."""

    region_name: str
    title: str  # the version's document title
    document: str
    valid_from: date
    valid_to: date | None
    carried_on: bool
    continuation: Continuation | None  # the latest document recorded as continuing it

    @property
    def standing(self) -> str:
        """现行, or 延续执行 with the date the document ended on paper."""
        return f"延续执行（文件原定{self.valid_to:%Y-%m-%d}到期）" if self.carried_on else "现行"

    @property
    def basis(self) -> str:
        """What keeps a carried-on version in force, in words; empty within its term."""
        if not self.carried_on:
            return ""
        if self.continuation is None:
            return "医保局尚未登记延续执行的文件"
        return f"延续执行依据：{self.continuation.label}"

    def __str__(self) -> str:
        text = f"《{self.title}》{self.standing}"
        return f"{text}；{self.basis}" if self.basis else text


def in_force(region_code: str, on: date | None = None) -> InForce | None:
    """The policy applied on `on` (default today), or None before the region's first version."""
    on = on or timezone.localdate()
    try:
        policy = policy_on(region_code, on, carry_over=True)
    except PolicyError:
        return None
    v = policy.version
    latest = (Continuation.objects.filter(region_id=region_code, version__code=v.code).first()
              if policy.carried_on else None)
    return InForce(policy.region.name, v.title, v.document, v.valid_from, v.valid_to, policy.carried_on, latest)


def carried_version(region_code: str, on: date) -> PolicyVersion | None:
    """The version carried on past its end on `on`, or None if one is within its term (or none began)."""
    try:
        policy = policy_on(region_code, on, carry_over=True)
    except PolicyError:
        return None
    return PolicyVersion.objects.filter(code=policy.version.code).first() if policy.carried_on else None


def may_record(user, region: Region) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.can(POLICY_CONTINUE)
                and user.region_id == region.pk)


@transaction.atomic
def record_continuation(*, user, region: Region, document_number: str, title: str, issued_on) -> Continuation:
    """Records the document continuing the region's ended version; refuses with every field's reason
    and changes nothing. Only the region's bureau administrator may; the record is on the audit trail
    (AuditedModel: the create with its fields, by whom)."""
    if not may_record(user, region):
        raise PermissionDenied(POLICY_CONTINUE)
    today = timezone.localdate()
    version = carried_version(region.pk, today)
    if version is None:
        raise ValidationError({"__all__": f"{region.name}的政策文件仍在施行期内，无需登记延续执行文件"})
    errors = {}
    number, name = (document_number or "").strip(), (title or "").strip()
    if not number:
        errors["document_number"] = "请填写文号"
    elif len(number) > NUMBER_MAX:
        errors["document_number"] = f"文号不能超过{NUMBER_MAX}个字"
    if not name:
        errors["title"] = "请填写文件名称"
    elif len(name) > TITLE_MAX:
        errors["title"] = f"文件名称不能超过{TITLE_MAX}个字"
    day = None
    if issued_on in (None, ""):
        errors["issued_on"] = "请填写发文日期"
    else:
        try:
            day = parse_date(issued_on)
        except BadValue as exc:
            errors["issued_on"] = f"发文{exc}"
    if day is not None and "issued_on" not in errors:
        if day > today:
            errors["issued_on"] = "发文日期不能晚于今天"
        elif day < version.valid_from:
            errors["issued_on"] = f"发文日期不能早于原文件的施行日期（{version.valid_from:%Y-%m-%d}）"
    if errors:
        raise ValidationError(errors)
    return Continuation.objects.create(region=region, version=version, document_number=number, title=name,
                                       issued_on=day, recorded_by=user)
