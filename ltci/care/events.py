"""Events that change benefits from their date: a hospital stay's admission and discharge (by hand, or
from the medical insurance system's inpatient records), death (from civil affairs' records, or by
hand) and moving away.

Every event is kept as entered, with who entered it and when. A correction is a new event naming the
one it corrects; the corrected one stays, and from then on only the correction counts. The events
that count for a person must make sense together: admissions and discharges alternate (a discharge
ends the stay open before it, nobody is admitted twice at once), and nothing happens after death.

Imports read a bureau's file row by row: a good row is kept, a bad row is reported with its row
number, column and reason; a row already imported is skipped, so a file imported twice makes
nothing new. A file that cannot be read, or lacks a required column, changes nothing.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ltci.accounts.scope import visible
from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.core.slices import in_slices, read_whole
from ltci.core.tabular import Column, cell_problem
from ltci.core.values import BadValue, parse_date
from ltci.enrolment.idcard import InvalidIdNumber, detect_kind, normalise, parse_identity
from ltci.enrolment.models import Person

from .models import CareEvent, EventKind, EventSource

ADMISSION, DISCHARGE = EventKind.HOSPITAL_ADMISSION, EventKind.HOSPITAL_DISCHARGE
ENDING = frozenset({EventKind.DEATH, EventKind.MOVED_AWAY})

INPATIENT_COLUMNS = (
    Column("id_number", "证件号码", True, "居民身份证等证件号码，须已在本地区参保登记"),
    Column("name", "姓名", True, "须与参保登记一致"),
    Column("admitted_on", "入院日期", True, "年-月-日，如 2026-01-31"),
    Column("discharged_on", "出院日期", False, "年-月-日，如 2026-01-31；尚未出院的留空"),
    Column("reference", "住院流水号", True, "医保系统的住院流水号；同一流水号再次导入不重复登记"),
)
DEATH_COLUMNS = (
    Column("id_number", "证件号码", True, "居民身份证等证件号码，须已在本地区参保登记"),
    Column("name", "姓名", True, "须与参保登记一致"),
    Column("died_on", "死亡日期", True, "年-月-日，如 2026-01-31"),
    Column("reference", "记录号", True, "民政数据的记录号；同一记录号再次导入不重复登记"),
)


def today() -> date:
    return timezone.localdate()


# What counts -------------------------------------------------------------------------------------

def effective(person: Person, *, exclude: int | None = None):
    """The person's events that count: those no later event corrects (`exclude`: leave one out)."""
    qs = CareEvent.objects.filter(person=person, corrected_by__isnull=True)
    return qs.exclude(pk=exclude) if exclude else qs


class _Fault(Exception):
    def __init__(self, day: date, message: str):
        super().__init__(message)
        self.day, self.message = day, message


def _pair(events) -> list[tuple[date, date | None]]:
    """Hospital stays (admitted, discharged or None) from (kind, day) pairs, in date order. On one day a
    stay open since before ends before another begins, so a same-day transfer and a day case both fit.
    Raises _Fault where admissions and discharges do not alternate."""
    by_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for kind, day in events:
        if kind == ADMISSION:
            by_day[day][0] += 1
        elif kind == DISCHARGE:
            by_day[day][1] += 1
    stays: list[tuple[date, date | None]] = []
    open_since = None
    for day in sorted(by_day):
        admitted, discharged = by_day[day]
        if open_since is not None:
            if not discharged:
                raise _Fault(day, f"{open_since:%Y-%m-%d}入院后尚未出院，不能再次入院")
            stays.append((open_since, day))
            open_since, discharged = None, discharged - 1
        while admitted and discharged:
            stays.append((day, day))
            admitted, discharged = admitted - 1, discharged - 1
        if discharged:
            raise _Fault(day, f"{day:%Y-%m-%d}出院之前没有未出院的入院记录")
        if admitted > 1:
            raise _Fault(day, f"{day:%Y-%m-%d}入院后尚未出院，不能再次入院")
        if admitted:
            open_since = day
    if open_since is not None:
        stays.append((open_since, None))
    return stays


