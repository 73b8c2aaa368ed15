"""Roster import: the medical-insurance roster (Excel or CSV) into the register, row by row.

The file streams through in chunks (`core.imports`): memory does not grow with it. The report
lists rejected rows with column and reason, the updates made, and the people with an active
enrolment whom the file does not list (reported, never ended). Importing the same file again
changes nothing. The IDs seen so far live in a temporary table, not in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from ltci.audit.masking import mask_id
from ltci.core import jobs
from ltci.core.imports import CONFLICT, Conflict, Report, RowRejected, import_file
from ltci.core.models import IssueKind, Job, JobKind
from ltci.core.tabular import Column
from ltci.core.money import CONTRIBUTION_BASE, PENSION
from ltci.core.values import BadValue, choice_map, parse_amount, parse_choice, parse_date
from ltci.policy.policies import policy_on
from ltci.policy.policies import region as policy_region

from .idcard import InvalidIdNumber, detect_kind, parse_identity
from .models import Category, Enrolment, EnrolmentStatus, IdKind, Person, Scheme, initials
from .services import check_phone

COLUMNS = (
    Column("id_kind", "证件类型", False, "居民身份证、港澳台居民居住证或外国人永久居留身份证；不填则按号码判断"),
    Column("id_number", "证件号码", True, "18位证件号码，校验位须正确"),
    Column("name", "姓名", True, ""),
    Column("sex", "性别", False, "男或女；填写时须与证件号码一致"),
    Column("birth_date", "出生日期", False, "年-月-日，如 1950-03-05；填写时须与证件号码一致"),
    Column("phone", "联系电话", False, "11位手机号或带区号的固定电话"),
    Column("district", "区县", True, "本统筹地区的区县名称或6位行政区划代码"),
    Column("address", "居住地址", False, ""),
    Column("scheme", "险种", True, "职工医保或城乡居民医保"),
    Column("category", "人员类别", False, "职工医保必填：在职职工、退休人员、灵活就业人员、领取失业保险金人员"),
    Column("start", "参保日期", True, "年-月-日，如 2026-01-01"),
    Column("contribution_base", "缴费基数", False, "元，最多两位小数；按费率缴费的地区（南宁）在职、灵活就业、失业人员必填"),
    Column("pension", "上年度月养老金", False, "元；按费率缴费的地区退休人员必填"),
)

_KINDS = choice_map(IdKind)
_SCHEMES = choice_map(Scheme, 职工基本医疗保险="employee", 城乡居民基本医疗保险="resident", 居民医保="resident")
_CATEGORIES = choice_map(Category, 在职="in_service", 退休="retired", 灵活就业="flexible", 失业="unemployed")
_SEXES = {"男": "M", "女": "F", "M": "M", "F": "F"}

PERSON_FIELDS = ("name", "phone", "district", "address")
ENROLMENT_FIELDS = ("scheme", "category", "start", "contribution_base", "pension")
FIELD_LABELS = {c.key: c.header for c in COLUMNS}


@dataclass
class RosterRow:
    row: int
    id_kind: str
    id_number: str
    name: str
    sex: str
    birth_date: date
    phone: str
    district: str
    address: str
    scheme: str
    category: str
    start: date
    contribution_base: Decimal | None
    pension: Decimal | None
    # For a clerk with the document at hand (an unknown place code): the counter asks to confirm them;
    # the import takes them silently, since most of the elderly's numbers carry one (docs/decisions/0020).
    warnings: tuple[str, ...] = ()


class RosterRules:
    """What a roster row must satisfy in one region: districts, covered schemes, bases for rates.

    The one check of a person with their enrolment: the roster import runs it on every row, counter
    registration (`ltci.enrolment.counter`) on the form, so both refuse alike, in the same words."""

    def __init__(self, region_code: str, today: date):
        reg = policy_region(region_code)
        self.districts = {d.name: d.name for d in reg.districts} | {d.code: d.name for d in reg.districts}
        self.today = today
        version = reg.version_on(today) or reg.versions[-1]
        contribution = policy_on(region_code, version.valid_from).params.section("contribution")
        self.region_name = reg.name
        self.schemes = contribution.values("schemes")[0] if "schemes" in contribution else list(Scheme.values)
        self.bases = {c: s.text("base") for c, s in contribution.sections("categories").items()} \
            if "categories" in contribution else {}

    def parse(self, number: int, v: dict) -> RosterRow:
        def get(key):
            return v.get(key, "")

        number_text = str(get("id_number")).replace(" ", "").upper()
        if not number_text:
            raise RowRejected("id_number", "证件号码必填")
        kind = _choice("id_kind", get("id_kind"), _KINDS, "证件类型") if get("id_kind") else detect_kind(number_text)
        try:
            ident = parse_identity(kind, number_text, today=self.today)
        except InvalidIdNumber as exc:
            raise RowRejected("id_number", str(exc)) from None
        try:
            return self._rest(number, v, kind, ident)
        except RowRejected as exc:
            exc.id_number = ident.number  # the person is on the roster, if with a bad row
            raise

    def _rest(self, number: int, v: dict, kind: str, ident) -> RosterRow:
        def get(key):
            return v.get(key, "")

        name = str(get("name")).strip()
        if not name or len(name) > 64:
            raise RowRejected("name", "姓名不能为空，最多64个字符")
        sex = _choice("sex", get("sex"), _SEXES, "性别") if get("sex") else ident.sex
        if sex is None:
            raise RowRejected("sex", "此证件号码不含性别，须填写性别")
        if ident.sex is not None and sex != ident.sex:
            raise RowRejected("sex", "性别与证件号码不一致")
        values = {}
        for key, parse in (("birth_date", parse_date), ("start", parse_date),
                           ("contribution_base", lambda v: parse_amount(v, CONTRIBUTION_BASE)),
                           ("pension", lambda v: parse_amount(v, PENSION))):
            try:
                values[key] = parse(get(key)) if get(key) != "" else None
            except BadValue as exc:
                raise RowRejected(key, str(exc)) from None
        if values["birth_date"] and values["birth_date"] != ident.birth_date:
            raise RowRejected("birth_date", "出生日期与证件号码不一致")
        start = values["start"]
        if start is None:
            raise RowRejected("start", "参保日期必填")
        if start < ident.birth_date or start > self.today:
            raise RowRejected("start", "参保日期不能早于出生日期或晚于今天")
        try:
            phone = check_phone(str(get("phone")))
        except ValidationError as exc:
            raise RowRejected("phone", exc.message_dict["phone"][0]) from None
        if not str(get("district")).strip():
            raise RowRejected("district", "区县必填")
        district = self.districts.get(str(get("district")).strip())
        if district is None:
            raise RowRejected("district", f"不是{self.region_name}的区县：{get('district')}")
        if not str(get("scheme")).strip():
            raise RowRejected("scheme", "险种必填")
        scheme = _choice("scheme", get("scheme"), _SCHEMES, "险种")
        category = _choice("category", get("category"), _CATEGORIES, "人员类别") if get("category") else ""
        if scheme not in self.schemes:
            raise RowRejected("scheme", f"{self.region_name}长护险不覆盖{Scheme(scheme).label}参保人")
        if scheme == "employee" and not category:
            raise RowRejected("category", "职工医保参保人须填写人员类别")
        if scheme == "resident" and category:
            raise RowRejected("category", "城乡居民医保参保人不填人员类别")
        needed = self.bases.get(category)
        if needed and values[{"base": "contribution_base", "pension": "pension"}[needed]] is None:
            column = {"base": "contribution_base", "pension": "pension"}[needed]
            raise RowRejected(column, f"{Category(category).label}按{FIELD_LABELS[column]}缴费，须填写")
        return RosterRow(number, kind, ident.number, name, sex, ident.birth_date, phone, district,
                         str(get("address")).strip()[:200], scheme, category, start,
                         values["contribution_base"], values["pension"], ident.warnings)


def _choice(column: str, value, choices: dict, what: str) -> str:
    try:
        return parse_choice(value, choices, what)
    except BadValue as exc:
        raise RowRejected(column, str(exc)) from None


def start_import(path: Path, region, *, strict: bool = True, dry_run: bool = False, user=None,
                 title: str = "", background: bool = False, params: dict | None = None) -> Job:
    """Creates the job and runs the import (in a thread when `background`)."""
    job = Job.objects.create(kind=JobKind.ROSTER_IMPORT, region=region, title=title or Path(path).name,
                             params={"strict": strict, "dry_run": dry_run, "path": str(path), **(params or {})},
                             created_by=user)
    job.thread = jobs.run(job, mode=jobs.mode_of(background))
    return job


@jobs.runner(JobKind.ROSTER_IMPORT)
def _import_job(job: Job) -> None:
    _import(job, Path(job.params["path"]), strict=job.params["strict"], dry_run=job.params["dry_run"])


def _import(job: Job, path: Path, *, strict: bool, dry_run: bool) -> None:
    rules = RosterRules(job.region_id, timezone.localdate())
    with connection.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE IF NOT EXISTS roster_seen (id_number varchar(18) PRIMARY KEY)")
        cur.execute("DELETE FROM roster_seen")
    try:
        import_file(job, path, COLUMNS, lambda chunk, report: _plan(job, rules, chunk, report), apply,
                    strict=strict, dry_run=dry_run, after=lambda report: _missing(job, report))
    finally:
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS roster_seen")


def _plan(job, rules: RosterRules, chunk, report: Report) -> dict:
    """A chunk's rows checked against the register (reads only): the changes they make, and the
    report lines. The IDs seen go to a temporary table, which holds no lock on the register."""
    counts = report.counts
    rows: dict[str, RosterRow] = {}
    listed = []  # IDs of rejected rows: they are on the roster, so not "missing" from it
    for number, values in chunk:
        try:
            row = rules.parse(number, values)
        except RowRejected as exc:
            report.reject(number, exc.column, exc.reason)
            if getattr(exc, "id_number", None):
                listed.append(exc.id_number)
            continue
        if row.id_number in rows:
            report.reject(number, "id_number", f"与第{rows[row.id_number].row}行重复")
            continue
        rows[row.id_number] = row
    for id_number in _seen_before(list(rows)):
        report.reject(rows.pop(id_number).row, "id_number", "与文件中前面的行重复")
    _remember(list(rows) + sorted(set(listed) - set(rows) - set(_seen_before(listed))))

    # Plain tuples, not model instances: at millions of rows the ORM's objects are the cost.
    # No ORDER BY: with one, SQLite walks the region's whole index instead of the (region, ID) one.
    existing = {r[1]: r for r in Person.objects.filter(region_id=job.region_id, id_number__in=list(rows))
                .order_by().values_list("pk", "id_number", *PERSON_FIELDS)}
    ids = [r[0] for r in existing.values()]
    active = {r[1]: r for r in Enrolment.objects.filter(person_id__in=ids, status=EnrolmentStatus.ACTIVE)
              .order_by().values_list("pk", "person_id", *ENROLMENT_FIELDS)}
    last_end = dict(Enrolment.objects.filter(person_id__in=[i for i in ids if i not in active], end__isnull=False)
                    .order_by("end").values_list("person_id", "end"))
    changes = {"people": [], "enrol": [], "person_updates": [], "enrolment_updates": []}
    for id_number, row in rows.items():
        found = existing.get(id_number)
        if found is None:
            changes["people"].append(_person_values(row) + _enrolment_values(row))
            counts["accepted"] += 1
            continue
        person_id, name = found[0], found[2]
        enrolment = active.get(person_id)
        if enrolment is None and person_id in last_end and row.start <= last_end[person_id]:
            # Checked before anything of the row is staged: a rejected row changes nothing.
            report.reject(row.row, "start", f"早于上次参保终止日期 {last_end[person_id]}")
            continue
        changed = [f for f, old in zip(PERSON_FIELDS, found[2:]) if old != getattr(row, f)]
        if changed:
            changes["person_updates"].append([person_id, *(getattr(row, f) for f in PERSON_FIELDS), initials(row.name)])
        if enrolment is None:
            changes["enrol"].append([person_id, *_enrolment_values(row)])
            changed.append("enrolment")
        else:
            e_changed = [f for f, old in zip(ENROLMENT_FIELDS, enrolment[2:]) if old != getattr(row, f)]
            if e_changed:
                changes["enrolment_updates"].append([enrolment[0], *_enrolment_values(row)])
            changed += e_changed
        if changed:
            counts["updated"] += 1
            report.add(IssueKind.UPDATED, row.row, "、".join(FIELD_LABELS.get(f, "参保登记") for f in changed),
                       f"{name}（{mask_id(id_number)}）已更新", person_id)
        else:
            counts["unchanged"] += 1
    return changes


def _person_values(r: RosterRow) -> list:
    return [r.id_kind, r.id_number, r.name, r.sex, r.birth_date, r.phone, r.district, r.address, initials(r.name)]


def _enrolment_values(r: RosterRow) -> list:
    return [r.scheme, r.category, r.start, r.contribution_base, r.pension]


def apply(job, changes: dict) -> None:
    """Writes a chunk's checked changes: new people with their enrolment, new enrolments, updates."""
    enrol = [(person_id, values) for person_id, *values in changes["enrol"]]
    if changes["people"]:
        created = _insert_people(job.region_id, [values[:9] for values in changes["people"]])
        enrol += [(created[values[1]], values[9:]) for values in changes["people"]]
    _insert_enrolments(job.region_id, enrol)
    if changes["person_updates"]:
        Person.objects.bulk_update(
            [Person(pk=pk, **dict(zip(PERSON_FIELDS, values)), name_initials=name_initials)
             for pk, *values, name_initials in changes["person_updates"]], [*PERSON_FIELDS, "name_initials"])
    if changes["enrolment_updates"]:
        # Checked as active; ended by hand since, it is not rewritten: the import stops and says so.
        ids = [pk for pk, *_ in changes["enrolment_updates"]]
        if Enrolment.objects.filter(pk__in=ids, status=EnrolmentStatus.ACTIVE).count() != len(ids):
            raise Conflict(CONFLICT)
        Enrolment.objects.bulk_update([Enrolment(pk=pk, **dict(zip(ENROLMENT_FIELDS, values)))
                                       for pk, *values in changes["enrolment_updates"]], list(ENROLMENT_FIELDS))


