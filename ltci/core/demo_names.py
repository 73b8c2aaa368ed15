"""Names for the demo's staff, carers and family members: each one nobody else of the region bears
(no insured person, account or carer), so that a page naming someone names one person."""

from __future__ import annotations

# Plain personal names, no titles: who someone is shows beside the name (role, institution).
STAFF_NAMES = ("王建华", "李秀英", "张伟", "刘芳", "陈静", "杨洋", "赵敏", "黄磊", "周婷", "吴刚", "徐丽", "孙浩",
               "朱晓燕", "胡振宇", "郭雅琴", "何志远", "高文博", "林佳慧", "罗晓东", "郑丽君", "梁思远", "谢婉清",
               "宋立新", "唐诗雨", "韩晓峰", "冯雪梅", "邓子涵", "曹静怡", "彭宇航", "曾晓琳", "肖逸凡", "田雨欣",
               "董浩然", "袁梦瑶", "潘俊杰", "蒋欣妍", "蔡明轩", "余嘉怡", "杜泽宇", "叶诗涵")
GIVEN = ("晓红", "振华", "丽萍", "国栋", "海燕", "志刚", "春梅", "建新", "玉洁", "立军", "慧敏", "永强")


def taken(region: str) -> set[str]:
    """Every name the region's demo already uses: insured people, accounts and carers."""
    from ltci.accounts.models import User
    from ltci.enrolment.models import Person
    from ltci.providers.models import Carer

    names = set(Person.objects.filter(region_id=region).values_list("name", flat=True))
    names |= set(Carer.objects.filter(region_id=region).values_list("name", flat=True))
    names |= {f"{last}{first}".strip() for last, first in
              User.objects.filter(region_id=region).values_list("last_name", "first_name")}
    return names


def unique_name(region: str, *, surname: str = "", prefer: tuple[str, ...] = STAFF_NAMES) -> str:
    """The first of `prefer` no one of the region bears; with `surname`, a relative's name of that
    family. Deterministic: the same demo gives the same names."""
    used = taken(region)
    candidates = [surname + given for given in GIVEN] if surname else list(prefer) + list(STAFF_NAMES)
    for name in candidates:
        if name not in used:
            return name
    # Every listed name taken (a very large demo): combine family names with given names.
    for last in "王李张刘陈杨黄赵吴周":
        for given in GIVEN:
            if f"{last}{given}" not in used:
                return f"{last}{given}"
    raise RuntimeError("no free demo name left")  # pragma: no cover - 120 combinations
