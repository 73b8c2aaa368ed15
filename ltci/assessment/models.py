"""Applications for assessment, the people who assess and review them, and the certificates they end in.

Decisions are kept, never edited: each transition, site assessment and expert decision is a row of
its own; a certificate that a later one replaces gets an end date, nothing else.
"""

from django.conf import settings
from django.db import models

from ltci.audit.signals import AuditedModel

from .flow import State


class Kind(models.TextChoices):
    INITIAL = "initial", "首次评估"
    REASSESSMENT = "reassessment", "重新评估"


class Trigger(models.TextChoices):
    REQUEST = "request", "本人申请"
    EXPIRY = "expiry", "有效期届满"
    CHANGE = "change", "状况变化"


class Channel(models.TextChoices):
    ONLINE = "online", "网上申请"
    COUNTER = "counter", "窗口受理"


class Relation(models.TextChoices):
    SELF = "self", "本人"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    OTHER_RELATIVE = "relative", "其他亲属"
    GUARDIAN = "guardian", "监护人"
    AGENT = "agent", "委托代理人"


class Application(AuditedModel, models.Model):
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="applications",
                               verbose_name="统筹地区")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, related_name="applications",
                               verbose_name="参保人")
    number = models.CharField("申请编号", max_length=32, unique=True)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices, default=Kind.INITIAL)
    trigger = models.CharField("重新评估原因", max_length=16, choices=Trigger.choices, blank=True)
    channel = models.CharField("渠道", max_length=16, choices=Channel.choices)
    acceptance_point = models.CharField("受理机构", max_length=100, blank=True)
    applicant_name = models.CharField("申请人", max_length=64)
    applicant_relation = models.CharField("与参保人关系", max_length=16, choices=Relation.choices)
    applicant_phone = models.CharField("联系电话", max_length=20)
    disabled_since = models.DateField("失能起始日期")
    self_assessment = models.JSONField("自评表", default=dict)
    self_assessment_letter = models.CharField("自评结果", max_length=1)
    pledge_signed = models.BooleanField("已签署诚信承诺书", default=False)
    serving_institution = models.ForeignKey(
        "providers.Institution", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="现服务机构", help_text="正在为参保人提供照护的机构：该机构人员回避评估。")
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.SUBMITTED)
    submitted_on = models.DateField("提交日期")
    intake_due = models.DateField("受理时限")
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    conclusion_due = models.DateField("结论时限", null=True, blank=True)
    decided_grade = models.CharField("评定等级", max_length=16, blank=True)
    publicity_from = models.DateField("公示开始", null=True, blank=True)
    publicity_until = models.DateField("公示截止", null=True, blank=True)
    dates_provisional = models.BooleanField(
        "时限为推算", default=False,
        help_text="节假日安排尚未收录的年份按周一至周五推算，节假日公布后须核对。")
    experts_missing = models.PositiveSmallIntegerField(
        "待补抽专家", default=0, help_text="专家库中可抽取的人数不足时，由经办人员补抽。")
    missing_round = models.CharField("待补抽轮次", max_length=16, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="提交人")
    created_at = models.DateTimeField("提交时间", auto_now_add=True)

    class Meta:
        verbose_name = "评估申请"
        verbose_name_plural = "评估申请"
        ordering = ["-id"]
        # With the deadlines, the workbench counts the overdue from the index alone (0027).
        indexes = [models.Index(fields=["region", "state", "intake_due"], name="application_intake_due"),
                   models.Index(fields=["region", "state", "conclusion_due"], name="application_conclusion_due"),
                   models.Index(fields=["person", "state"])]

    class Scope:
        region = "region"
        person = "person"

    def __str__(self):
        return f"{self.number} {self.person.name}"

    @property
    def state_label(self) -> str:
        return State(self.state).label

    @property
    def certificate(self):
        """The application's latest certificate, if it has one (from a list's prefetch when it has one)."""
        if "certificates" in getattr(self, "_prefetched_objects_cache", {}):
            return max(self.certificates.all(), key=lambda c: c.pk, default=None)
        return self.certificates.order_by("-id").first()


class MaterialKind(models.TextChoices):
    DISCHARGE_SUMMARY = "discharge_summary", "出院小结"
    OUTPATIENT_RECORD = "outpatient_record", "门诊病历"
    DISABILITY_CERTIFICATE = "disability_certificate", "残疾证"
    PLEDGE = "pledge", "诚信承诺书"
    SELF_ASSESSMENT = "self_assessment", "自评表"
    OTHER = "other", "其他材料"