def _insert(model, columns: tuple[str, ...], values: list[tuple]) -> None:
    """INSERT of many rows in one statement per batch: bulk_create's per-object work dominates at this size."""
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cur:
        cur.executemany(f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) VALUES ({marks})", values)


def _insert_people(region_id: str, rows: list[list]) -> dict[str, int]:
    """Inserts people given as (kind, ID, name, sex, birth, phone, district, address, initials)."""
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    _insert(Person, ("region_id", "id_kind", "id_number", "name", "sex", "birth_date", "phone", "district", "address",
                     "name_initials", "created_at"),
            [(region_id, kind, number, name, sex, ops.adapt_datefield_value(birth), phone, district, address, abbr, now)
             for kind, number, name, sex, birth, phone, district, address, abbr in rows])
    return dict(Person.objects.filter(region_id=region_id, id_number__in=[r[1] for r in rows])
                .order_by().values_list("id_number", "pk"))


def _insert_enrolments(region_id: str, items: list[tuple[int, list]]) -> None:
    """Inserts active enrolments given as (person, [scheme, category, start, base, pension])."""
    if not items:
        return
    ops = connection.ops

    def money(value):
        return None if value is None else ops.adapt_decimalfield_value(value, 12, 2)

    _insert(Enrolment, ("region_id", "person_id", "scheme", "category", "start", "status", "end_reason",
                        "contribution_base", "pension"),
            [(region_id, pid, scheme, category, ops.adapt_datefield_value(start), EnrolmentStatus.ACTIVE, "",
              money(base), money(pension)) for pid, (scheme, category, start, base, pension) in items])


