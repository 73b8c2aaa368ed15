"""A synthetic insured population: valid ID numbers of the region, Chinese names, ages skewed old,
schemes and categories in plausible shares, some people in special groups. Deterministic for a seed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.policy.policies import policy_on
from ltci.policy.regions import Region, load_regions

from .idcard import make_id_number
from .models import Category, Enrolment, EnrolmentStatus, Group, GroupMembership, Person, Scheme, initials

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN_MALE = "建国军华明伟强平东海志忠德福庆文杰勇斌林涛亮刚成荣新春宝山永富贵生祥顺兴昌"
GIVEN_FEMALE = "秀兰英芳玉珍桂华丽敏静霞梅红燕娟凤琴云莲萍洁淑慧琳婷雪丹"
ROADS = ("人民路", "解放路", "建设路", "和平路", "中山路", "胜利路", "新华路", "文化路", "长江路", "幸福路")



def covered_schemes(region: Region, today: date) -> tuple[str, ...]:
    """The schemes the region's LTCI covers today, as its policy in force says (regions.md "who is
    insured"): a region added by its files alone gets a demo of the right people."""
    schemes, _ = policy_on(region.code, today, carry_over=True).params.section("eligibility").values("schemes")
    return tuple(schemes)


@dataclass
class DemoPerson:
    id_number: str
    name: str
    sex: str
    birth_date: date
    district: str
    phone: str
    address: str
    scheme: str
    category: str
    start: date
    status: str
    end_reason: str = ""
    base: Decimal | None = None  # monthly contribution base (employees not retired)
    pension: Decimal | None = None  # retirees: last year's monthly pension
    groups: list[tuple[str, str]] = field(default_factory=list)  # (group, evidence)


def _age(rng, scheme: str) -> int:
    """Ages skewed old: LTCI's population ages; most retirees are 60–85, few live past 95."""
    if scheme == Scheme.RESIDENT:
        roll = rng.random()
        if roll < 0.12:
            return rng.randint(3, 22)
        if roll < 0.40:
            return rng.randint(23, 59)
        return min(100, int(rng.triangular(60, 98, 72)))
    return rng.randint(20, 59) if rng.random() < 0.5 else min(100, int(rng.triangular(55, 98, 68)))


def _category(rng, age: int) -> str:
    if age >= 60:
        return Category.RETIRED
    roll = rng.random()
    return Category.IN_SERVICE if roll < 0.86 else Category.FLEXIBLE if roll < 0.97 else Category.UNEMPLOYED


def _name(rng, sex: str) -> str:
    chars = GIVEN_MALE if sex == "M" else GIVEN_FEMALE
    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def generate_people(region: Region, n: int, rng, today: date) -> list[DemoPerson]:
    """n distinct people of the region. Pure: the same region, n, generator state and day give the same people."""
    first_day = region.versions[0].valid_from
    people, used = [], set()
    schemes = covered_schemes(region, today)
    while len(people) < n:
        scheme = Scheme.EMPLOYEE if Scheme.RESIDENT not in schemes or rng.random() < 0.55 else Scheme.RESIDENT
        age = _age(rng, scheme)
        # Women outlive men: among the old, two in three are women.
        sex = "F" if rng.random() < (0.66 if age >= 75 else 0.5) else "M"
        birth = date(today.year - age, 1, 1) + timedelta(days=rng.randint(0, 364) - 365)
        place = rng.choice(region.id_prefixes)
        number = make_id_number(place, birth, rng.randint(0, 499), sex)
        if number in used:
            continue
        used.add(number)
        district = rng.choice(region.districts).name
        category = _category(rng, age) if scheme == Scheme.EMPLOYEE else ""
        joined_late = rng.random() < 0.15
        start = first_day + timedelta(days=rng.randint(30, 700)) if joined_late else first_day
        start = max(min(start, today), birth)  # nobody is insured before birth
        roll = rng.random()
        status, reason = (EnrolmentStatus.ACTIVE, "")
        if roll < 0.02 and age >= 70:
            status, reason = EnrolmentStatus.ENDED, "death"
        elif roll < 0.04:
            status, reason = EnrolmentStatus.SUSPENDED, ""
        person = DemoPerson(
            id_number=number, name=_name(rng, sex), sex=sex, birth_date=birth, district=district,
            phone=f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}",
            address=f"{district}{rng.choice(ROADS)}{rng.randint(1, 299)}号{rng.randint(1, 30)}栋{rng.randint(101, 1806)}室",
            scheme=scheme, category=category, start=start, status=status, end_reason=reason,
            base=Decimal(rng.randrange(3200, 20000, 50)) if category and category != Category.RETIRED else None,
            pension=Decimal(rng.randrange(1800, 8000, 10)) if category == Category.RETIRED else None,
        )
        _assign_groups(person, region, age, rng)
        people.append(person)
    return people


