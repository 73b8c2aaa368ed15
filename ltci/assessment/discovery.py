"""Active discovery (主动发现, 嘉兴 三(三)8–9): lists from hospitals, civil affairs and the disabled
persons' federation become leads for a clerk to contact, for people who may qualify but have not
applied. A row is checked against the register; people already in the flow or holding a
certificate in force are skipped, since there is nobody to find."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.core.slices import in_slices, read_whole
from ltci.core.tabular import Column, cell_problem
from ltci.core.uploads import save_upload
from ltci.core.values import BadValue, parse_date
from ltci.enrolment.idcard import (
    InvalidIdNumber,
    detect_kind,
    normalise,
    parse_identity,
)
from ltci.enrolment.models import EnrolmentStatus, Person

from . import services
from .flow import OPEN
from .models import Application, Lead, LeadSource, LeadStatus

COLUMNS = (
    Column("id_number", "证件号码", True, "居民身份证等证件号码，须已在本地区参保登记"),
    Column("name", "姓名", True, "须与参保登记一致"),
    Column("listed_on", "名单日期", True, "出院、发证或列入名单的日期，年-月-日，如 2026-01-31"),
    Column("detail", "说明", False, "如出院诊断、残疾类别，200字以内"),
)
HEADERS = {c.key: c.header for c in COLUMNS}


@dataclass
class DiscoveryReport:
    """What one import did: rows kept as leads, rows skipped and rows rejected, each with the reason."""

    source: str
    accepted: int = 0
    skipped: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.accepted + len(self.skipped) + len(self.rejected)

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows, "accepted": self.accepted, "skipped": len(self.skipped),
                "rejected": len(self.rejected)}

    def skip(self, row: int, reason: str) -> None:
        self.skipped.append({"row": row, "column": HEADERS["id_number"], "reason": reason})

    def reject(self, row: int, column: str, reason: str) -> None:
        self.rejected.append({"row": row, "column": HEADERS.get(column, column), "reason": reason})


class _Refused(Exception):
    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column, self.reason = column, reason


def _same_name(a: str, b: str) -> bool:
    """Names compared as people type them: full-width forms and stray spaces do not count."""
    def clean(s):
        return "".join(unicodedata.normalize("NFKC", s or "").split())
    return clean(a) == clean(b)


def _person(region_code: str, values: dict, on: date) -> tuple[Person, date]:
    number = normalise(str(values.get("id_number", "")))
    if not number:
        raise _Refused("id_number", "证件号码为空")
    try:
        parse_identity(detect_kind(number), number, today=on)
    except InvalidIdNumber as exc:
        raise _Refused("id_number", str(exc)) from None
    person = Person.objects.filter(region_id=region_code, id_number=number).first()
    if person is None:
        raise _Refused("id_number", "未在本地区参保登记")
    name = str(values.get("name", ""))
    if not name.strip():
        raise _Refused("name", "姓名为空")
    if not _same_name(name, person.name):
        raise _Refused("name", "姓名与参保登记不一致")
    try:
        listed_on = parse_date(values.get("listed_on", ""))
    except BadValue as exc:
        raise _Refused("listed_on", str(exc)) from None
    if listed_on > on:
        raise _Refused("listed_on", f"名单日期不能晚于{on:%Y-%m-%d}")
    return person, listed_on


def _skip_reason(person: Person, source: str, listed_on: date, on: date) -> str:
    if not person.enrolments.filter(status=EnrolmentStatus.ACTIVE).exists():
        return "未在参保状态（无有效参保登记），不能享受长护险待遇"
    app = Application.objects.filter(person=person, state__in=OPEN).order_by("-id").first()
    if app is not None:
        return f"已有办理中的评估申请（{app.number}，{app.state_label}）"
    cert = services.grade_on(person, on)
    if cert is not None:
        return f"持有有效的评估结论（{services.grade_label(cert.grade)}，有效期至{cert.last_day:%Y-%m-%d}）"
    if Lead.objects.filter(person=person, source=source, listed_on=listed_on).exists():
        return "该名单记录已导入"
    return ""


def _path(upload_or_path) -> Path:
    if isinstance(upload_or_path, (str, Path)):
        return Path(upload_or_path)
    path, _ = save_upload(upload_or_path, field="file", subdir="discovery")
    return path


def import_leads(region_code: str, source: str, upload_or_path, user, *, on: date | None = None) -> DiscoveryReport:
    """Reads another department's list row by row into leads. A row's fault rejects that row only;
    a file that cannot be read, or lacks a required column, changes nothing."""
    on = on or services.today()
    if source not in LeadSource.values:
        raise ValidationError({"source": f"名单来源应为{'、'.join(LeadSource.labels)}之一"})
    if not services.rules(region_code, on).active_discovery:
        raise ValidationError({"source": "本地区未开展主动发现"})
    path = _path(upload_or_path)
    report = DiscoveryReport(source=source)
    rows = read_whole(path, COLUMNS)  # a file that cannot be read, wherever it breaks, changes nothing

    def one(row: int, values: dict) -> None:
        problem = cell_problem(values)
        if problem:
            report.reject(row, *problem)
            return
        try:
            person, listed_on = _person(region_code, values, on)
        except _Refused as refused:
            report.reject(row, refused.column, refused.reason)
            return
        reason = _skip_reason(person, source, listed_on, on)
        if reason:
            report.skip(row, reason)
            return
        Lead.objects.create(region_id=region_code, person=person, source=source, listed_on=listed_on,
                            detail=str(values.get("detail", "")).strip()[:200])
        report.accepted += 1

    def trace(first, last):
        record(Action.IMPORT, object_type_="assessment.lead", object_repr=f"主动发现名单：{LeadSource(source).label}",
               region=region_code, detail={"source": source, "file": path.name, "rows_written": [first, last],
                                           **report.counts()}, user=user)

    in_slices(rows, one, trace)
    return report


@transaction.atomic
def mark_lead(lead: Lead, user, status: str, note: str = "") -> Lead:
    """A clerk's outcome of contacting the person; a dismissal says why."""
    if status not in LeadStatus.values or status == LeadStatus.OPEN:
        allowed = "、".join(label for value, label in LeadStatus.choices if value != LeadStatus.OPEN)
        raise ValidationError({"status": f"处理结果应为{allowed}之一"})
    note = (note or "").strip()
    if status == LeadStatus.DISMISSED and not note:
        raise ValidationError({"note": "请写明不符合的原因"})
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    before = lead.status
    lead.status, lead.handled_by, lead.handled_note = status, user, note[:200]
    lead.save()
    record(Action.UPDATE, lead, user=user, detail={"status": [before, status], "note": note[:200]})
    return lead


def leads_for(region_code: str) -> QuerySet:
    """The region's leads, those still to contact first, the most recently listed first within each."""
    waiting = Case(When(status=LeadStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return (Lead.objects.filter(region_id=region_code).select_related("person", "handled_by")
            .order_by(waiting, "-listed_on", "id"))
