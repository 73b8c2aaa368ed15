"""The care a beneficiary chose and received: the mode (from a date), institutional stays, and home
visits checked in and out. Records are kept with who entered them; a correction is a new version."""

from django.conf import settings
from django.db import models

from ltci.audit.signals import AuditedModel


class Mode(models.TextChoices):
    """Every region's modes (glossary); a region offers those its policy version names."""

    INSTITUTION_CARE = "institution_care", "入住养老/护理机构"
    INSTITUTION_MEDICAL = "institution_medical", "入住医疗机构"
    HOME_VISIT = "home_visit", "上门护理"
    HOME_CARE = "home_care", "居家护理"
    FAMILY_CARE = "family_care", "居家自主（亲情）护理"
    HOME_COMBINED = "home_combined", "上门照护+亲情照护"
    REMOTE_CASH = "remote_cash", "异地居住现金补贴"


# Modes in which carers of an institution visit the home.
VISITED_MODES = frozenset({Mode.HOME_VISIT, Mode.HOME_CARE, Mode.HOME_COMBINED})
# Modes of a stay in an institution's bed.
STAY_MODES = frozenset({Mode.INSTITUTION_CARE, Mode.INSTITUTION_MEDICAL})


class CareChoice(AuditedModel, models.Model):
    """The mode a beneficiary chose, from a date; the latest one begun by a day is the mode that day."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, related_name="care_choices")
    mode = models.CharField("护理方式", max_length=24, choices=Mode.choices)
    institution = models.ForeignKey("providers.Institution", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="care_choices", verbose_name="服务机构")
    effective_from = models.DateField("生效日期")
    home_latitude = models.DecimalField("居所纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    home_longitude = models.DecimalField("居所经度", max_digits=9, decimal_places=6, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "护理方式选择"
        verbose_name_plural = "护理方式选择"
        ordering = ["-effective_from", "-id"]
        constraints = [models.UniqueConstraint(fields=["person", "effective_from"], name="care_choice_one_per_day")]

    class Scope:
        region = "region"
        institution = "institution"
        person = "person"


class Stay(AuditedModel, models.Model):
    """An institutional stay in a filed bed: admission, and discharge when it ends."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, related_name="stays")
    institution = models.ForeignKey("providers.Institution", on_delete=models.PROTECT, related_name="stays")
    bed = models.CharField("床位号", max_length=32)
    admitted_on = models.DateField("入住日期")
    discharged_on = models.DateField("离开日期", null=True, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "入住记录"
        verbose_name_plural = "入住记录"
        ordering = ["-admitted_on"]

    class Scope:
        region = "region"
        institution = "institution"
        person = "person"


class FaceCheck(models.TextChoices):
    PASSED = "passed", "通过"
    FAILED = "failed", "未通过"
    NOT_DONE = "not_done", "未核验"


class Acceptance(models.TextChoices):
    """A visit recorded later than the region allows, or checked in or out away from the home or
    without a location, waits for the agency before it is settled (the reasons: HoldReason)."""

    NOT_NEEDED = "", "无需受理"
    PENDING = "pending", "待经办机构受理"
    ACCEPTED = "accepted", "已受理"
    REJECTED = "rejected", "不予受理"


class HoldReason(models.TextChoices):
    """Why a visit waits for the agency's acceptance; a visit may have several."""

    LATE = "late", "逾期登记"
    CHECKIN_FAR = "checkin_far", "签到位置超出范围"
    CHECKOUT_FAR = "checkout_far", "签退位置超出范围"
    CHECKIN_NO_LOCATION = "checkin_no_location", "签到时未定位"
    CHECKOUT_NO_LOCATION = "checkout_no_location", "签退时未定位"


# Visits that settlement may pay: recorded in time, or late and accepted.
SETTLEABLE_ACCEPTANCE = (Acceptance.NOT_NEEDED, Acceptance.ACCEPTED)


class Visit(models.Model):
    """One home visit. Check-in and check-out keep time, place and the distance to the home; the
    face check is filled by an external verifier. A correction is a new row that supersedes this one."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, related_name="visits")
    institution = models.ForeignKey("providers.Institution", on_delete=models.PROTECT, related_name="visits")
    carer = models.ForeignKey("providers.Carer", on_delete=models.PROTECT, related_name="visits")
    request_id = models.CharField("客户端请求号", max_length=64)
    checkin_at = models.DateTimeField("签到时间")
    # Empty when the phone gave no location: the visit then waits for the agency (HoldReason).
    checkin_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_distance_m = models.PositiveIntegerField("签到距居所（米）", null=True)
    checkout_at = models.DateTimeField("签退时间", null=True, blank=True)
    checkout_request_id = models.CharField(max_length=64, blank=True)
    checkout_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checkout_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checkout_distance_m = models.PositiveIntegerField("签退距居所（米）", null=True, blank=True)
    checkout_entered_at = models.DateTimeField("签退录入时间", null=True, blank=True)  # how late the check-out came
    face_check = models.CharField("人脸核验", max_length=16, choices=FaceCheck.choices, default=FaceCheck.NOT_DONE)
    items = models.JSONField("服务项目", default=list)
    notes = models.CharField("备注", max_length=500, blank=True)
    supersedes = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="superseded_by")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)
    exceptions = models.JSONField("待受理原因", default=list, blank=True)  # HoldReason values
    acceptance = models.CharField("受理", max_length=8, choices=Acceptance.choices, blank=True,
                                  default=Acceptance.NOT_NEEDED)
    acceptance_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name="受理人")
    acceptance_at = models.DateTimeField("受理时间", null=True, blank=True)
    acceptance_note = models.CharField("受理意见", max_length=200, blank=True)

    class Meta:
        verbose_name = "上门服务"
        verbose_name_plural = "上门服务"
        ordering = ["-checkin_at"]
        constraints = [models.UniqueConstraint(fields=["carer", "request_id"], name="visit_unique_request")]
        indexes = [models.Index(fields=["carer", "checkin_at"]), models.Index(fields=["person", "checkin_at"]),
                   models.Index(fields=["region", "checkin_at"], condition=models.Q(acceptance="pending"),
                                name="visit_acceptance_pending"),
                   # A month of a region's visits (settlement, screening) among a year's or more: a city
                   # records 1.5 million a month (docs/decisions/0027).
                   models.Index(fields=["region", "checkin_at"], name="visit_region_checkin")]

    class Scope:
        region = "region"
        institution = "institution"
        person = "person"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "待本人确认"
    CONFIRMED = "confirmed", "已确认"
    REPLACED = "replaced", "已被新计划取代"


class CarePlan(AuditedModel, models.Model):
    """A month's care plan (护理计划/服务包): catalogue items × times a month, priced, within the
    mode's limit; drafted by the institution (in Changning by the community health centre's nurse)
    and confirmed by the insured before any visit."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, related_name="care_plans")
    institution = models.ForeignKey("providers.Institution", on_delete=models.PROTECT, related_name="care_plans")
    mode = models.CharField("护理方式", max_length=24, choices=Mode.choices)
    grade = models.CharField("评估等级", max_length=16)
    valid_from = models.DateField("执行日期")
    status = models.CharField("状态", max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    limit_kind = models.CharField(max_length=8, blank=True)  # amount | visits | "" (no limit)
    limit_value = models.PositiveIntegerField(null=True, blank=True)  # fen a month, or visits a week
    visits_per_week = models.PositiveSmallIntegerField("每周上门次数", null=True, blank=True)
    total = models.DecimalField("月度合计（元）", max_digits=10, decimal_places=2, default=0)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "护理计划"
        verbose_name_plural = "护理计划"
        ordering = ["-valid_from", "-id"]

    class Scope:
        region = "region"
        institution = "institution"
        person = "person"

    def __str__(self):  # as the trail names it
        return f"护理计划（自{self.valid_from:%Y-%m-%d}）"


class PlanItem(models.Model):
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey("providers.CatalogueItem", on_delete=models.PROTECT, related_name="+")
    per_month = models.PositiveSmallIntegerField("每月次数")
    unit_price = models.DecimalField("单价（元）", max_digits=8, decimal_places=2, null=True)
    amount = models.DecimalField("金额（元）", max_digits=10, decimal_places=2, default=0)

    class Meta:
        verbose_name = "护理计划项目"
        verbose_name_plural = "护理计划项目"
        ordering = ["item__code"]
        constraints = [models.UniqueConstraint(fields=["plan", "item"], name="plan_item_once")]

    class Scope:
        region = "plan__region"
        institution = "plan__institution"
        person = "plan__person"


class FamilyCareDay(models.Model):
    """A day of care given at home by a registered family carer (亲情照护), for the allowance."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, related_name="family_care_days")
    carer = models.ForeignKey("providers.Carer", on_delete=models.PROTECT, related_name="family_care_days")
    day = models.DateField("照护日期")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "亲情照护日"
        verbose_name_plural = "亲情照护日"
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["person", "day"], name="family_care_once_a_day")]

    class Scope:
        region = "region"
        person = "person"


class EventKind(models.TextChoices):
    HOSPITAL_ADMISSION = "hospital_admission", "住院"
    HOSPITAL_DISCHARGE = "hospital_discharge", "出院"
    DEATH = "death", "死亡"
    MOVED_AWAY = "moved_away", "迁出"


class EventSource(models.TextChoices):
    MANUAL = "manual", "人工登记"
    INPATIENT_IMPORT = "inpatient_import", "医保住院结算数据"
    CIVIL_AFFAIRS_IMPORT = "civil_affairs_import", "民政死亡数据"


class CareEvent(models.Model):
    """An event that changes benefits from its date: a hospital stay's start and end, death, moving
    away. Kept as entered; a correction is a new event that names the one it corrects."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, related_name="care_events")
    kind = models.CharField("事件", max_length=24, choices=EventKind.choices)
    on = models.DateField("日期")
    source = models.CharField("来源", max_length=24, choices=EventSource.choices)
    reference = models.CharField("来源记录号", max_length=64, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    corrects = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="corrected_by")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "待遇事件"
        verbose_name_plural = "待遇事件"
        ordering = ["-on", "-id"]
        constraints = [models.UniqueConstraint(fields=["region", "source", "reference", "kind"],
                                               condition=~models.Q(reference=""),
                                               name="care_event_unique_reference")]
        indexes = [models.Index(fields=["person", "on"])]

    class Scope:
        region = "region"
        person = "person"


class VisitRating(AuditedModel, models.Model):
    """The person served rates one visit (1–5 stars, a short comment), once: what the carer and the
    institution see of how the visit went. The institution's star rating has its own reviews."""

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="rating", verbose_name="上门服务")
    score = models.PositiveSmallIntegerField("评分")
    comment = models.CharField("评价", max_length=200, blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rated_at = models.DateTimeField("评价时间", auto_now_add=True)

    class Meta:
        verbose_name = "上门服务评价"
        verbose_name_plural = "上门服务评价"
        ordering = ["-rated_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5),
                                              name="visit_rating_score_1_to_5")]

    class Scope:
        region = "visit__region"
        institution = "visit__institution"
        person = "visit__person"

    @property
    def stars_text(self) -> str:
        return "★" * self.score + "☆" * (5 - self.score)