def hospital_stays(person: Person) -> list[tuple[date, date | None]]:
    """The person's hospital stays as the events that count say: (admitted, discharged or None)."""
    try:
        return _pair(effective(person).filter(kind__in=(ADMISSION, DISCHARGE)).values_list("kind", "on"))
    except _Fault:  # cannot happen for events recorded here; read what can be read
        return []


def in_hospital_on(stays: list[tuple[date, date | None]], day: date) -> bool:
    return any(start <= day and (end is None or end >= day) for start, end in stays)


def suspended_on(stays: list[tuple[date, date | None]], day: date) -> bool:
    """Whether a hospital stay suspends benefits that day: from the day after admission up to and
    including the day of discharge (spec regions.md P3, as ltci.policy.days counts eligible days)."""
    return any(start < day and (end is None or day <= end) for start, end in stays)


def in_hospital(person: Person, day: date) -> bool:
    """In hospital that day: admitted on or before it and not discharged before it."""
    return in_hospital_on(hospital_stays(person), day)


def ended_on(person: Person) -> date | None:
    """The day of death or of moving away, the earlier: benefits end the day after (P3)."""
    first = effective(person).filter(kind__in=ENDING).order_by("on").first()
    return first.on if first else None


# Recording ---------------------------------------------------------------------------------------

def _check(person: Person, kind: str, on: date, corrects: CareEvent | None) -> None:
    """Refuses an event that does not fit the events that count (the corrected one left out)."""
    others = list(effective(person, exclude=corrects.pk if corrects else None).values_list("kind", "on"))
    deaths = sorted(d for k, d in others if k == EventKind.DEATH)
    if kind == EventKind.DEATH:
        if deaths:
            raise ValidationError({"kind": f"已登记死亡（{deaths[0]:%Y-%m-%d}）"})
        later = max((d for _, d in others if d > on), default=None)
        if later:
            raise ValidationError({"on": f"已有{later:%Y-%m-%d}的事件记录，死亡日期不能早于它"})
        return
    if deaths and on > deaths[0]:
        raise ValidationError({"on": f"已于{deaths[0]:%Y-%m-%d}登记死亡，其后不能再登记事件"})
    if kind == EventKind.MOVED_AWAY:
        moved = sorted(d for k, d in others if k == EventKind.MOVED_AWAY)
        if moved:
            raise ValidationError({"kind": f"已登记迁出（{moved[0]:%Y-%m-%d}）"})
        return
    try:
        _pair([*others, (kind, on)])
    except _Fault as fault:
        message = fault.message if fault.day == on else f"与已登记的住院记录冲突：{fault.message}"
        raise ValidationError({"on": message}) from None


def _record(person: Person, user, *, kind: str, on: date, source: str, reference: str, note: str,
            corrects: CareEvent | None) -> CareEvent:
    if kind not in EventKind.values:
        raise ValidationError({"kind": f"事件应为{'、'.join(EventKind.labels)}之一"})
    if source not in EventSource.values:
        raise ValidationError({"source": f"来源应为{'、'.join(EventSource.labels)}之一"})
    if not isinstance(on, date):
        raise ValidationError({"on": "请填写日期"})
    if on > today():
        raise ValidationError({"on": "日期不能晚于今天"})
    reference, note = (reference or "").strip(), (note or "").strip()
    if len(reference) > 64:
        raise ValidationError({"reference": "来源记录号不能超过64个字符"})
    if len(note) > 200:
        raise ValidationError({"note": "说明不能超过200个字"})
    Person.objects.select_for_update().filter(pk=person.pk).first()  # one event of a person at a time
    if corrects is not None:
        corrects = CareEvent.objects.select_for_update().filter(pk=corrects.pk).first()
        if corrects is None or corrects.person_id != person.pk:
            raise ValidationError({"corrects": "要更正的事件不是该参保人的记录"})
        newer = CareEvent.objects.filter(corrects=corrects).first()
        if newer is not None:
            raise ValidationError({"corrects": f"该事件已被更正（记录 {newer.pk}），请更正最新的记录"})
    if reference and CareEvent.objects.filter(region_id=person.region_id, source=source, reference=reference,
                                              kind=kind).exists():
        raise ValidationError({"reference": f"来源记录号 {reference} 的{EventKind(kind).label}已登记"})
    _check(person, kind, on, corrects)
    try:
        with transaction.atomic():
            return CareEvent.objects.create(region_id=person.region_id, person=person, kind=kind, on=on, source=source,
                                            reference=reference, note=note, corrects=corrects, entered_by=user)
    except IntegrityError:  # the same record or the same correction arrived twice at once
        raise ValidationError({"reference" if reference else "corrects": "该记录已登记"}) from None


