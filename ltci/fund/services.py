"""Posting to the fund's books: the only write path. It refuses an unbalanced journal, an unknown
account, a posting with both sides or a negative side, more than two decimals, a payable without
its party, and a journal dated in a closed month (field `posted_on`), unless the caller asks for it
to go to the first open month instead (`into_open_month`: an event recorded after its month
closed). Each call is one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ltci.audit.models import Action
from ltci.audit.recorder import record

from . import periods
from .accounts import NAMES, PAYABLE_INSTITUTION, PAYABLE_INSURED
from .models import Journal, Posting, Reversal

CENT = Decimal("0.01")
REVERSAL_KIND = "reversal"
REASON_MAX = 150
PARTY_PREFIX = {PAYABLE_INSTITUTION: "institution:", PAYABLE_INSURED: "person:"}


@dataclass(frozen=True)
class Entry:
    account: str
    debit: Decimal = Decimal("0")
    credit: Decimal = Decimal("0")
    party: str = ""


def _check(entries: list[Entry]) -> None:
    if not entries:
        raise ValidationError({"entries": "凭证没有分录"})
    if any(e.account not in NAMES for e in entries):
        raise ValidationError({"account": "未知的会计科目"})
    amounts = [a for e in entries for a in (e.debit, e.credit)]
    if any(not a.is_finite() or a < 0 for a in amounts) or any(e.debit and e.credit for e in entries):
        raise ValidationError({"amount": "分录金额须为非负数，且借贷只能一方"})
    if any(a != a.quantize(CENT) for a in amounts):
        raise ValidationError({"amount": "金额最多两位小数"})
    for e in entries:
        prefix = PARTY_PREFIX.get(e.account)
        if prefix and not (e.party.startswith(prefix) and e.party[len(prefix):].isdigit()):
            raise ValidationError({"party": f"{NAMES[e.account]}须注明往来单位（{prefix}<编号>）"})
    if sum(e.debit for e in entries) != sum(e.credit for e in entries):
        raise ValidationError({"amount": "借贷不平衡"})


@transaction.atomic
def post(*, region_id: str, key: str, posted_on: date, kind: str, memo: str, source, entries: list[Entry],
         into_open_month: bool = False) -> Journal:
    """Posts a balanced journal once: the same key again returns the journal already posted."""
    existing = Journal.objects.filter(key=key).first()
    if existing is not None:
        return existing
    _check(entries)
    last_closed = periods.closed_through(region_id)
    if into_open_month:
        posted_on, memo = _late(posted_on, memo, last_closed)
    periods.check_open(posted_on, last_closed)
    journal = _journal(region_id=region_id, key=key, posted_on=posted_on, kind=kind, memo=memo, source=source,
                       entries=entries)
    journal.save()
    Posting.objects.bulk_create(Posting(journal=journal, account=e.account, debit=e.debit, credit=e.credit, party=e.party)
                                for e in entries)
    return journal


@transaction.atomic
def post_many(journals: list[dict], *, into_open_month: bool = False) -> int:
    """Posts many balanced journals at once, each given as `post`'s keyword arguments. Keys already
    posted are skipped, so a re-run posts nothing twice. All or none."""
    done = set(Journal.objects.filter(key__in=[j["key"] for j in journals]).values_list("key", flat=True))
    todo = [j for j in journals if j["key"] not in done]
    last_closed = {r: periods.closed_through(r) for r in {j["region_id"] for j in todo}}
    if into_open_month:
        todo = [j | dict(zip(("posted_on", "memo"), _late(j["posted_on"], j["memo"], last_closed[j["region_id"]])))
                for j in todo]
    for j in todo:
        _check(j["entries"])
        periods.check_open(j["posted_on"], last_closed[j["region_id"]])
    created = Journal.objects.bulk_create([_journal(**j) for j in todo], batch_size=2000)
    ids = {j.key: j.pk for j in created} if all(j.pk for j in created) else dict(
        Journal.objects.filter(key__in=[j["key"] for j in todo]).values_list("key", "pk"))
    Posting.objects.bulk_create(
        [Posting(journal_id=ids[j["key"]], account=e.account, debit=e.debit, credit=e.credit,
                 party=e.party)
         for j in todo for e in j["entries"]], batch_size=5000)
    return len(todo)


def _late(posted_on: date, memo: str, last_closed: date | None) -> tuple[date, str]:
    """An event in a closed month is posted on the first day of the first open month, its own date in the memo."""
    booked = periods.booking_date(posted_on, last_closed)
    return (posted_on, memo) if booked == posted_on else (booked, f"［补记{posted_on:%Y-%m-%d}］{memo}")


def _journal(*, region_id, key, posted_on, kind, memo, source, entries) -> Journal:
    return Journal(region_id=region_id, key=key, posted_on=posted_on, kind=kind, memo=memo[:200],
                   source_type=source._meta.label_lower, source_id=str(source.pk))


@transaction.atomic
def reverse(original: Journal, user, *, reason: str, on: date | None = None) -> Reversal:
    """Corrects a journal by a new one with the opposite entries, linked to the original by a
    `Reversal`; the original is kept. Dated `on`, by default the original's own date so the error and
    its correction fall in the same period (the year's budget, the month's report); in the first open
    month when that one is closed. Refused for a journal reversed already and for a reversal itself.
    Audited."""
    original = Journal.objects.select_for_update().get(pk=original.pk)
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"请写明冲销理由（不超过{REASON_MAX}个字）"})
    if original.kind == REVERSAL_KIND:
        raise ValidationError({"journal": "冲销凭证不能再冲销"})
    done = Reversal.objects.filter(original=original).first()
    if done is not None:
        raise ValidationError({"journal": f"该凭证已于{timezone.localtime(done.reversed_at):%Y-%m-%d}冲销，不能重复冲销"})
    entries = [Entry(p.account, debit=p.credit, credit=p.debit, party=p.party) for p in original.postings.all()]
    journal = post(region_id=original.region_id, key=f"reversal:{original.pk}", posted_on=on or original.posted_on,
                   kind=REVERSAL_KIND, memo=f"冲销{original.posted_on:%Y-%m-%d}凭证：{original.memo}（{reason}）",
                   source=original, entries=entries, into_open_month=True)
    reversal = Reversal.objects.create(original=original, journal=journal, reason=reason, reversed_by=user)
    record(Action.CREATE, reversal, user=user, region=original.region_id,
           detail={"reverses": original.pk, "journal": journal.pk, "reason": reason,
                   "amount": str(sum((e.debit for e in entries), Decimal(0)))})
    return reversal