class Material(models.Model):
    """An uploaded file of an application: health data, so every download is audited."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="materials")
    kind = models.CharField("材料类型", max_length=32, choices=MaterialKind.choices)
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=64)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=300)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["id"]

    class Scope:
        region = "application__region"
        person = "application__person"


def _grade_label(grade: str) -> str:
    from ltci.policy.rules.eligibility import GRADE_LABELS

    return GRADE_LABELS.get(grade, grade)


class Transition(models.Model):
    """One step of an application's flow: who moved it, from which state to which, and why."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="transitions")
    action = models.CharField(max_length=32)
    source = models.CharField(max_length=16, blank=True)
    target = models.CharField(max_length=16)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = "办理记录"
        verbose_name_plural = "办理记录"
        ordering = ["id"]

    class Scope:
        region = "application__region"
        person = "application__person"

    def get_action_label(self) -> str:
        from .flow import STEPS

        return STEPS[self.action].label if self.action in STEPS else "提交申请"


class EvaluatorKind(models.TextChoices):
    ASSESSOR = "assessor", "评估员"
    EXPERT = "expert", "评估专家"


class TitleRank(models.TextChoices):
    """专业技术职称级别, lowest first (Jiaxing's expert pool: intermediate and above)."""

    JUNIOR = "junior", "初级"
    INTERMEDIATE = "intermediate", "中级"
    ASSOCIATE_SENIOR = "associate_senior", "副高级"
    SENIOR = "senior", "正高级"


class Evaluator(AuditedModel, models.Model):
    """A member of the region's pool (评估人员库 / 专家库)."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="evaluators")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evaluator")
    kind = models.CharField("类别", max_length=16, choices=EvaluatorKind.choices)
    title = models.CharField("职称", max_length=32, blank=True)
    title_rank = models.CharField("职称级别", max_length=16, choices=TitleRank.choices, blank=True)
    body = models.CharField("所属评估机构", max_length=100, blank=True)
    institution = models.ForeignKey(
        "providers.Institution", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="兼职的定点机构", help_text="同时在定点机构任职的，回避该机构服务对象的评估。")
    committee = models.BooleanField("评估专家委员会成员", default=False)
    active = models.BooleanField("在库", default=True)

    class Meta:
        verbose_name = "评估人员"
        verbose_name_plural = "评估人员库"
        ordering = ["region", "id"]

    class Scope:
        region = "region"
        reference = True

    def __str__(self):
        return f"{self.user.get_full_name() or self.user.username}（{self.get_kind_display()}）"


class Recusal(AuditedModel, models.Model):
    """A declared family or interest relation: the evaluator steps aside for this person."""

    evaluator = models.ForeignKey(Evaluator, on_delete=models.PROTECT, related_name="recusals")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField("回避原因", max_length=200)

    class Meta:
        verbose_name = "回避"
        verbose_name_plural = "回避"
        unique_together = [("evaluator", "person")]

    class Scope:
        region = "evaluator__region"
        person = "person"

    def __str__(self):
        # Kept by the platform administrator, who sees no names of the insured: the masked number only.
        return f"{self.evaluator} 回避 {self.person.masked_id}"


class SiteAssessment(models.Model):
    """The on-site assessment by two evaluators: the filled-in scale, the system's initial grade,
    and the visit's photo and location."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="site_assessments")
    first = models.ForeignKey(Evaluator, on_delete=models.PROTECT, related_name="+", verbose_name="评估人员一")
    second = models.ForeignKey(Evaluator, on_delete=models.PROTECT, related_name="+", verbose_name="评估人员二")
    assigned_at = models.DateTimeField(auto_now_add=True)
    visited_at = models.DateTimeField("评估时间", null=True, blank=True)
    scores = models.JSONField("量表得分", default=dict)  # {indicator: {item: score}}, or {} where a level is recorded
    totals = models.JSONField("一级指标得分", default=dict)
    levels = models.JSONField("一级指标等级", default=dict)
    proposed_grade = models.CharField("系统初评等级", max_length=16, blank=True)
    explanation = models.JSONField(default=list)
    external_reference = models.CharField("市级评估结果编号", max_length=64, blank=True)
    guardian = models.CharField("在场监护人或代理人", max_length=64, blank=True)
    photo = models.CharField(max_length=300, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                    related_name="+")
    replaced_at = models.DateTimeField("改派时间", null=True, blank=True)
    replaced_reason = models.CharField("改派原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "现场评估"
        verbose_name_plural = "现场评估"
        ordering = ["id"]

    class Scope:
        region = "application__region"
        person = "application__person"


class Round(models.TextChoices):
    FIRST = "first", "专家复评"
    THIRD = "third", "第三位专家"
    COMMITTEE = "committee", "委员会评定"
    DISPUTE = "dispute", "争议复核"


class Review(models.Model):
    """One expert's decision on one application, made without seeing anyone else's."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="reviews")
    expert = models.ForeignKey(Evaluator, on_delete=models.PROTECT, related_name="reviews")
    round = models.CharField("轮次", max_length=16, choices=Round.choices)
    drawn_at = models.DateTimeField(auto_now_add=True)
    grade = models.CharField("评定等级", max_length=16, blank=True)
    reason = models.CharField("理由", max_length=500, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    replaced_at = models.DateTimeField("重新抽取时间", null=True, blank=True)
    replaced_reason = models.CharField("重新抽取原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "专家评定"
        verbose_name_plural = "专家评定"
        ordering = ["id"]
        unique_together = [("application", "expert", "round")]

    class Scope:
        region = "application__region"
        person = "application__person"

    def get_grade_label(self) -> str:
        return _grade_label(self.grade)


class Objection(models.Model):
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="objections")
    reason = models.CharField("异议理由", max_length=500)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        region = "application__region"
        person = "application__person"

    class Meta:
        verbose_name = "异议"
        verbose_name_plural = "异议"


class EndReason(models.TextChoices):
    SUPERSEDED = "superseded", "被新的评估结论取代"


class Certificate(AuditedModel, models.Model):
    """The conclusion of an application (评估结论): the grade, its sub-scores and validity."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="certificates")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, related_name="certificates")
    # Usually one per application; a dispute review after delivery adds the final one.
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="certificates")
    number = models.CharField("结论编号", max_length=32, unique=True)
    grade = models.CharField("等级", max_length=16)
    qualifies = models.BooleanField("达到待遇等级")
    totals = models.JSONField("一级指标得分", default=dict)
    levels = models.JSONField("一级指标等级", default=dict)
    valid_from = models.DateField("生效日期")
    valid_until = models.DateField("有效期至")
    ended_on = models.DateField("提前终止日期", null=True, blank=True)
    end_reason = models.CharField("终止原因", max_length=16, choices=EndReason.choices, blank=True)
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "评估结论"
        verbose_name_plural = "评估结论"
        ordering = ["-valid_from", "-id"]
        indexes = [models.Index(fields=["region", "valid_from"], name="certificate_region_from")]  # the latest

    class Scope:
        region = "region"
        person = "person"

    def __str__(self):
        return f"{self.number} {self.person.name}"

    def get_grade_label(self) -> str:
        return _grade_label(self.grade)

    @property
    def last_day(self):
        """The last day the certificate counts: its validity, or the day before a successor took effect."""
        return min(self.valid_until, self.ended_on) if self.ended_on else self.valid_until