def _seen_before(id_numbers: list[str]) -> list[str]:
    if not id_numbers:
        return []
    with connection.cursor() as cur:
        marks = ",".join(["%s"] * len(id_numbers))
        cur.execute(f"SELECT id_number FROM roster_seen WHERE id_number IN ({marks})", id_numbers)
        return [r[0] for r in cur.fetchall()]


def _remember(id_numbers: list[str]) -> None:
    """One statement a chunk: outside a transaction, each statement commits (to the temporary table)."""
    if not id_numbers:
        return
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO roster_seen (id_number) VALUES {', '.join(['(%s)'] * len(id_numbers))}", id_numbers)


def _missing(job, report: Report) -> None:
    """People with an active enrolment in the region whom the file does not list: reported, not ended."""
    report.counts["missing"] = 0
    person, enrolment = Person._meta.db_table, Enrolment._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT p.id, p.name, p.id_number FROM {person} p JOIN {enrolment} e ON e.person_id = p.id "
            f"WHERE p.region_id = %s AND e.status = %s "
            f"AND NOT EXISTS (SELECT 1 FROM roster_seen s WHERE s.id_number = p.id_number) ORDER BY p.id",
            [job.region_id, EnrolmentStatus.ACTIVE])
        while batch := cur.fetchmany(2000):
            for pk, name, id_number in batch:
                report.counts["missing"] += 1
                report.add(IssueKind.MISSING, None, "", f"{name}（{mask_id(id_number)}）参保中，但本次名单中没有", pk)