@transaction.atomic
def record_event(person: Person, user, *, kind: str, on: date, source: str = EventSource.MANUAL, reference: str = "",
                 note: str = "", corrects: CareEvent | None = None) -> CareEvent:
    """Records an event (or a correction of one, as a new event); refuses one that does not fit."""
    event = _record(person, user, kind=kind, on=on, source=source, reference=reference, note=note, corrects=corrects)
    record(Action.CREATE, event, user=user, object_repr=f"{person.name} {event.get_kind_display()} {on:%Y-%m-%d}",
           detail={"kind": kind, "on": on.isoformat(), "source": source, "reference": event.reference,
                   "note": event.note, "corrects": corrects.pk if corrects else None})
    return event


# Imports -----------------------------------------------------------------------------------------

@dataclass
class _Report:
    headers: dict
    accepted: int = 0
    events: int = 0
    skipped: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)

    def counts(self) -> dict:
        return {"rows": self.accepted + len(self.skipped) + len(self.rejected), "accepted": self.accepted,
                "events": self.events, "skipped": len(self.skipped), "rejected": len(self.rejected)}

    def result(self) -> dict:
        return {**self.counts(), "skipped_rows": self.skipped, "rejected_rows": self.rejected}

    def skip(self, row: int, column: str, reason: str) -> None:
        self.skipped.append({"row": row, "column": self.headers.get(column, column), "reason": reason})

    def reject(self, row: int, column: str, reason: str) -> None:
        self.rejected.append({"row": row, "column": self.headers.get(column, column), "reason": reason})


class _Refused(Exception):
    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column, self.reason = column, reason


def _same_name(a: str, b: str) -> bool:
    def clean(s):
        return "".join(unicodedata.normalize("NFKC", s or "").split())
    return clean(a) == clean(b)


def _person(people, values: dict) -> Person:
    number = normalise(str(values.get("id_number", "")))
    if not number:
        raise _Refused("id_number", "证件号码为空")
    try:
        parse_identity(detect_kind(number), number, today=today())
    except InvalidIdNumber as exc:
        raise _Refused("id_number", str(exc)) from None
    person = people.filter(id_number=number).first()
    if person is None:
        raise _Refused("id_number", "未在本地区参保登记")
    name = str(values.get("name", ""))
    if not name.strip():
        raise _Refused("name", "姓名为空")
    if not _same_name(name, person.name):
        raise _Refused("name", "姓名与参保登记不一致")
    return person


def _date(values: dict, key: str, label: str) -> date | None:
    raw = values.get(key, "")
    if raw == "" or raw is None:
        return None
    try:
        day = parse_date(raw)
    except BadValue as exc:
        raise _Refused(key, str(exc)) from None
    if day > today():
        raise _Refused(key, f"{label}不能晚于今天")
    return day


def _reference(values: dict, label: str) -> str:
    reference = str(values.get("reference", "")).strip()
    if not reference:
        raise _Refused("reference", f"{label}为空")
    if len(reference) > 64:
        raise _Refused("reference", f"{label}不能超过64个字符")
    return reference


def _already(person: Person, source: str, reference: str, kind: str, on: date, column: str) -> str:
    """Why an event need not be made again ("" if it must be): imported before, or the same kind of
    event on the same day already counts (entered by hand, say). Imported before with another date
    is refused: a clerk corrects it by hand."""
    before = CareEvent.objects.filter(region_id=person.region_id, source=source, reference=reference, kind=kind).first()
    if before is not None:
        if before.person_id != person.pk:
            raise _Refused("reference", f"该记录号已导入为其他参保人的{EventKind(kind).label}记录")
        if before.on != on:
            raise _Refused(column, f"与已导入的{EventKind(kind).label}日期（{before.on:%Y-%m-%d}）不一致，请人工登记更正")
        return "已导入"
    same = effective(person).filter(kind=kind, on=on).first()
    if same is not None:
        return f"已有同日的{EventKind(kind).label}记录（{same.get_source_display()}）"
    return ""


