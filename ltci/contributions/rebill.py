"""A period's contributions billed again across the register under a draft policy (issue 18), beside
what its bills say, by payer, by scheme and category, and per person. Books nothing: the same
register reading and the same batch rules as billing, under the draft's parameters."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import polars as pl
from django.db.models import Sum

from ltci.audit.masking import mask_id
from ltci.core.exports import Workbook
from ltci.enrolment.models import Person
from ltci.fund.drafts import check_draft, draft_params
from ltci.policy.engine import POLARS
from ltci.policy.money import yuan
from ltci.policy.policies import policy_on
from ltci.policy.rules.contribution import CATEGORY_LABELS
from ltci.policy.rules.eligibility import SCHEME_LABELS

from .billing import _complete, _fen, _people, billing_rules
from .models import PAYER_FIELDS, Bill, Payer, PeriodTotal
from .periods import Period, region_period

EXCEL_ROWS = 1_000_000  # Excel holds 1,048,576 rows a sheet


@dataclass
class Rebill:
    region: str
    period: Period
    people: int = 0
    skipped: int = 0  # excluded groups, or a base the register lacks (as billing skips them)
    by_payer: dict[str, list[int]] = field(default_factory=dict)  # payer -> [billed, draft] fen
    # (scheme, category) -> [n, billed, draft], of the people the draft bills
    by_group: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    changed: list[tuple[int, int, int]] = field(default_factory=list)  # (person_id, billed, draft) fen, changed only
    seconds: float = 0.0


def rebill(region: str, period_text: str, draft_text: str, engine=POLARS) -> Rebill:
    """`engine` answers the contribution questions (`ltci.policy.engine`: Polars, or Spark)."""
    period = region_period(region, period_text)
    check_draft(region, period.first, draft_text)
    out = Rebill(region, period, by_payer={p: [0, 0] for p in PAYER_FIELDS})
    started = time.monotonic()
    seen: set[int] = set()
    with draft_params(region, period.first, draft_text) as params_dir:
        bases, excluded = billing_rules(policy_on(region, period.first, params_dir, carry_over=True))
        after = 0
        while (frame := _people(region, period, after)).height:
            after = frame["person_id"].max()
            out.people += frame.height
            before = frame.height
            if excluded[0]:
                frame = frame.filter(~pl.col("groups").list.eval(pl.element().is_in(excluded[0])).list.any())
            frame, _ = _complete(frame, bases)
            out.skipped += before - frame.height
            if frame.height:
                _compare(out, region, period, frame, params_dir, seen, engine)
    # What was billed, whole: people the draft would not bill (a group it excludes, a base it needs, or
    # no longer enrolled) owe nothing under it, and their bills are part of the difference.
    for payer, amount in Bill.objects.filter(region_id=region, period=period.code).aggregate(
            **{p: Sum(p) for p in PAYER_FIELDS}).items():
        out.by_payer[payer][0] = _fen(amount or 0)
    for person_id, billed in (PeriodTotal.objects.filter(region_id=region, period=period.code).exclude(billed_fen=0)
                              .values_list("person_id", "billed_fen").iterator(chunk_size=20_000)):
        if person_id not in seen:
            out.changed.append((person_id, billed, 0))
    out.seconds = time.monotonic() - started
    return out


def _compare(out: Rebill, region: str, period: Period, frame: pl.DataFrame, params_dir, seen: set[int],
             engine) -> None:
    draft = engine.contribution(frame.lazy().drop("start"), region, period.first, params_dir, carry_over=True)
    lo, hi = frame["person_id"].min(), frame["person_id"].max()
    billed = {row[0]: row[1:] for row in Bill.objects.filter(region_id=region, period=period.code, person_id__gte=lo,
                                                             person_id__lte=hi)
              .values("person_id").annotate(**{f: Sum(f) for f in PAYER_FIELDS})
              .values_list("person_id", *PAYER_FIELDS)}
    fen = [(pl.col(f) * 100).round(0).cast(pl.Int64).alias(f) for f in PAYER_FIELDS]
    rows = draft.select("person_id", *fen).join(frame.select("person_id", "scheme", "category"), on="person_id")
    for person_id, *amounts, scheme, category in rows.iter_rows():
        seen.add(person_id)
        was = [_fen(v or 0) for v in billed.get(person_id, (0,) * len(PAYER_FIELDS))]
        for payer, now in zip(PAYER_FIELDS, amounts):
            out.by_payer[payer][1] += now
        group = out.by_group.setdefault((scheme, category or ""), [0, 0, 0])
        group[0] += 1
        group[1] += sum(was)
        group[2] += sum(amounts)
        if sum(was) != sum(amounts):
            out.changed.append((person_id, sum(was), sum(amounts)))


def totals(r: Rebill) -> dict:
    billed = sum(v[0] for v in r.by_payer.values())
    draft = sum(v[1] for v in r.by_payer.values())
    return {"billed": yuan(billed), "draft": yuan(draft), "difference": yuan(draft - billed), "people": r.people,
            "billed_people": sum(v[0] for v in r.by_group.values()), "changed": len(r.changed), "skipped": r.skipped}


def workbook_bytes(r: Rebill) -> bytes:
    t = totals(r)
    wb = Workbook()
    wb.sheet("合计", ("项目", "金额（元）或人数"), widths=(28, 20)).extend([
        ("缴费期间", r.period.label), ("已核定应缴合计", t["billed"]), ("按草案应缴合计", t["draft"]), ("差额", t["difference"]),
        ("登记参保人数", t["people"]), ("按草案核定人数", t["billed_people"]), ("应缴金额变化人数", t["changed"]),
        ("未核定人数（不参加长护险或缺少缴费基数）", t["skipped"])])
    wb.sheet("按缴费方", ("缴费方", "已核定（元）", "按草案（元）", "差额（元）"), widths=(20, 20, 20, 20)).extend(
        (Payer(p).label, yuan(b), yuan(d), yuan(d - b)) for p, (b, d) in r.by_payer.items())
    wb.sheet("按险种与人员类别", ("险种", "人员类别", "人数", "已核定（元）", "按草案（元）", "差额（元）"),
             widths=(16, 20, 12, 20, 20, 20)).extend(
        (SCHEME_LABELS.get(s, s), CATEGORY_LABELS.get(c, "—"), n, yuan(b), yuan(d), yuan(d - b))
        for (s, c), (n, b, d) in sorted(r.by_group.items()))
    sheet = wb.sheet("应缴变化人员", ("姓名", "证件号码", "已核定（元）", "按草案（元）", "差额（元）"), widths=(12, 22, 16, 16, 16))
    shown = r.changed[:EXCEL_ROWS]
    for start in range(0, len(shown), 50_000):
        part = shown[start:start + 50_000]
        names = {pk: (n, i) for pk, n, i in Person.objects.filter(pk__in=[p for p, _, _ in part])
                 .values_list("pk", "name", "id_number")}
        sheet.extend((names[p][0], mask_id(names[p][1]), yuan(b), yuan(d), yuan(d - b)) for p, b, d in part)
    if len(r.changed) > EXCEL_ROWS:
        sheet.append((f"另有 {len(r.changed) - EXCEL_ROWS:,} 人未列出（Excel 每表最多约一百万行）",))
    return wb.save()
