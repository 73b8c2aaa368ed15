"""A draft policy version, tried without booking anything (issue 18): the region's parameter files of
today with the version in force on a date replaced by the draft, in a directory of its own that the
policy engine reads as it reads `ltci/policy/params/`."""

from __future__ import annotations

import re
import shutil
import tempfile
import tomllib
from contextlib import contextmanager
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Iterator

from django.core.exceptions import ValidationError

from ltci.policy.errors import PolicyError
from ltci.policy.params import ParamsDataError
from ltci.policy.policies import policy_on
from ltci.policy.regions import PARAMS_DIR

MAX_DRAFT = 200_000  # characters: a parameter file is a few thousand


def current_text(region: str, on: date) -> str:
    """The parameter file in force on `on`: what a draft starts from on the page."""
    version = policy_on(region, on, PARAMS_DIR, carry_over=True).version.code
    return (PARAMS_DIR / region / f"{version}.toml").read_text(encoding="utf-8")


@contextmanager
def draft_params(region: str, on: date, text: str) -> Iterator[Path]:
    """The parameter directory with the draft in place of the version in force on `on`; removed after."""
    tmp = Path(tempfile.mkdtemp(prefix="ltci-draft-"))
    try:
        shutil.copytree(PARAMS_DIR, tmp, dirs_exist_ok=True)
        version = policy_on(region, on, PARAMS_DIR, carry_over=True).version.code
        (tmp / region / f"{version}.toml").write_text(text, encoding="utf-8")
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_draft(region: str, on: date, text: str, field: str = "draft") -> None:
    """Refuses a draft the engine could not read, with the reason in Chinese, before any job exists:
    not TOML, too long, or a contribution, benefit or eligibility section the engine refuses."""
    if not text.strip():
        raise ValidationError({field: "请上传或填写政策草案参数文件"})
    if len(text) > MAX_DRAFT:
        raise ValidationError({field: f"政策草案参数文件过长（超过 {MAX_DRAFT:,} 个字符）"})
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        where = f"第 {line} 行" if line else ""
        raise ValidationError({field: f"政策草案不是有效的参数文件（TOML 格式错误{('，' + where) if where else ''}）"}) from None
    with draft_params(region, on, text) as params_dir:
        try:
            params = policy_on(region, on, params_dir, carry_over=True).params
            for name in ("contribution", "benefit", "eligibility"):
                params.section(name)
            if not list(params.section("benefit").sections("modes")):
                raise PolicyError("no benefit modes", "benefit.modes", "政策草案没有任何护理方式（benefit.modes）")
        except (PolicyError, ParamsDataError) as exc:
            raise ValidationError({field: draft_error(exc)}) from None


_WHAT = {"missing section": "缺少这一部分", "missing": "缺少这一参数"}


def draft_error(exc: PolicyError | ParamsDataError) -> str:
    """Why the engine refuses a draft, for the person who wrote it: the parameter's name as written in
    the file (the only English the page shows, since the file is written with it) and the reason."""
    if isinstance(exc, PolicyError):
        where = f"（{exc.field}）" if exc.field else ""
        return f"政策草案参数有误{where}：{exc.words('缺少必需的参数或参数取值不正确')}"
    text = str(exc).split(".toml: ", 1)[-1]  # the temporary file's path is no one's business
    key, _, what = text.rpartition(": ")
    return f"政策草案参数有误（{key or what}）：{_WHAT.get(what, '参数取值不正确')}"


_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.]+)")
_QUOTED_NUMBER = re.compile(r'(value\s*=\s*")(\d+(?:\.\d+)?)(")')


def scaled_draft(text: str, section: str, factor: Decimal) -> tuple[str, int]:
    """The parameter file with every quoted figure (`value = "20.00"`) of `section` and its sub-tables
    multiplied by `factor`, keeping each figure's decimals (rates to at most six), and how many were
    changed: a draft of the simplest kind, e.g. every contribution raised by half."""
    out, inside, changed = [], False, 0
    for line in text.splitlines(keepends=True):
        header = _HEADER.match(line)
        if header:
            inside = header.group(1) == section or header.group(1).startswith(section + ".")
        if inside and not line.lstrip().startswith("#"):
            def scale(m):
                nonlocal changed
                changed += 1
                places = len(m.group(2).partition(".")[2])
                value = Decimal(m.group(2)) * factor
                if places > 2:  # a rate: at most six decimals, no trailing zeros
                    value = value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP).normalize()
                else:  # an amount or a share: its own decimals
                    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
                return f"{m.group(1)}{value}{m.group(3)}"
            line = _QUOTED_NUMBER.sub(scale, line)
        out.append(line)
    return "".join(out), changed
