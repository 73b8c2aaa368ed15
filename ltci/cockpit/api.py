"""The cockpit over JSON: the same figures as the page, and the population figures behind its rates.
A region's users get their own region; the platform administrator gets all regions together or
names one with `region`. Population figures are entered by each region's bureau."""

from datetime import datetime
from typing import Any

from django.http import Http404
from ninja import Router, Schema, Status

from ltci.accounts.roles import COCKPIT_VIEW
from ltci.accounts.scope import require, visible

from . import cockpit, population
from .models import Population
from .period import parse_period
from .selection import select

router = Router(tags=["驾驶舱"])


@router.get("/cockpit", response=dict,
            summary="驾驶舱指标（start、end 为 YYYY-MM，默认近12个月；平台管理员可用 region 指定地区，默认全部地区；"
                    "computed_at 为计算时间：每晚计算，当天首次查看的期间当即计算）")
def figures(request, region: str = "", start: str = "", end: str = ""):
    selection = select(request.user, region)
    return cockpit.figures(selection, parse_period(start, end))


class PopulationIn(Schema):
    # Loosely typed so that a wrong value is refused by the service with a Chinese message naming it.
    year: Any = None
    residents: Any = None
    elderly_60: Any = None
    source: str = ""
    region: str = ""  # optional: a region's users enter their own only (another one is not there: 404)


class PopulationOut(Schema):
    id: int
    region: str
    year: int
    residents: int
    elderly_60: int
    source: str
    entered_by: str
    entered_at: datetime

    @staticmethod
    def resolve_region(obj) -> str:
        return obj.region_id

    @staticmethod
    def resolve_entered_by(obj) -> str:
        return obj.entered_by.username


@router.get("/cockpit/population", response=list[PopulationOut], summary="人口数据（每年以最后登记的一条为准）")
def population_list(request):
    require(request.user, COCKPIT_VIEW)
    return list(visible(Population.objects.select_related("entered_by"), request.user)
                .order_by("region_id", "-year", "-id")[:500])


@router.post("/cockpit/population", response={201: PopulationOut}, summary="登记户籍人口与60周岁及以上老年人口")
def population_add(request, payload: PopulationIn):
    require(request.user, population.POPULATION_MANAGE)  # the bureau of a region, for its own region
    code = request.user.region_id
    if payload.region and payload.region != code:
        raise Http404("region")
    entry = population.record(code, request.user, year=payload.year, residents=payload.residents,
                              elderly_60=payload.elderly_60, source=payload.source)
    return Status(201, entry)
