"""Service catalogues: each region's version names a catalogue (`[catalogue] code`), whose items are a
data file in `catalogues/`. Loading puts the items in the database once per region; an item already
there keeps the price and minutes the agency set. Excel out and in, for the agency to price them."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from ltci.core.exports import workbook
from ltci.core.money import ITEM_PRICE, optional_money
from ltci.core.tabular import Column, cell_problem, read_table
from ltci.policy.policies import policy_carried_on

from .models import CatalogueItem, ItemCategory, Qualification

DATA = Path(__file__).parent / "catalogues"
COLUMNS = (
    Column("code", "项目编码", True, "本地区目录中的编码，不可修改"),
    Column("name", "项目名称", False, "仅供阅读，导入时不修改"),
    Column("category", "类别", False, "仅供阅读"),
    Column("unit_price", "单价（元）", False, "两位小数；留空表示未定价"),
    Column("standard_minutes", "标准时长（分钟）", False, "1～600；留空表示未规定"),
    Column("qualification", "资质要求", False, "仅供阅读"),
    Column("national_code", "国家目录编码", False, "对应国家长期护理服务项目目录的编码"),
)


@lru_cache(maxsize=8)
def catalogue_data(code: str) -> dict:
    path = DATA / f"{code}.toml"
    if not path.exists():
        raise ValidationError({"catalogue": f"没有服务项目目录 {code}"})
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    codes = [i["code"] for i in data["items"]]
    if len(set(codes)) != len(codes):
        raise ValidationError({"catalogue": f"{path.name}: 项目编码重复"})
    for item in data["items"]:
        if item["category"] not in ItemCategory.values or item["qualification"] not in Qualification.values:
            raise ValidationError({"catalogue": f"{path.name}: {item['code']} 的类别或资质要求不正确"})
    return data


def catalogue_of(region: str, on: date) -> str:
    policy, _ = policy_carried_on(region, on)
    return policy.params.section("catalogue").param("code").value


@transaction.atomic
def load(region: str, on: date) -> int:
    """Adds the items of the region's catalogue that are not in the database yet; returns how many."""
    code = catalogue_of(region, on)
    have = set(CatalogueItem.objects.filter(region_id=region, catalogue=code).values_list("code", flat=True))
    new = [CatalogueItem(region_id=region, catalogue=code, code=i["code"], name=i["name"], category=i["category"],
                         qualification=i["qualification"], unit_price=_price(i.get("unit_price")),
                         standard_minutes=i.get("standard_minutes"), national_code=i.get("national_code", ""))
           for i in catalogue_data(code)["items"] if i["code"] not in have]
    # Reference data shipped with the code, like the regions themselves: not an act of a user, so not
    # on the trail; the agency's changes to prices are (`import_prices`).
    CatalogueItem.objects.bulk_create(new)
    return len(new)


def items_of(region: str, on: date):
    return CatalogueItem.objects.filter(region_id=region, catalogue=catalogue_of(region, on), active=True)


def _price(value) -> Decimal | None:
    """A catalogue item's unit price (empty: not priced), by the one parser of hand-typed money."""
    try:
        return optional_money(value, ITEM_PRICE, "unit_price")
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from None


def _minutes(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError("标准时长须为整数分钟") from None
    if not number.is_finite() or number != number.to_integral_value() or not 1 <= number <= 600:
        raise ValueError("标准时长须为 1～600 之间的整数分钟")
    return int(number)


def export_xlsx(region: str, on: date) -> bytes:
    """The region's catalogue as Excel, in the layout `import_prices` reads back."""
    data, _ = workbook("服务项目目录", [c.header for c in COLUMNS], (
        (i.code, i.name, i.get_category_display(), i.unit_price, i.standard_minutes, i.get_qualification_display(),
         i.national_code) for i in items_of(region, on)))
    return data


@transaction.atomic
def import_prices(region: str, on: date, path: Path, user) -> dict:
    """Sets prices, minutes and national codes from an edited export, all rows or none: a row with an
    unknown code or a bad value is reported with its row number and nothing changes."""
    items = {i.code: i for i in items_of(region, on).select_for_update()}
    errors, changed, rows = [], [], 0
    for n, row in read_table(path, COLUMNS):
        rows += 1
        problem = cell_problem(row)
        if problem:
            errors.append(f"第{n}行：{next(c.header for c in COLUMNS if c.key == problem[0])}{problem[1]}")
            continue
        code = str(row.get("code") or "").strip()
        item = items.get(code)
        if item is None:
            errors.append(f"第{n}行：项目编码 {code or '（空）'} 不在本地区目录中")
            continue
        try:
            price = _price(row.get("unit_price"))
            minutes = _minutes(row.get("standard_minutes"))
        except ValueError as exc:
            errors.append(f"第{n}行：{exc}")
            continue
        national = str(row.get("national_code") or "").strip()[:16]
        if (item.unit_price, item.standard_minutes, item.national_code) != (price, minutes, national):
            item.unit_price, item.standard_minutes, item.national_code = price, minutes, national
            changed.append(item)
    if errors:
        raise ValidationError({"file": errors})
    for item in changed:
        item.save()  # audited field by field
    return {"rows": rows, "changed": len(changed)}


def price_for(institution, item, on: date) -> Decimal | None:
    """The price of an item at an institution: the one its agreement in force sets, else the catalogue's."""
    from .models import AgreedPrice

    agreed = (AgreedPrice.objects.filter(agreement__institution=institution, item=item, agreement__start__lte=on,
                                         agreement__end__gte=on, agreement__terminated_on__isnull=True)
              .order_by("-agreement__start").values_list("price", flat=True).first())
    return agreed if agreed is not None else item.unit_price