class Reminder(models.Model):
    """An expiry reminder: made once per certificate, the expiry-reminder days before it ends."""

    certificate = models.OneToOneField(Certificate, on_delete=models.PROTECT, related_name="reminder")
    due_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Scope:
        region = "certificate__region"
        person = "certificate__person"

    class Meta:
        verbose_name = "到期提醒"
        verbose_name_plural = "到期提醒"


class LeadSource(models.TextChoices):
    HOSPITAL_DISCHARGE = "hospital_discharge", "医院出院名单"
    DISABILITY_CERTIFICATE = "disability_certificate", "残联残疾证名单"
    CIVIL_AFFAIRS = "civil_affairs", "民政名单"


class LeadStatus(models.TextChoices):
    OPEN = "open", "待联系"
    CONTACTED = "contacted", "已联系"
    APPLIED = "applied", "已申请"
    DISMISSED = "dismissed", "不符合"


class Lead(models.Model):
    """Active discovery (主动发现): a person on another department's list who may qualify and has
    not applied, for a clerk to contact."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, related_name="leads")
    source = models.CharField("来源", max_length=32, choices=LeadSource.choices)
    listed_on = models.DateField("名单日期")
    detail = models.CharField("名单说明", max_length=200, blank=True)
    status = models.CharField("状态", max_length=16, choices=LeadStatus.choices, default=LeadStatus.OPEN)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    handled_note = models.CharField("处理说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "主动发现线索"
        verbose_name_plural = "主动发现线索"
        ordering = ["status", "-listed_on", "id"]
        unique_together = [("person", "source", "listed_on")]

    class Scope:
        region = "region"
        person = "person"
