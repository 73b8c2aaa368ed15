"""What a question is asked about: a person, a month of care, and events, validated at the edge.

Values are checked when read (dates, amounts, enums) and a field the rule needs but the question
lacks is an error naming it (`person.base`), never a silent default.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime

from .errors import PolicyError
from .money import to_fen

SCHEMES = ("employee", "resident")
CATEGORIES = ("in_service", "retired", "flexible", "unemployed")
GROUPS = ("medical_aid", "severe_disability", "family_planning", "hardship_retiree", "student",
          "work_injury_care", "remote_resident")
GROUP_LABELS = {  # shared/spec/glossary.md; explanations name a person's groups by these
    "medical_aid": "医疗救助对象", "severe_disability": "重度残疾人", "family_planning": "农村计划生育家庭奖励扶助对象",
    "hardship_retiree": "特殊困难退休职工", "student": "在校学生及学龄前儿童",
    "work_injury_care": "已享受工伤保险生活护理费的工伤人员", "remote_resident": "驻外人员（已办理异地就医备案）",
}
NATIONAL_GRADES = ("normal", "mild", "moderate", "severe_1", "severe_2", "severe_3")
SHANGHAI_LEVELS = tuple(f"level_{n}" for n in range(1, 7))
GRADES = NATIONAL_GRADES + SHANGHAI_LEVELS
MODES = ("institution_care", "institution_medical", "home_visit", "home_care", "family_care",
         "home_combined", "remote_cash")
# Upper bounds of whole-number inputs: a month has at most 31 days; visits and ages beyond these are
# typing errors, and unbounded values would overflow the batch path's int64 arithmetic.
INT_BOUNDS = {"age": 150, "days": 31, "family_days": 31, "suspended_days": 31, "visits": 1000}


def group_names(groups) -> str:
    return "、".join(GROUP_LABELS[g] for g in groups)


def as_date(value, fld: str) -> date:
    if isinstance(value, datetime):  # a subclass of date: YAML reads `2021-05-01 10:00:00` as one
        raise PolicyError(f"expected a date YYYY-MM-DD without a time of day, got {value.isoformat(' ')!r}", fld)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PolicyError(f"expected a date YYYY-MM-DD, got {value!r}", fld)


def as_int(value, fld: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"expected a whole number, got {value!r}", fld)
    if value < minimum:
        raise PolicyError(f"must be at least {minimum}, got {value}", fld)
    if maximum is not None and value > maximum:
        raise PolicyError(f"must be at most {maximum}, got {value}", fld)
    return value


def _bounded(name: str):
    return lambda v, f: as_int(v, f, maximum=INT_BOUNDS[name])


def as_bool(value, fld: str) -> bool:
    if not isinstance(value, bool):
        raise PolicyError(f"expected true or false, got {value!r}", fld)
    return value


def as_choice(value, choices, fld: str) -> str:
    if value not in choices:
        raise PolicyError(f"{value!r} is not one of {', '.join(choices)}", fld)
    return value


def as_groups(value, fld: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [g for g in (s.strip() for s in value.split(";")) if g]
    if not isinstance(value, (list, tuple)):
        raise PolicyError(f"expected a list of groups, got {value!r}", fld)
    for g in value:
        as_choice(g, GROUPS, fld)
    return tuple(value)


def add_months(day: date, months: int) -> date:
    """The same day `months` later; a day the target month lacks falls to its last day."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class Person:
    scheme: str | None = None
    category: str | None = None
    age: int | None = None
    birth_date: date | None = None
    groups: tuple[str, ...] = ()
    grade: str | None = None
    base: int | None = None  # fen
    pension: int | None = None  # fen
    enrolled_on: date | None = None
    paid_through: date | None = None
    contribution_months: int | None = None
    disabled_since: date | None = None
    receiving: bool | None = None

    def need(self, name: str):
        value = getattr(self, name)
        if value is None:
            raise PolicyError("this rule needs it and the question does not give it", f"person.{name}")
        return value

    def age_at(self, on: date) -> int:
        if self.birth_date is None:
            return self.need("age")
        age = age_on(self.birth_date, on)
        if not 0 <= age <= INT_BOUNDS["age"]:
            raise PolicyError(f"gives an age of {age} on {on}; expected 0 to {INT_BOUNDS['age']}", "person.birth_date")
        return age


@dataclass(frozen=True)
class Event:
    type: str
    start: date  # hospital: admission; death: the day of death
    end: date | None = None  # hospital: discharge