def _assign_groups(p: DemoPerson, region: Region, age: int, rng) -> None:
    def evidence(prefix):
        return f"{prefix}{rng.randint(10_000_000, 99_999_999)}"

    if rng.random() < 0.03:
        p.groups.append((Group.MEDICAL_AID, evidence("JZ")))
    if rng.random() < (0.05 if age >= 60 else 0.015):
        p.groups.append((Group.SEVERE_DISABILITY, p.id_number + rng.choice(("11", "12", "21", "22"))))
    if p.scheme == Scheme.RESIDENT and age < 23:
        p.groups.append((Group.STUDENT, evidence("XJ")))
    if p.scheme == Scheme.RESIDENT and age >= 49 and rng.random() < 0.04:
        p.groups.append((Group.FAMILY_PLANNING, evidence("JS")))
    if p.category == Category.RETIRED and rng.random() < 0.03:
        p.groups.append((Group.HARDSHIP_RETIREE, evidence("KN")))
    if p.scheme == Scheme.EMPLOYEE and rng.random() < 0.005:
        p.groups.append((Group.WORK_INJURY_CARE, evidence("GS")))
    if rng.random() < 0.01:
        p.groups.append((Group.REMOTE_RESIDENT, evidence("YD")))


def build(options, rng) -> dict[str, int]:
    from django.utils import timezone

    region = load_regions()[options.region]
    today = timezone.localdate()
    people = generate_people(region, options.insured, rng, today)
    existing = set(Person.objects.filter(region_id=region.code).values_list("id_number", flat=True))
    new = [p for p in people if p.id_number not in existing]
    if not new:
        return {"insured": 0}
    # Bulk inserts skip per-row signals: the whole batch is one audit event below.
    Person.objects.bulk_create(
        [Person(region_id=region.code, id_number=p.id_number, name=p.name, sex=p.sex, birth_date=p.birth_date,
                phone=p.phone, district=p.district, address=p.address, name_initials=initials(p.name)) for p in new],
        batch_size=1000,
    )
    ids = dict(Person.objects.filter(region_id=region.code, id_number__in=[p.id_number for p in new])
               .values_list("id_number", "id"))
    Enrolment.objects.bulk_create(
        [Enrolment(region_id=region.code, person_id=ids[p.id_number], scheme=p.scheme, category=p.category,
                   start=p.start, status=p.status, end_reason=p.end_reason, contribution_base=p.base,
                   pension=p.pension,
                   end=today - timedelta(days=rng.randint(1, 300)) if p.status == EnrolmentStatus.ENDED else None)
         for p in new],
        batch_size=1000,
    )
    GroupMembership.objects.bulk_create(
        [GroupMembership(region_id=region.code, person_id=ids[p.id_number], group=g, evidence=ev,
                         valid_from=max(p.start, p.birth_date))
         for p in new for g, ev in p.groups],
        batch_size=1000,
    )
    record(Action.CREATE, object_type_="enrolment.person", object_repr=f"演示数据：{len(new)} 名参保人",
           region=region.code, detail={"rows": len(new), "seed": options.seed, "source": "ltci demo"})
    return {"insured": len(new)}
