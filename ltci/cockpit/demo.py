"""Demo population figures: each region's registered residents and elderly aged 60+ for last year and
this year, entered by the region's demo bureau administrator, sized so the coverage rate lands just
under full (as Jiaxing's 99.68 %) and about a fifth of residents are 60 or over. Re-running adds
nothing: a year already entered is left as it is."""

from __future__ import annotations

from django.utils import timezone

from ltci.accounts.models import User
from ltci.accounts.roles import Role
from ltci.enrolment.models import Enrolment

from .figures.enrolment import insured_q
from .models import Population
from .population import record


def build(options, rng) -> dict[str, int]:
    region = options.region
    admin = User.objects.filter(region_id=region, is_demo=True, role=Role.BUREAU_ADMIN).first()
    if admin is None:
        return {"population entries": 0}
    today = timezone.localdate()
    insured = (Enrolment.objects.filter(insured_q(today), region_id=region).values("person_id").distinct().count()
               or options.insured)
    this_year = today.year
    made = 0
    for year in (this_year - 1, this_year):
        if Population.objects.filter(region_id=region, year=year).exists():
            continue
        residents = max(1, round(insured / rng.uniform(0.985, 0.997)))
        record(region, admin, year=year, residents=residents, elderly_60=round(residents * rng.uniform(0.19, 0.25)),
               source=f"{year}年统计年鉴（演示数据）")
        made += 1
    return {"population entries": made}
