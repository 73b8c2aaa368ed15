"""Random sampling of visits for third-party checks (回访/入户核查, Jiaxing 三(四)12).

A month's draw is reproducible from its recorded seed: each checked-out visit of the month is
ranked by SHA-256(seed:visit id) and the first `share` of the month's visits are drawn. The seed is
fixed per region and month, so a draw re-run for the month finds the same visits already drawn and
adds nothing; a visit recorded late joins the ranking and is drawn only if the month's target grew.
A visit is never drawn twice (Sample.visit is one-to-one).

A check that finds the service not delivered (服务不实) becomes a hit of the rule
`sample_not_confirmed`, which a case then takes like any other hit.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.care.models import Visit
from ltci.settlement.review import StepRefused

from . import rulebase
from .cases import auditors
from .models import Hit, Sample, SampleMethod, SampleOutcome

NOTE_MAX = 500
SAMPLE_RULE = "sample_not_confirmed"


def seed_for(region: str, month: date) -> str:
    return hashlib.sha256(f"ltci-sample:{region}:{month:%Y-%m}".encode()).hexdigest()[:32]


def rank(seed: str, visit_id: int) -> str:
    return hashlib.sha256(f"{seed}:{visit_id}".encode()).hexdigest()


def _month_bounds(month: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    end = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime.combine(month, time.min, tz), datetime.combine(end, time.min, tz)


def population(region: str, month: date):
    """The month's checked-out visits as they stand (a corrected visit counts by its correction)."""
    start, end = _month_bounds(month)
    return Visit.objects.filter(region_id=region, checkin_at__gte=start, checkin_at__lt=end,
                                checkout_at__isnull=False, superseded_by__isnull=True)


def parse_month(text: str, *, today: date | None = None) -> date:
    from ltci.settlement.run import parse_month_text

    month = parse_month_text(text)
    today = today or timezone.localdate()
    if month > today.replace(day=1):
        raise ValidationError({"month": f"{month:%Y年%m月}尚未开始，不能抽查"})
    return month


@transaction.atomic
def draw(region: str, month: date, user) -> list[Sample]:
    """Draws the month's share of visits not drawn before; returns the samples added (maybe none)."""
    end_of_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    share = rulebase.sampling_share(region, end_of_month)
    seed = seed_for(region, month)
    ids = list(population(region, month).values_list("pk", flat=True))
    target = math.ceil(Decimal(len(ids)) * share)
    drawn = set(Sample.objects.filter(region_id=region, month=month).values_list("visit_id", flat=True))
    room = target - len(drawn & set(ids))
    if room <= 0:
        return []
    # A visit belongs to the month of its check-in, so the month's samples are all it could be in.
    chosen = sorted((i for i in ids if i not in drawn), key=lambda i: rank(seed, i))[:room]
    try:
        made = Sample.objects.bulk_create([Sample(region_id=region, month=month, visit_id=i, share=share, seed=seed,
                                                  drawn_by=user) for i in chosen])
    except IntegrityError:  # a concurrent draw of the month took them first
        raise StepRefused("本月正在抽样，请稍后刷新查看") from None
    record(Action.BATCH, user=user, region=region, object_type_="supervision.sample", object_id=f"{month:%Y-%m}",
           detail={"step": "draw", "month": f"{month:%Y-%m}", "share": str(share), "seed": seed,
                   "population": len(ids), "drawn": len(made), "visits": chosen})
    return made


@transaction.atomic
def assign(sample_ids, auditor, user, *, region: str) -> int:
    """Assigns the samples not yet checked to an auditor of the region; returns how many."""
    if auditor is None or not auditors(region).filter(pk=auditor.pk).exists():
        raise ValidationError({"assigned_to": "核查人员须为本地区在职的稽核人员"})
    ids = sorted({int(i) for i in sample_ids or []})
    if not ids:
        raise ValidationError({"samples": "请选择要分派的抽查任务"})
    samples = Sample.objects.select_for_update().filter(region_id=region, pk__in=ids)
    if samples.count() != len(ids):
        raise ValidationError({"samples": "所选抽查任务不存在或不属于本地区"})
    if samples.exclude(outcome=SampleOutcome.PENDING).exists():
        raise StepRefused("已核查的抽查任务不能再分派")
    for s in samples:
        s.assigned_to = auditor
        s.save(update_fields=["assigned_to"])
    record(Action.TRANSITION, user=user, region=region, object_type_="supervision.sample",
           object_id=ids[0], detail={"step": "assign", "samples": ids, "assigned_to": auditor.username})
    return len(ids)


