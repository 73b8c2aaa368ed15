"""Demo, after the people and their care exist: each institution's agreement, inspections and the
reviews of the people it serves (so the star ratings differ), a filed leaflet, a designation
application waiting for review, and a carer whose settlement is suspended."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from ltci.accounts.models import User
from ltci.accounts.roles import Role
from ltci.care.choices import KINDS, region_modes
from ltci.care.models import CareChoice
from ltci.policy.policies import region as region_of

from . import carers, designation, quality
from .demo import credit_code
from .models import Agreement, Carer, Designation, Institution


def build(options, rng) -> dict[str, int]:
    region = options.region
    if Agreement.objects.filter(institution__region_id=region).exists():
        return {"agreements": 0}
    clerk = User.objects.filter(region_id=region, is_demo=True, role=Role.CLERK).first()
    admin = User.objects.filter(region_id=region, is_demo=True, role=Role.INSTITUTION_ADMIN).first()
    if clerk is None:
        return {"agreements": 0}
    today = timezone.localdate()
    offered = region_modes(region, today)
    made = {"agreements": 0, "inspections": 0, "reviews": 0}
    for n, inst in enumerate(Institution.objects.filter(region_id=region).order_by("id"), 1):
        modes = [m for m in offered if inst.kind in KINDS.get(m, set())]
        Agreement.objects.create(institution=inst, number=f"协议{region_of(region).division}-{today.year - 1}-{n:03d}",
                                 start=date(today.year - 1, 1, 1), end=date(today.year + 1, 12, 31), modes=modes,
                                 penalties="违规费用追回；情节严重的暂停接收新参保人或解除协议",
                                 signed_on=date(today.year - 1, 1, 1))
        made["agreements"] += 1
        for months in (10, 4):
            quality.inspect(inst, clerk, on=today - timedelta(days=30 * months), score=rng.randint(62, 98),
                            findings=rng.choice(["", "护理记录不完整", "消防通道堆放杂物", ""]))
            made["inspections"] += 1
        for choice in CareChoice.objects.filter(institution=inst).select_related("person")[:6]:
            quality.review(inst, choice.person, score=rng.choice([3, 4, 4, 5, 5]),
                           comment=rng.choice(["护理员很耐心", "准时上门", "", "希望增加助浴次数"]))
            made["reviews"] += 1
    if admin and admin.institution:
        quality.file_publicity(admin.institution, admin, title="长护险上门服务告知书", channel="社区宣传栏",
                               content="服务项目、服务时间与投诉电话，以医保部门公布的目录为准。")
    spare = Carer.objects.filter(region_id=region, user__isnull=True).order_by("id").first()
    if spare:
        carers.suspend(spare, clerk, start=today - timedelta(days=20), end=today + timedelta(days=70),
                       reason="诱导参保人重复申请评估（暂停结算三个月）")
    if not Designation.objects.filter(region_id=region).exists():
        from ltci.policy.regions import load_regions

        from ltci.core.demo_places import near

        area = load_regions()[region].districts[0].code
        lat, lon = near(rng, region)
        designation.submit(region, clerk, name=f"{load_regions()[region].name}康乐居家护理服务中心",
                           credit_code=credit_code("52", area, rng), kind="home_care", district="城区",
                           address="人民路88号", latitude=str(lat), longitude=str(lon), filed_beds=0, staff=18,
                           licence_number=f"MZ{rng.randint(10**6, 10**7 - 1)}",
                           licence_expiry=today + timedelta(days=700), liability_insurer="某财产保险股份有限公司",
                           liability_policy=f"ZR{rng.randint(10**8, 10**9 - 1)}",
                           liability_expiry=today + timedelta(days=300))
    return made
