"""The national disability scale: item scores → indicator scores → levels → the grade (组合法).

Items, options, level bands and the combination matrix are data (`scales/<code>.toml`), checked
when loaded: every score of an indicator falls in exactly one band.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import PolicyError
from .params import ParamsDataError
from .results import Grade, Line

SCALES_DIR = Path(__file__).parent / "scales"


@dataclass(frozen=True)
class Scale:
    code: str
    document: str
    data: dict

    def form(self) -> list[dict]:
        """The scale as a form asks it: indicators with their items and each option's score and text."""
        return [{"id": ind, "label": spec["label"],
                 "items": [{"id": item, "label": ispec["label"],
                            "choices": list(zip(ispec["options"], ispec.get("texts", [""] * len(ispec["options"]))))}
                           for item, ispec in spec["items"].items()]}
                for ind, spec in ((i, self.data["indicators"][i]) for i in self.data["indicator_order"])]

    def levels(self) -> list[str]:
        return self.data["level_order"]

    def level_of(self, indicator: str, score: int) -> str:
        for level, (low, high) in self.data["indicators"][indicator]["bands"].items():
            if low <= score <= high:
                return level
        raise PolicyError(f"score {score} falls in no band", f"scale.{indicator}")  # excluded by _check

    def grade(self, scores: dict) -> Grade:
        """Grade a filled-in scale: {indicator: {item: score}}; every item given, every score an option."""
        if not isinstance(scores, dict):
            raise PolicyError("expected the scale's indicators adl, cognition, perception", "scale")
        totals, levels, lines = {}, {}, []
        for ind in self.data["indicator_order"]:
            spec = self.data["indicators"][ind]
            given = scores.get(ind)
            if not isinstance(given, dict):
                raise PolicyError(f"missing indicator {spec['label']}", f"scale.{ind}")
            unknown = set(given) - set(spec["items"])
            if unknown:
                raise PolicyError(f"not an item of {spec['label']}", f"scale.{ind}.{sorted(unknown)[0]}")
            total = 0
            for item, item_spec in spec["items"].items():
                where = f"scale.{ind}.{item}"
                if item not in given:
                    raise PolicyError(f"missing item {item_spec['label']}", where)
                score = given[item]
                # 10.0 == 10 in Python, but a float (or a bool) is not an option of the form.
                if type(score) is not int:
                    raise PolicyError(f"{item_spec['label']}: expected a whole number, one of the options "
                                      f"{item_spec['options']}, got {score!r}", where)
                if score not in item_spec["options"]:
                    raise PolicyError(f"{item_spec['label']}: {score!r} is not one of the options "
                                      f"{item_spec['options']}", where)
                total += score
            totals[ind] = total
            levels[ind] = self.level_of(ind, total)
            lines.append(Line(what=f"{spec['label']} {total}分：{self.data['level_labels'][levels[ind]]}",
                              clause=f"{self.document} {spec['clause']}"))
        order = self.levels()
        worse = max(levels["cognition"], levels["perception"], key=order.index)
        grade = self.data["matrix"][levels["adl"]][order.index(worse)]
        labels = self.data["level_labels"]
        adl = self.data["indicators"]["adl"]["label"]  # 日常生活活动能力 + 能力完好 must not read 能力能力完好
        adl_level = labels[levels["adl"]]
        adl_text = adl.removesuffix("能力") + adl_level if adl_level.startswith("能力") else adl + adl_level
        lines.append(Line(
            what=f"组合判定：{adl_text}，认知与感知觉沟通较重者{labels[worse]}"
                 f" → {self.data['grade_labels'][grade]}",
            clause=f"{self.document} {self.data['matrix']['clause']}"))
        return Grade(totals, levels, grade, tuple(lines))


def _check(data: dict, where: str) -> None:
    order = data["level_order"]
    for ind, spec in data["indicators"].items():
        reachable = {0}
        for name, item in spec["items"].items():
            if "texts" in item and len(item["texts"]) != len(item["options"]):
                raise ParamsDataError(f"{where}: indicators.{ind}.items.{name}: one text per option")
            reachable = {total + option for total in reachable for option in item["options"]}
        for score in sorted(reachable):
            hits = [lv for lv, (lo, hi) in spec["bands"].items() if lo <= score <= hi]
            if len(hits) != 1:
                raise ParamsDataError(f"{where}: indicators.{ind}: score {score} falls in {len(hits)} bands")
        if set(spec["bands"]) != set(order):
            raise ParamsDataError(f"{where}: indicators.{ind}: bands must be {order}")
    for level in order:
        row = data["matrix"].get(level)
        if not isinstance(row, list) or len(row) != len(order) or not set(row) <= set(data["grade_order"]):
            raise ParamsDataError(f"{where}: matrix.{level}: expected {len(order)} grades of {data['grade_order']}")


@lru_cache(maxsize=8)
def load_scale(code: str, scales_dir: Path = SCALES_DIR) -> Scale:
    path = Path(scales_dir) / f"{code}.toml"
    if not path.exists():
        raise PolicyError(f"unknown assessment scale {code!r}", "scale")
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    _check(data, str(path))
    return Scale(code=data["code"], document=data["document"], data=data)
