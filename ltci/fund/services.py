"""Posting to the fund's books: the only write path, which refuses an unbalanced journal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from .accounts import NAMES
from .models import Journal, Posting


@dataclass(frozen=True)
class Entry:
    account: str
    debit: Decimal = Decimal("0")
    credit: Decimal = Decimal("0")
    party: str = ""


def _check(entries: list[Entry]) -> None:
    if not entries or any(e.account not in NAMES for e in entries):
        raise ValidationError({"account": "未知的会计科目"})
    if any(e.debit < 0 or e.credit < 0 or (e.debit and e.credit) for e in entries):
        raise ValidationError({"amount": "分录金额须为非负数，且借贷只能一方"})
    if sum(e.debit for e in entries) != sum(e.credit for e in entries):
        raise ValidationError({"amount": "借贷不平衡"})


@transaction.atomic
def post(*, region_id: str, key: str, posted_on: date, kind: str, memo: str, source, entries: list[Entry]) -> Journal:
    """Posts a balanced journal once: the same key again returns the journal already posted."""
    existing = Journal.objects.filter(key=key).first()
    if existing is not None:
        return existing
    _check(entries)
    journal = _journal(region_id=region_id, key=key, posted_on=posted_on, kind=kind, memo=memo, source=source,
                       entries=entries)
    journal.save()
    Posting.objects.bulk_create(Posting(journal=journal, account=e.account, debit=e.debit, credit=e.credit, party=e.party)
                                for e in entries)
    return journal


@transaction.atomic
def post_many(journals: list[dict]) -> int:
    """Posts many balanced journals at once, each given as `post`'s keyword arguments. Keys already
    posted are skipped, so a re-run posts nothing twice."""
    done = set(Journal.objects.filter(key__in=[j["key"] for j in journals]).values_list("key", flat=True))
    todo = [j for j in journals if j["key"] not in done]
    for j in todo:
        _check(j["entries"])
    created = Journal.objects.bulk_create([_journal(**j) for j in todo], batch_size=2000)
    ids = {j.key: j.pk for j in created} if all(j.pk for j in created) else dict(
        Journal.objects.filter(key__in=[j["key"] for j in todo]).values_list("key", "pk"))
    Posting.objects.bulk_create(
        [Posting(journal_id=ids[j["key"]], account=e.account, debit=e.debit, credit=e.credit,
                 party=e.party)
         for j in todo for e in j["entries"]], batch_size=5000)
    return len(todo)


def _journal(*, region_id, key, posted_on, kind, memo, source, entries) -> Journal:
    return Journal(region_id=region_id, key=key, posted_on=posted_on, kind=kind, memo=memo[:200],
                   source_type=source._meta.label_lower, source_id=str(source.pk))