def _make(person: Person, user, *, kind: str, on: date, source: str, reference: str, column: str) -> None:
    try:
        _record(person, user, kind=kind, on=on, source=source, reference=reference, note="", corrects=None)
    except ValidationError as exc:
        raise _Refused(column, "；".join(m for ms in exc.message_dict.values() for m in ms)) from None


def _people(region_code: str, user):
    """The region's people the importing user may record events for."""
    people = Person.objects.filter(region_id=region_code)
    return visible(people, user) if user is not None else people


def _run(region_code: str, path, user, columns, handle, *, what: str, source: str) -> dict:
    report = _Report(headers={c.key: c.header for c in columns})
    people = _people(region_code, user)
    rows = read_whole(Path(path), columns)  # an unreadable file, found midway, leaves nothing behind

    def one(row: int, values: dict) -> None:
        problem = cell_problem(values)
        if problem:
            report.reject(row, *problem)
            return
        try:
            with transaction.atomic():
                made, skipped = handle(people, values, user)
        except _Refused as refused:
            report.reject(row, refused.column, refused.reason)
            return
        if made:
            report.accepted += 1
            report.events += made
        else:
            report.skip(row, "reference", skipped)

    def trace(first, last):
        record(Action.IMPORT, object_type_="care.careevent", object_repr=what, region=region_code, user=user,
               detail={"source": source, "file": Path(path).name, "rows_written": [first, last], **report.counts()})

    in_slices(rows, one, trace)
    return report.result()


def _inpatient_row(people, values: dict, user) -> tuple[int, str]:
    person = _person(people, values)
    admitted = _date(values, "admitted_on", "入院日期")
    if admitted is None:
        raise _Refused("admitted_on", "入院日期为空")
    discharged = _date(values, "discharged_on", "出院日期")
    if discharged is not None and discharged < admitted:
        raise _Refused("discharged_on", "出院日期早于入院日期")
    reference = _reference(values, "住院流水号")
    source = EventSource.INPATIENT_IMPORT
    made, reasons = 0, []
    for kind, on, column in ((ADMISSION, admitted, "admitted_on"), (DISCHARGE, discharged, "discharged_on")):
        if on is None:
            continue
        reason = _already(person, source, reference, kind, on, column)
        if reason:
            reasons.append(f"{EventKind(kind).label}{reason}")
            continue
        _make(person, user, kind=kind, on=on, source=source, reference=reference, column=column)
        made += 1
    return made, "；".join(reasons)


def _death_row(people, values: dict, user) -> tuple[int, str]:
    person = _person(people, values)
    died = _date(values, "died_on", "死亡日期")
    if died is None:
        raise _Refused("died_on", "死亡日期为空")
    reference = _reference(values, "记录号")
    source = EventSource.CIVIL_AFFAIRS_IMPORT
    reason = _already(person, source, reference, EventKind.DEATH, died, "died_on")
    if reason:
        return 0, reason
    _make(person, user, kind=EventKind.DEATH, on=died, source=source, reference=reference, column="died_on")
    return 1, ""


def import_inpatient(region_code: str, path, user) -> dict:
    """The medical insurance system's inpatient records: each row an admission and, when the
    discharge date is given, a discharge; idempotent by the 住院流水号."""
    return _run(region_code, path, user, INPATIENT_COLUMNS, _inpatient_row, what="医保住院数据导入",
                source=EventSource.INPATIENT_IMPORT)


def import_deaths(region_code: str, path, user) -> dict:
    """Civil affairs' death records; idempotent by the 记录号."""
    return _run(region_code, path, user, DEATH_COLUMNS, _death_row, what="民政死亡数据导入",
                source=EventSource.CIVIL_AFFAIRS_IMPORT)