@dataclass(frozen=True)
class Care:
    mode: str
    start: date
    end: date
    days: int | None = None
    cost: int | None = None
    items_cost: int | None = None
    visits: int | None = None
    family_days: int | None = None
    carer_trained: bool | None = None
    events: tuple[Event, ...] = field(default=())

    def need(self, name: str):
        value = getattr(self, name)
        if value is None:
            raise PolicyError("this care mode needs it and the question does not give it", f"care.{name}")
        return value


def month_bounds(on: date) -> tuple[date, date]:
    return on.replace(day=1), on.replace(day=calendar.monthrange(on.year, on.month)[1])


_PERSON_FIELDS = {
    "scheme": lambda v, f: as_choice(v, SCHEMES, f),
    "category": lambda v, f: as_choice(v, CATEGORIES, f),
    "age": _bounded("age"),
    "birth_date": as_date,
    "groups": as_groups,
    "grade": lambda v, f: as_choice(v, GRADES, f),
    "base": lambda v, f: to_fen(v, f),
    "pension": lambda v, f: to_fen(v, f),
    "enrolled_on": as_date,
    "paid_through": as_date,
    "contribution_months": lambda v, f: as_int(v, f),
    "disabled_since": as_date,
    "receiving": as_bool,
}


def person_from(data) -> Person:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError("expected a mapping of the person's fields", "person")
    values = {}
    for key, value in data.items():
        if key not in _PERSON_FIELDS:
            raise PolicyError(f"unknown field; known: {', '.join(_PERSON_FIELDS)}", f"person.{key}")
        if value is not None:
            values[key] = _PERSON_FIELDS[key](value, f"person.{key}")
    return Person(**values)


_CARE_FIELDS = {
    "days": _bounded("days"),
    "cost": lambda v, f: to_fen(v, f),
    "items_cost": lambda v, f: to_fen(v, f),
    "visits": _bounded("visits"),
    "family_days": _bounded("family_days"),
    "carer_trained": as_bool,
}


def care_from(data, events, on: date) -> Care:
    if not isinstance(data, dict):
        raise PolicyError("a benefit question needs a care block", "care")
    first, last = month_bounds(on)
    values = {}
    for key, value in data.items():
        if key in ("mode", "from", "to"):
            continue
        if key not in _CARE_FIELDS:
            raise PolicyError(f"unknown field; known: mode, from, to, {', '.join(_CARE_FIELDS)}", f"care.{key}")
        if value is not None:
            values[key] = _CARE_FIELDS[key](value, f"care.{key}")
    if data.get("mode") is None:
        raise PolicyError("required", "care.mode")
    mode = as_choice(data["mode"], MODES, "care.mode")
    start = as_date(data["from"], "care.from") if data.get("from") is not None else first
    end = as_date(data["to"], "care.to") if data.get("to") is not None else last
    if not (first <= start <= last):
        raise PolicyError(f"{start} is not in the month settled ({first:%Y-%m})", "care.from")
    if not (first <= end <= last):
        raise PolicyError(f"{end} is not in the month settled ({first:%Y-%m})", "care.to")
    if end < start:
        raise PolicyError("the care period ends before it starts", "care.to")
    return Care(mode=mode, start=start, end=end, events=events_from(events), **values)


EVENT_KEYS = {"hospital": ("type", "from", "to"), "death": ("type", "on")}


def events_from(data) -> tuple[Event, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        raise PolicyError("expected a list of events", "events")
    events = []
    for i, ev in enumerate(data):
        where = f"events[{i}]"
        if not isinstance(ev, dict):
            raise PolicyError("expected a mapping", where)
        kind = as_choice(ev.get("type"), tuple(EVENT_KEYS), f"{where}.type")
        unknown = [k for k in ev if k not in EVENT_KEYS[kind]]
        if unknown:
            raise PolicyError(f"not a field of a {kind} event; known: {', '.join(EVENT_KEYS[kind])}",
                              f"{where}.{unknown[0]}")
        if kind == "hospital":
            start = as_date(ev.get("from"), f"{where}.from")
            end = as_date(ev.get("to"), f"{where}.to")
            if end < start:
                raise PolicyError("discharge is before admission", f"{where}.to")
            events.append(Event("hospital", start, end))
        else:
            events.append(Event("death", as_date(ev.get("on"), f"{where}.on")))
    return tuple(events)
