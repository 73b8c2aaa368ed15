"""What a request may carry into the platform, checked before any view runs (docs/decisions/0016).

- Every integer fits the database column it lands in: a row id (`id`, `pk`, `…_id`) is 0 to 2^63−1
  (a bigint; 0 is no row and answers 404 like any id that is not there); `year` and `month` what
  a calendar holds; any other integer (a count, a score, an offset) 0 to 2^31−1 (an integer column
  on PostgreSQL) unless its field declares bounds of its own.
- No text holds a control character (NUL, ESC, DEL, C1 controls, lone surrogates): PostgreSQL refuses
  NUL, and the others have no place in a name or an address. The free-text fields named in
  MULTILINE_FIELDS may hold line breaks and tabs.

The API applies both through `EdgeAPI`: as each app's router is added, every `int` and `str` of
its operations' path, query, form and body parameters, and of the schemas they use, gets the bounds
or the pattern before django-ninja builds the models that validate a request; the OpenAPI schema
declares them, and a value outside answers 422 naming the field. The apps' own code is unchanged.
The pages apply the text rule through `ltci.core.middleware.EdgeMiddleware`; imports call
`text_problem` on each cell.
"""

from __future__ import annotations

import copy
import functools
import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

import ninja
from ninja.signature.details import ViewSignature
from ninja.signature.utils import get_typed_signature
from annotated_types import Ge, Le
from pydantic import BaseModel, StringConstraints, create_model
from pydantic.fields import FieldInfo

ID_MIN, ID_MAX = 0, 2**63 - 1  # a bigint primary key
INT_MIN, INT_MAX = 0, 2**31 - 1  # an integer column; nothing the API counts is negative

# Free text that may span lines: the pages' <textarea> fields and their API twins.
MULTILINE_FIELDS = frozenset({
    "note", "notes", "reason", "finding", "findings", "comment", "content", "answer", "penalties", "memo",
    "draft_text",  # a draft policy parameter file (issue 18)
})

# C0 controls but tab, line feed and carriage return; DEL; C1 controls.
_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
TEXT_PATTERN = rf"^[^{_CONTROLS}]*$"  # multi-line free text
LINE_PATTERN = rf"^[^\t\n\r{_CONTROLS}]*$"  # everything else
_LINE_BAD = re.compile(rf"[\t\n\r{_CONTROLS}\ud800-\udfff]")
_TEXT_BAD = re.compile(rf"[{_CONTROLS}\ud800-\udfff]")

TEXT_REASON = "不能含有控制字符（如 NUL、退格、ESC）"
LINE_REASON = "不能含有换行、制表符或其他控制字符"


