"""A clause as people read it: the engine cites `xuzhou 五(三)1` (the scenario contract's form);
pages write `徐州市 五(三)1`, and the platform's own rules `平台统一规则第6条`.
`{% load cited %}{{ line.clause|cited }}`."""

import re
from functools import lru_cache

from django import template

register = template.Library()
_PLATFORM = re.compile(r"平台规则 P(\d+)")


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    from ltci.policy.regions import load_regions

    return {code: r.name for code, r in load_regions().items()}


@register.filter
def cited(value) -> str:
    text = str(value or "")
    text = _PLATFORM.sub(lambda m: f"平台统一规则第{m.group(1)}条", text)
    code, _, rest = text.partition(" ")
    name = _names().get(code)
    return f"{name} {rest}" if name and rest else text
