"""The self-assessment form (需求申请自评表): six activities rated independent or dependent give a
letter A–G, and only some letters may go on to a formal assessment. The letters are data
(`scales/self_assessment.toml`), checked when loaded: every count of dependencies has one letter.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import PolicyError
from .params import ParamsDataError
from .results import Line

SCALES_DIR = Path(__file__).parent / "scales"
RATINGS = {"independent": False, "dependent": True}


@dataclass(frozen=True)
class SelfAssessment:
    letter: str
    dependent_a: int
    dependent_b: int
    may_apply: bool
    lines: tuple[Line, ...]

    def as_dict(self) -> dict:
        return {"letter": self.letter, "dependent_a": self.dependent_a, "dependent_b": self.dependent_b,
                "may_apply": self.may_apply, "lines": [ln.as_dict() for ln in self.lines]}


@lru_cache(maxsize=2)
def _form(scales_dir: Path = SCALES_DIR) -> dict:
    path = Path(scales_dir) / "self_assessment.toml"
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    classes = [a["class"] for a in data["activities"].values()]
    size = {c: classes.count(c) for c in ("a", "b")}
    for n in range(size["a"] + 1):
        row = data["letters"].get(f"a{n}")
        if not isinstance(row, list) or len(row) != size["b"] + 1:
            raise ParamsDataError(f"{path}: letters.a{n}: expected {size['b'] + 1} letters")
    return data


def rate(ratings: dict) -> SelfAssessment:
    """The form's letter from {activity: "independent" | "dependent"}; every activity must be rated."""
    form = _form()
    if not isinstance(ratings, dict):
        raise PolicyError("expected a rating for each activity", "self_assessment")
    unknown = set(ratings) - set(form["activities"])
    if unknown:
        raise PolicyError("not an activity of the form", f"self_assessment.{sorted(unknown)[0]}")
    counts = {"a": 0, "b": 0}
    dependent = []
    for activity, spec in form["activities"].items():
        where = f"self_assessment.{activity}"
        if activity not in ratings:
            raise PolicyError(f"missing activity {spec['label']}", where)
        if ratings[activity] not in RATINGS:
            raise PolicyError(f"{spec['label']}: {ratings[activity]!r} is not one of independent, dependent", where)
        if RATINGS[ratings[activity]]:
            counts[spec["class"]] += 1
            dependent.append(spec["label"])
    letter = form["letters"][f"a{counts['a']}"][counts["b"]]
    may_apply = letter in form["formal_assessment"]["letters"]
    said = "、".join(dependent) if dependent else "无"
    lines = (
        Line(what=f"需要帮助的活动：{said}（a类 {counts['a']} 项，b类 {counts['b']} 项）→ 自评 {letter} 级",
             clause=form["clause"]),
        Line(what="可以申请正式评估" if may_apply else
             f"自评 {letter} 级不能申请正式评估（须为 {'、'.join(form['formal_assessment']['letters'])} 级）",
             clause=form["clause"]),
    )
    return SelfAssessment(letter, counts["a"], counts["b"], may_apply, lines)


def activities() -> dict:
    """The form's activities: {id: {label, class}}, in the form's order (for the page that asks them)."""
    return _form()["activities"]
