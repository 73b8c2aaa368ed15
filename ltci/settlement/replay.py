"""A settled month replayed under a draft policy (issue 18): the month's facts read as settlement
reads them, the lines computed by the same code under the draft's parameters, and compared with
what was booked (regular lines and adjustments; recoveries are sanctions, not entitlement), per
person, per institution and in total. Books nothing. Under the current parameters the replay gives
what was booked, to the fen (a test says so)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from ltci.audit.masking import mask_id
from ltci.core.exports import Workbook
from ltci.enrolment.models import Person
from ltci.fund.drafts import check_draft, draft_params
from ltci.policy.money import yuan
from ltci.providers.models import Institution

from . import compute, facts, inputs
from .models import Line, LineKind, PayeeKind

CASH = 0  # the institution key of cash benefits paid to the insured


def _fen(value) -> int:
    return int((Decimal(str(value or 0)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Replay:
    region: str
    month: date
    policy_version: str
    source: str = ""  # which facts: those the month was settled on, or the database's as they are now
    # person_id -> [booked fund, booked personal, draft fund, draft personal] in fen
    people: dict[int, list[int]] = field(default_factory=dict)
    # institution_id (CASH for cash benefits) -> [booked fund, draft fund] in fen
    institutions: dict[int, list[int]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def totals(self) -> dict[str, Decimal]:
        sums = [sum(v[i] for v in self.people.values()) for i in range(4)]
        return {"booked_fund": yuan(sums[0]), "booked_personal": yuan(sums[1]), "draft_fund": yuan(sums[2]),
                "draft_personal": yuan(sums[3]), "fund_difference": yuan(sums[2] - sums[0]),
                "people": len(self.people), "people_changed": sum(1 for v in self.people.values() if v[0] != v[2]
                                                                  or v[1] != v[3])}


def replay(region: str, month: date, draft_text: str) -> Replay:
    """What the month would have paid under the draft, beside what was booked; refuses a draft the
    engine cannot read (ValidationError, with the reason)."""
    first = month.replace(day=1)
    check_draft(region, first, draft_text)
    out = Replay(region, first, "")
    started = time.monotonic()
    frames = facts.kept(region, first)
    out.source = "结算时的数据" if frames is not None else "数据库中的当前数据"
    if frames is None:
        frames = inputs.read(region, first)
    out.seconds["read"] = time.monotonic() - started
    started = time.monotonic()
    with draft_params(region, first, draft_text) as params_dir:
        result = compute.settle(frames, region, first, params_dir)
    out.policy_version = result.policy_version
    out.seconds["compute"] = time.monotonic() - started
    started = time.monotonic()
    booked = (Line.objects.filter(claim__region_id=region, service_month=first,
                                  kind__in=(LineKind.REGULAR, LineKind.ADJUSTMENT))
              .values_list("person_id", "claim__institution_id").annotate(fund=Sum("fund"), personal=Sum("personal")))
    for person_id, institution_id, fund, personal in booked:
        row = out.people.setdefault(person_id, [0, 0, 0, 0])
        row[0] += _fen(fund)
        row[1] += _fen(personal)
        out.institutions.setdefault(institution_id or CASH, [0, 0])[0] += _fen(fund)
    for ln in result.lines:
        row = out.people.setdefault(ln["person_id"], [0, 0, 0, 0])
        row[2] += _fen(ln["fund"])
        row[3] += _fen(ln["personal"])
        institution = ln["institution_id"] if ln["payee"] == PayeeKind.INSTITUTION else CASH
        out.institutions.setdefault(institution or CASH, [0, 0])[1] += _fen(ln["fund"])
    out.seconds["compare"] = time.monotonic() - started
    return out


def workbook_bytes(r: Replay, *, changed_only: bool = False) -> bytes:
    """The comparison for people: totals, each institution, each person (ID numbers masked)."""
    wb = Workbook()
    t = r.totals()
    summary = wb.sheet("合计", ("项目", "金额（元）或人数"), widths=(28, 20))
    summary.extend([("服务月份", f"{r.month:%Y年%m月}"), ("计算所用数据", r.source), ("已结算基金支付", t["booked_fund"]),
                    ("按草案基金支付", t["draft_fund"]), ("基金支付差额", t["fund_difference"]),
                    ("已结算个人负担", t["booked_personal"]), ("按草案个人负担", t["draft_personal"]),
                    ("涉及人数", t["people"]), ("金额变化人数", t["people_changed"])])
    names = dict(Institution.objects.filter(pk__in=[k for k in r.institutions if k]).values_list("pk", "name"))
    wb.sheet("按机构", ("定点机构", "已结算基金支付（元）", "按草案基金支付（元）", "差额（元）"), widths=(36, 20, 20, 18)).extend(
        (names.get(k, "现金补助（支付给参保人）") if k else "现金补助（支付给参保人）", yuan(b), yuan(d), yuan(d - b))
        for k, (b, d) in sorted(r.institutions.items()))
    people = {pk: (name, number) for pk, name, number in
              Person.objects.filter(pk__in=list(r.people)).values_list("pk", "name", "id_number").iterator(chunk_size=5000)}
    rows = ((people.get(pk, ("", ""))[0], mask_id(people.get(pk, ("", ""))[1]), yuan(v[0]), yuan(v[2]), yuan(v[2] - v[0]),
             yuan(v[1]), yuan(v[3])) for pk, v in sorted(r.people.items()) if not changed_only or v[0] != v[2] or v[1] != v[3])
    wb.sheet("按人员", ("姓名", "证件号码", "已结算基金支付（元）", "按草案基金支付（元）", "基金支付差额（元）", "已结算个人负担（元）",
                     "按草案个人负担（元）"), widths=(12, 22, 18, 18, 18, 18, 18)).extend(rows)
    return wb.save()
