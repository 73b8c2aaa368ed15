"""The register of insured people: a person, their enrolments, and their group memberships."""

from functools import lru_cache

from django.db import models
from pypinyin import Style, lazy_pinyin

from ltci.audit.masking import mask_id
from ltci.audit.signals import AuditedModel


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class IdKind(models.TextChoices):
    RESIDENT = "resident", "居民身份证"
    HMT_RESIDENCE = "hmt_residence", "港澳台居民居住证"
    FOREIGN_PERMANENT = "foreign_permanent", "外国人永久居留身份证"


class Scheme(models.TextChoices):
    EMPLOYEE = "employee", "职工医保"
    RESIDENT = "resident", "城乡居民医保"


class Category(models.TextChoices):
    IN_SERVICE = "in_service", "在职职工"
    RETIRED = "retired", "退休人员"
    FLEXIBLE = "flexible", "灵活就业人员"
    UNEMPLOYED = "unemployed", "领取失业保险金人员"


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", "参保中"
    SUSPENDED = "suspended", "暂停"
    ENDED = "ended", "终止"


class EndReason(models.TextChoices):
    DEATH = "death", "死亡"
    MOVED_OUT = "moved_out", "迁出本统筹地区"
    LEFT_SCHEME = "left_scheme", "退出基本医疗保险"


class Group(models.TextChoices):
    MEDICAL_AID = "medical_aid", "医疗救助对象"
    SEVERE_DISABILITY = "severe_disability", "重度残疾人"
    FAMILY_PLANNING = "family_planning", "农村计划生育家庭奖励、扶助对象"
    HARDSHIP_RETIREE = "hardship_retiree", "特殊困难退休职工"
    STUDENT = "student", "在校学生、学龄前儿童"
    WORK_INJURY_CARE = "work_injury_care", "已享受工伤生活护理费人员"
    REMOTE_RESIDENT = "remote_resident", "驻外人员"


# Memberships that reveal a person's health: viewing them is a view of health data (个人信息保护法 §28).
HEALTH_GROUPS = frozenset({Group.SEVERE_DISABILITY, Group.WORK_INJURY_CARE})


def initials(name: str) -> str:
    """Pinyin initials for search: 王秀英 → wxy (letters and digits kept as they are).

    Character by character, each looked up once: a city's roster has millions of names but a few
    thousand characters, and pypinyin's lookup is the slow part of an import.
    """
    return "".join(_initial(c) for c in (name or "")).lower()[:64]


@lru_cache(maxsize=50_000)
def _initial(char: str) -> str:
    return "".join(p[:1] for p in lazy_pinyin(char, style=Style.FIRST_LETTER, errors="default"))


class Person(AuditedModel, models.Model):
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="persons",
                               verbose_name="统筹地区")
    id_kind = models.CharField("证件类型", max_length=24, choices=IdKind.choices, default=IdKind.RESIDENT)
    id_number = models.CharField("证件号码", max_length=18)
    name = models.CharField("姓名", max_length=64)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    phone = models.CharField("联系电话", max_length=20, blank=True)
    district = models.CharField("区县/街道", max_length=64, blank=True)
    address = models.CharField("居住地址", max_length=200, blank=True)
    name_initials = models.CharField("姓名拼音首字母", max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    audit_masked_fields = ("id_number",)
    audit_ignored_fields = ("created_at", "name_initials")

    class Meta:
        verbose_name = "参保人"
        verbose_name_plural = "参保人"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "id_number"], name="person_unique_id_in_region"),
        ]
        indexes = [models.Index(fields=["region", "name"])]

    class Scope:
        region = "region"
        person = "pk"

    def __str__(self):
        return f"{self.name}（{self.masked_id}）"

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)

    def save(self, *args, **kwargs):
        self.name_initials = initials(self.name)
        super().save(*args, **kwargs)

    def age_on(self, day) -> int:
        return day.year - self.birth_date.year - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class Enrolment(AuditedModel, models.Model):
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="enrolments", verbose_name="参保人")
    scheme = models.CharField("险种", max_length=16, choices=Scheme.choices)
    category = models.CharField("人员类别", max_length=16, choices=Category.choices, blank=True)
    start = models.DateField("参保日期")
    end = models.DateField("终止日期", null=True, blank=True)
    status = models.CharField("状态", max_length=16, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE)
    end_reason = models.CharField("终止原因", max_length=32, choices=EndReason.choices, blank=True)
    # Rate-based regions (Nanning) bill from these: the monthly medical contribution base, and for
    # retirees last year's monthly pension. Yuan with fen.
    contribution_base = models.DecimalField("缴费基数", max_digits=12, decimal_places=2, null=True, blank=True)
    pension = models.DecimalField("上年度月养老金", max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = "参保登记"
        verbose_name_plural = "参保登记"
        ordering = ["person_id", "-start"]
        # Batches walk a region's people in id order (billing, rosters): this index serves them.
        indexes = [models.Index(fields=["region", "person"])]
        constraints = [
            # One person, one active LTCI enrolment in a region.
            models.UniqueConstraint(fields=["person"], condition=models.Q(status="active"),
                                    name="enrolment_one_active_per_person"),
        ]

    class Scope:
        region = "region"
        person = "person"

    def __str__(self):
        return f"{self.get_scheme_display()} {self.get_category_display() or ''} {self.start}起".strip()


class GroupMembership(AuditedModel, models.Model):
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="groups", verbose_name="参保人")
    group = models.CharField("人员身份", max_length=24, choices=Group.choices)
    evidence = models.CharField("证明材料编号", max_length=64, blank=True)
    valid_from = models.DateField("有效期起")
    valid_to = models.DateField("有效期止", null=True, blank=True)

    # A 残疾人证 number is the holder's ID number plus two digits: shown and logged masked like one.
    audit_masked_fields = ("evidence",)

    class Meta:
        verbose_name = "特殊人员身份"
        verbose_name_plural = "特殊人员身份"
        ordering = ["person_id", "group"]
        indexes = [models.Index(fields=["region", "person"])]

    class Scope:
        region = "region"
        person = "person"

    def __str__(self):
        return self.get_group_display()

    @property
    def masked_evidence(self) -> str:
        return mask_id(self.evidence)

    @property
    def is_health_data(self) -> bool:
        return self.group in HEALTH_GROUPS