def is_multiline(name: str) -> bool:
    return name in MULTILINE_FIELDS


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` may not be stored as text, in Chinese, or None. For imports: call it on each cell
    (multiline=False for names, addresses, numbers and codes)."""
    bad = (_TEXT_BAD if multiline else _LINE_BAD).search(value)
    if bad is None:
        return None
    return f"{TEXT_REASON if multiline else LINE_REASON}（第 {bad.start() + 1} 个字符为 U+{ord(bad.group()):04X}）"


def check_text(field: str, value: str, *, multiline: bool | None = None) -> None:
    """Raises ValidationError({field: reason}) for text with a control character."""
    from django.core.exceptions import ValidationError

    problem = text_problem(value, multiline=is_multiline(field) if multiline is None else multiline)
    if problem:
        raise ValidationError({field: problem})


# Integers whose name says what they are, wherever they appear.
NAMED_BOUNDS = {"year": (1900, 2100), "month": (1, 12)}


def int_bounds(name: str) -> tuple[int, int]:
    """The default range of an integer parameter or field called `name`."""
    if name in ("id", "pk") or name.endswith("_id"):
        return ID_MIN, ID_MAX
    return NAMED_BOUNDS.get(name, (INT_MIN, INT_MAX))


def _constraints(kind: type, name: str) -> list:
    if kind is int:
        low, high = int_bounds(name)
        return [Ge(low), Le(high)]
    return [StringConstraints(pattern=TEXT_PATTERN if is_multiline(name) else LINE_PATTERN)]


def edge_type(annotation: Any, name: str) -> Any:
    """`annotation` with its integers bounded and its text patterned for a field called `name`, and
    any model in it replaced by its edge copy."""
    if annotation in (int, str):
        return Annotated[(annotation, *_constraints(annotation, name))]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return edge_model(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:  # keep the metadata, django-ninja's Query/Form/File marker last
        inner, meta = args[0], annotation.__metadata__
        if inner in (int, str) and isinstance(meta[-1], FieldInfo):
            # `Form[str]`: the constraints go into (a copy of) the marker. Put in front of it, they
            # would make django-ninja's marker lose the parameter's default (`= ""` turned required).
            marker = copy.copy(meta[-1])
            marker.metadata = [*_constraints(inner, name), *marker.metadata]
            return Annotated[(inner, *meta[:-1], marker)]
        return Annotated[(edge_type(inner, name), *meta)]
    if origin in (Union, types.UnionType):
        return Union[tuple(edge_type(a, name) for a in args)]
    if origin in (list, set, frozenset, tuple, dict) and args:
        return origin[tuple(a if a is Ellipsis else edge_type(a, name) for a in args)]
    return annotation


@functools.cache
def edge_model(model: type[BaseModel]) -> type[BaseModel]:
    """A subclass of `model` (same name, validators and resolvers) whose fields are edge types."""
    fields = {}
    for name, info in model.model_fields.items():
        bounded = edge_type(info.annotation, info.alias or name)
        if bounded != info.annotation:
            # The field's own constraints (Field(ge=1, le=5)) after the defaults: pydantic applies
            # them last, so they win.
            fields[name] = (Annotated[(bounded, *info.metadata)] if info.metadata else bounded, info)
    if not fields:
        return model
    return create_model(model.__name__, __base__=model, __module__=model.__module__, __doc__=model.__doc__,
                        **fields)


def guard(view_func) -> None:
    """Rewrites the parameters django-ninja will read from `view_func` into edge types."""
    if getattr(view_func, "_edge_guarded", False):
        return
    signature = get_typed_signature(view_func)
    parameters = []
    for p in signature.parameters.values():
        annotation = p.annotation
        if annotation is p.empty and p.default is not p.empty and type(p.default) in (int, str):
            annotation = type(p.default)  # django-ninja reads an unannotated `q=""` as str
        if p.name != "request" and annotation is not p.empty:
            p = p.replace(annotation=edge_type(annotation, p.name))
        parameters.append(p)
    view_func.__signature__ = signature.replace(parameters=parameters)
    contributed = getattr(view_func, "_ninja_contribute_args", None)  # @paginate's limit and offset
    if contributed:
        view_func._ninja_contribute_args = [(n, edge_type(t, n), source) for n, t, source in contributed]
    view_func._edge_guarded = True


class EdgeAPI(ninja.NinjaAPI):
    """django-ninja's API whose operations take only what the edge allows (module docstring)."""

    def add_router(self, prefix: str, router, **kwargs) -> None:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                guard(operation.view_func)
                # django-ninja read the signature when the view was declared: read it again. (These
                # two attributes are what it validates a request with and describes it by.)
                operation.signature = ViewSignature(operation.path, operation.view_func)
                operation.models = operation.signature.models
        super().add_router(prefix, router, **kwargs)


# Why pydantic refused an input, in Chinese, by its error type (the API's 422 `message`).
def pydantic_reason(error: dict) -> str:
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern")
        if pattern == LINE_PATTERN:
            return LINE_REASON
        if pattern == TEXT_PATTERN:
            return TEXT_REASON
        return "格式不正确"
    if kind == "string_unicode":
        return TEXT_REASON
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于{ctx.get('le', ctx.get('lt'))}" if kind == "less_than_equal" else f"须小于{ctx.get('lt')}"
    if kind == "string_too_long":
        return f"不能超过{ctx.get('max_length')}个字符"
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于{ctx.get('ge')}" if kind == "greater_than_equal" else f"须大于{ctx.get('gt')}"
    return _REASONS.get(kind) or _REASONS.get(kind.split("_")[0]) or f"输入不正确（{error.get('msg', kind)}）"


_REASONS = {
    "missing": "必填",
    "int": "须为整数",
    "int_from_float": "须为整数",
    "float": "须为数字",
    "decimal": "须为数字",
    "bool": "须为 true 或 false",
    "string": "须为文本",
    "string_too_short": "不能为空",
    "date": "日期格式为“年-月-日”，如 2026-01-31",
    "date_from_datetime_parsing": "日期格式为“年-月-日”，如 2026-01-31",
    "date_from_datetime_inexact": "日期不能带时间",
    "datetime": "时间格式为“年-月-日”，如 2026-01-31THH:MM:SS+08:00",
    "time": "时间格式不正确",
    "list": "须为列表",
    "dict": "须为对象",
    "model": "须为对象",
    "model_attributes_type": "须为对象",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "too_long": "项目过多",
    "too_short": "项目过少",
    "extra_forbidden": "不是可接受的字段",
    "value_error": "取值不正确",
    "uuid": "须为 UUID",
    "url": "须为网址",
}