def assign_evenly(region: str, month: date, user) -> int:
    """The month's unassigned samples shared in turn among the region's auditors."""
    people = list(auditors(region))
    if not people:
        raise StepRefused("本地区没有稽核人员")
    ids = list(Sample.objects.filter(region_id=region, month=month, assigned_to__isnull=True,
                                     outcome=SampleOutcome.PENDING).order_by("id").values_list("pk", flat=True))
    if not ids:
        raise StepRefused(f"{month:%Y年%m月}没有待分派的抽查任务")
    with transaction.atomic():
        return sum(assign(ids[n::len(people)], a, user, region=region)
                   for n, a in enumerate(people) if ids[n::len(people)])


def _coordinate(value, field: str, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip()).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "定位坐标无效"}) from None
    if not number.is_finite() or abs(number) > limit:
        raise ValidationError({field: "定位坐标无效"})
    return number


@transaction.atomic
def record_outcome(sample: Sample, user, *, method: str, outcome: str, note: str = "", latitude=None,
                   longitude=None) -> Sample:
    """The assigned auditor's result of a call or home check; 服务不实 becomes a hit."""
    sample = Sample.objects.select_for_update(of=("self",)).select_related("visit").get(pk=sample.pk)
    if sample.assigned_to_id != user.pk:
        raise StepRefused("只有被分派的核查人员可以登记结果")
    if sample.outcome != SampleOutcome.PENDING:
        raise StepRefused("该抽查已登记结果")
    if method not in SampleMethod.values:
        raise ValidationError({"method": "核查方式须为电话回访或入户核查"})
    if outcome not in (SampleOutcome.CONFIRMED, SampleOutcome.NOT_CONFIRMED, SampleOutcome.UNREACHABLE):
        raise ValidationError({"outcome": "核查结果须为服务属实、服务不实或无法联系"})
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"核查记录不能超过{NOTE_MAX}个字"})
    if outcome == SampleOutcome.NOT_CONFIRMED and not note:
        raise ValidationError({"note": "服务不实须写明核查情况"})
    lat, lng = _coordinate(latitude, "latitude", 90), _coordinate(longitude, "longitude", 180)
    if (lat is None) != (lng is None):
        raise ValidationError({"latitude": "定位坐标不完整"})
    if method == SampleMethod.VISIT and outcome != SampleOutcome.UNREACHABLE and lat is None:
        raise ValidationError({"latitude": "入户核查须获取手机定位（请允许浏览器定位）"})
    sample.method, sample.outcome, sample.note = method, outcome, note
    sample.latitude, sample.longitude = lat, lng
    sample.checked_by, sample.checked_at = user, timezone.now()
    sample.save(update_fields=["method", "outcome", "note", "latitude", "longitude", "checked_by", "checked_at"])
    hit = _hit_of(sample) if outcome == SampleOutcome.NOT_CONFIRMED else None
    record(Action.TRANSITION, sample, user=user,
           detail={"step": "check", "method": method, "outcome": outcome, "located": lat is not None,
                   "hit": hit.pk if hit else None})
    return sample


def _hit_of(sample: Sample) -> Hit | None:
    """The 服务不实 finding as a hit of the rule base, unless the region switched the rule off."""
    visit = sample.visit
    day = timezone.localtime(visit.checkin_at).date()
    setting = rulebase.effective(sample.region_id, day).get(SAMPLE_RULE)
    if setting is None or not setting.enabled:
        return None
    method = SampleMethod(sample.method).label
    hit, _ = Hit.objects.get_or_create(
        region_id=sample.region_id, month=sample.month, rule=SAMPLE_RULE, key=f"sample:{sample.pk}",
        defaults={"severity": setting.severity, "day": day, "person_id": visit.person_id,
                  "institution_id": visit.institution_id, "carer_id": visit.carer_id,
                  "records": {"visit": [visit.pk]},
                  "detail": {"day": day.isoformat(), "method": method, "note": sample.note[:200],
                             "sample": sample.pk},
                  "params": setting.params})
    return hit
