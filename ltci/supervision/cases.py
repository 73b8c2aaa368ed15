"""Cases (稽核案件): opened from hits, assigned to an auditor of the region, confirmed or dismissed by
that auditor with a finding and evidence. The hits follow their case (in_case → confirmed or
dismissed). A confirmed case holds in settlement the lines of its hits' persons (or institution)
and service months that nobody has approved yet; lines already approved or paid are left to the
recovery sanction (sanctions.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ltci.accounts.models import User
from ltci.accounts.roles import Role
from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.core.uploads import save_upload
from ltci.regions.models import Region
from ltci.settlement import review
from ltci.settlement.models import Hold, Line, LineKind
from ltci.settlement.review import StepRefused

from . import rulebase
from .models import Case, CaseStatus, Hit, HitStatus

FINDING_MAX = 2000
TITLE_MAX = 200
# Evidence is a scan or a photo: the suffix and the file's first bytes must agree.
EVIDENCE = {".pdf": (b"%PDF",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",), ".png": (b"\x89PNG",)}
EVIDENCE_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


def auditors(region: str) -> QuerySet[User]:
    return User.objects.filter(region_id=region, role=Role.AUDITOR, is_active=True).order_by("username")


def case_number(region: str, month: date) -> str:
    """稽核<division code>-<YYYYMM>-<n>, counted per region and month (the caller holds the region's lock)."""
    from ltci.policy.policies import region as region_of

    prefix = f"稽核{region_of(region).division}-{month:%Y%m}-"
    n = Case.objects.filter(region_id=region, number__startswith=prefix).count() + 1
    while Case.objects.filter(number=f"{prefix}{n:04d}").exists():
        n += 1
    return f"{prefix}{n:04d}"


def _title(hits: list[Hit]) -> str:
    who = hits[0].institution.name if hits[0].institution_id else (hits[0].person.name if hits[0].person_id else "")
    names = []
    for h in hits:
        name = rulebase.RULES[h.rule].name if h.rule in rulebase.RULES else h.rule
        if name not in names:
            names.append(name)
    text = f"{who}：{'、'.join(names)}" if who else "、".join(names)
    return text if len(text) <= TITLE_MAX else text[:TITLE_MAX - 1] + "…"


def _checked_auditor(region: str, auditor) -> User:
    if auditor is None:
        raise ValidationError({"assigned_to": "请选择承办稽核人员"})
    if not auditors(region).filter(pk=auditor.pk).exists():
        raise ValidationError({"assigned_to": "承办人须为本地区在职的稽核人员"})
    return auditor


@transaction.atomic
def open_case(region: str, hit_ids, user, *, title: str = "", assigned_to=None) -> Case:
    """One case for the selected hits: all of the region, none already in a case."""
    ids = sorted({int(i) for i in hit_ids or []})
    if not ids:
        raise ValidationError({"hits": "请选择要立案的疑点"})
    Region.objects.select_for_update().get(pk=region)  # one numbering writer per region
    hits = list(Hit.objects.select_for_update(of=("self",)).filter(pk__in=ids, region_id=region)
                .select_related("institution", "person").order_by("month", "id"))
    if len(hits) != len(ids):
        raise ValidationError({"hits": "所选疑点不存在或不属于本地区"})
    taken = [h.pk for h in hits if h.status != HitStatus.NEW or h.case_id]
    if taken:
        raise StepRefused(f"疑点已在其他案件中：{'、'.join(map(str, taken))}")
    title = (title or "").strip() or _title(hits)
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": f"案由不能超过{TITLE_MAX}个字"})
    if assigned_to is not None:
        _checked_auditor(region, assigned_to)
    institutions = {h.institution_id for h in hits}
    case = Case.objects.create(region_id=region, number=case_number(region, hits[0].month), month=hits[0].month,
                               institution_id=institutions.pop() if len(institutions) == 1 else None, title=title,
                               assigned_to=assigned_to, opened_by=user)
    Hit.objects.filter(pk__in=ids).update(case=case, status=HitStatus.IN_CASE)
    record(Action.TRANSITION, case, user=user, region=region,
           detail={"step": "open", "hits": ids, "assigned_to": assigned_to.username if assigned_to else None})
    return case


def open_cases_for_month(region: str, month: date, user, *, assigned_to=None) -> list[Case]:
    """One case per institution for the month's new hits, one per person for hits without an
    institution (and one per hit naming neither)."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for pk, inst, person in (Hit.objects.filter(region_id=region, month=month, status=HitStatus.NEW, case__isnull=True)
                             .order_by("id").values_list("pk", "institution_id", "person_id")):
        key = ("institution", inst) if inst else ("person", person) if person else ("hit", pk)
        groups[key].append(pk)
    if not groups:
        raise StepRefused(f"{month:%Y年%m月}没有待立案的疑点")
    with transaction.atomic():
        return [open_case(region, ids, user, assigned_to=assigned_to) for ids in groups.values()]


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


@transaction.atomic
def assign(case: Case, auditor, user) -> Case:
    case = _locked(case)
    if case.status != CaseStatus.OPEN:
        raise StepRefused(f"该案件{case.get_status_display()}，不能再派案")
    case.assigned_to = _checked_auditor(case.region_id, auditor)
    case.save(update_fields=["assigned_to"])
    record(Action.TRANSITION, case, user=user, detail={"step": "assign", "assigned_to": auditor.username})
    return case


def case_lines(case: Case) -> QuerySet[Line]:
    """The settlement lines a case's hits concern: the person's lines of the hit's service month (at
    the hit's institution when it names one), or the institution's lines of the month for a hit
    about the institution as a whole. Recoveries are never part of it."""
    # One condition per (month, institution) with its persons, not one per hit: a case of a large
    # institution must not become a query SQLite refuses as too deep.
    people: dict[tuple, set] = defaultdict(set)
    whole: set[tuple] = set()
    for month, person, inst in case.hits.values_list("month", "person_id", "institution_id").distinct():
        if person:
            people[(month, inst)].add(person)
        elif inst:
            whole.add((month, inst))
    q = Q(pk__in=[])
    for (month, inst), persons in people.items():
        q |= Q(service_month=month, person_id__in=sorted(persons), **({"claim__institution_id": inst} if inst else {}))
    for month, inst in whole:
        q |= Q(service_month=month, claim__institution_id=inst)
    return Line.objects.filter(q, claim__region_id=case.region_id).exclude(kind=LineKind.RECOVERY)


def _text(value: str, field: str, limit: int, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: f"请填写{label}"})
    if len(value) > limit:
        raise ValidationError({field: f"{label}不能超过{limit}个字"})
    return value


@transaction.atomic
def decide(case: Case, user, *, confirm: bool, finding: str, evidence=None) -> Case:
    """The assigned auditor confirms (evidence required) or dismisses (evidence optional) the case."""
    case = _locked(case)
    if case.status != CaseStatus.OPEN:
        raise StepRefused(f"该案件{case.get_status_display()}，不能再次作出结论")
    if case.assigned_to_id != user.pk:
        raise StepRefused("只有承办该案件的稽核人员可以作出结论")
    finding = _text(finding, "finding", FINDING_MAX, "调查结论")
    if confirm and evidence is None:
        raise ValidationError({"evidence": "查实须上传证据材料（PDF、JPG或PNG）"})
    stored = None
    if evidence is not None:  # checked before anything is written; saved last
        path, digest = save_upload(evidence, field="evidence", allowed=EVIDENCE,
                                   max_bytes=settings.MATERIAL_MAX_BYTES, subdir="supervision")
        stored = (str(path.relative_to(settings.UPLOAD_DIR)), digest, (evidence.name or "")[-100:])
    case.status = CaseStatus.CONFIRMED if confirm else CaseStatus.DISMISSED
    case.finding, case.decided_by, case.decided_at = finding, user, timezone.now()
    if stored:
        case.evidence.name = stored[0]
    case.save(update_fields=["status", "finding", "decided_by", "decided_at", "evidence"])
    case.hits.update(status=HitStatus.CONFIRMED if confirm else HitStatus.DISMISSED)
    held = _hold_lines(case, user) if confirm else []
    record(Action.TRANSITION, case, user=user,
           detail={"step": "confirm" if confirm else "dismiss", "held_lines": held,
                   **({"evidence": stored[2], "sha256": stored[1]} if stored else {})})
    return case


def _hold_lines(case: Case, user) -> list[int]:
    """Holds the case's lines nobody has approved yet (and that no hold keeps back already)."""
    open_holds = Hold.objects.filter(released_at__isnull=True).values("line_id")
    lines = case_lines(case).filter(approval__isnull=True).exclude(pk__in=open_holds).order_by("id")
    reason = f"稽核案件{case.number}已查实，暂缓支付"
    return [review.hold(line, user, reason).line_id for line in lines]


def evidence_path(case: Case):
    from pathlib import Path

    return Path(settings.UPLOAD_DIR) / case.evidence.name if case.evidence else None
