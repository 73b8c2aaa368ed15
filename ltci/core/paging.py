"""Lists in pages: the filters kept in page links, and counts that stop at a city's sizes."""

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination


def querystring_without_page(params) -> str:
    """The request's filters as a query string, for page links that keep them."""
    params = params.copy()
    params.pop("page", None)
    return params.urlencode()


# Rows a list shows at once unless the reader asks for more: at 50 the rows' building alone cost a
# city's hits, claims and cases pages 7-9 ms each, which twenty clerks at once on two cores wait
# for in turn (docs/decisions/0027, section 18). The pager offers the larger sizes.
PER_PAGE = 20
PER_PAGE_CHOICES = (20, 50, 100)


def per_page(params) -> int:
    """The page size the reader chose (`?per=`), one of PER_PAGE_CHOICES, else PER_PAGE."""
    value = params.get("per", "")
    return int(value) if value in {str(n) for n in PER_PAGE_CHOICES} else PER_PAGE


def page_of(rows, request, *, capped: bool = False, count: int | None = None):
    """The requested page of a list in the size its reader chose; the pager then offers the sizes.
    `count`, when the view has counted the rows already, spares the paginator its own count."""
    paginator = (CappedPaginator if capped else Paginator)(rows, per_page(request.GET))
    paginator.choosable = True
    if count is not None:
        paginator.count = count  # a cached_property: the instance's value stands
    return paginator.get_page(request.GET.get("page"))


def filters(params) -> dict:
    """The request's filters for a template to show back: a missing one reads as "" without a lookup
    failing. (A template's `{{ q.x }}` on a QueryDict without x falls back to `dir(QueryDict)`, about
    13 µs a time: 300 institutions in a select cost 4 ms a page.)"""
    from collections import defaultdict

    return defaultdict(str, params.dict())


# Counting every row a filter matches reads all of them: 40,000 audit events of one clerk, 37,000
# people whose initials begin "sh", 100-180 ms on a city's database for a figure nobody pages
# through. Lists count up to COUNT_CAP and say "more than" past it (docs/decisions/0027).
COUNT_CAP = 1_000


def capped_count(rows, cap: int | None = None) -> int:
    """How many rows, counted no further than cap + 1 (cap + 1 means more than cap)."""
    cap = COUNT_CAP if cap is None else cap
    if not isinstance(rows, QuerySet):
        return len(rows)
    return rows.order_by().values("pk")[: cap + 1].count()


class CappedPaginator(Paginator):
    """Django's paginator whose count stops past COUNT_CAP: `capped` then says the list is longer
    than the count, and the last page is the one the cap reaches."""

    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        return capped_count(self.object_list, self.cap)

    @property
    def capped(self) -> bool:
        return isinstance(self.object_list, QuerySet) and self.count > self.cap


class CappedLimitOffset(LimitOffsetPagination):
    """The API's lists (`limit`, `offset`), their `count` counted as CappedPaginator's."""

    class Output(Schema):
        items: list[Any]
        count: int = Field(description=f"条数；最多数到 {COUNT_CAP + 1}，此时 capped 为 true，表示超过 {COUNT_CAP} 条")
        capped: bool = Field(False, description=f"是否超过 {COUNT_CAP} 条（count 未数完）")

    def paginate_queryset(self, queryset, pagination, request, **params):
        out = super().paginate_queryset(queryset, pagination, request, **params)
        out["capped"] = out["count"] > COUNT_CAP  # read when called: a test lowers it
        return out

    def _items_count(self, queryset) -> int:
        return capped_count(queryset)
