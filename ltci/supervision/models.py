"""The rule base's regional settings, the hits a screening finds, the cases auditors decide, the
sanctions they apply, and the visits drawn for third-party checks.

The rules themselves are data (rulebase.toml) next to the functions that evaluate them (rules.py);
a region changes a rule's switch, severity or parameters by a new `RuleSetting`, never by an edit,
so what a hit was found under stays known (the hit also keeps the parameters it used).
"""

from django.conf import settings
from django.db import models

from ltci.audit.signals import AuditedModel


class Severity(models.TextChoices):
    LOW = "low", "低"
    MEDIUM = "medium", "中"
    HIGH = "high", "高"


class RuleSetting(AuditedModel, models.Model):
    """A region's setting of one rule from `valid_from` on: on or off, severity and parameters
    (merged over the rule base's defaults). Append-only; the newest valid one applies."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    rule = models.CharField("规则代码", max_length=40)
    enabled = models.BooleanField("启用", default=True)
    severity = models.CharField("严重程度", max_length=8, choices=Severity.choices)
    params = models.JSONField("参数", default=dict)
    valid_from = models.DateField("生效日期")
    reason = models.CharField("调整理由", max_length=200)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "疑点规则设置"
        verbose_name_plural = "疑点规则设置"
        ordering = ["region_id", "rule", "-valid_from", "-id"]
        indexes = [models.Index(fields=["region", "rule", "valid_from"])]

    class Scope:
        region = "region"


class HitStatus(models.TextChoices):
    NEW = "new", "待处理"
    IN_CASE = "in_case", "已立案"
    CONFIRMED = "confirmed", "已查实"
    DISMISSED = "dismissed", "已排除"


class Hit(models.Model):
    """One suspicious finding (疑点): a rule, the month screened, the records it names and the
    parameters it was evaluated with. `key` identifies the finding within its rule and month, so a
    re-run of the screening finds it again instead of adding a copy."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    month = models.DateField("筛查月份")  # first day of the month screened
    rule = models.CharField("规则代码", max_length=40)
    severity = models.CharField("严重程度", max_length=8, choices=Severity.choices)
    key = models.CharField(max_length=120)
    day = models.DateField("发生日期", null=True, blank=True)
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name="参保人")
    institution = models.ForeignKey("providers.Institution", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="定点机构")
    carer = models.ForeignKey("providers.Carer", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="护理员")
    records = models.JSONField("涉及记录", default=dict)  # {"visit": [ids], "stay": [ids], "event": [ids], ...}
    detail = models.JSONField("疑点说明", default=dict)  # figures of the finding, e.g. {"distance_m": 812}
    params = models.JSONField("规则参数", default=dict)
    status = models.CharField("状态", max_length=16, choices=HitStatus.choices, default=HitStatus.NEW)
    case = models.ForeignKey("Case", on_delete=models.PROTECT, null=True, blank=True, related_name="hits",
                             verbose_name="稽核案件")
    job = models.ForeignKey("core.Job", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    found_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):  # as the trail names it
        return f"{self.month:%Y年%m月}疑点 第{self.pk}号"

    class Meta:
        verbose_name = "疑点"
        verbose_name_plural = "疑点"
        ordering = ["-month", "rule", "id"]
        constraints = [models.UniqueConstraint(fields=["region", "month", "rule", "key"], name="hit_once_per_key")]
        indexes = [models.Index(fields=["region", "month", "status"]), models.Index(fields=["institution", "month"]),
                   # the list's order within a month: a page of a month with 7,500 hits reads 50 of them
                   models.Index(fields=["region", "month", "rule", "id"], name="hit_list_order")]

    class Scope:
        region = "region"
        institution = "institution"


class CaseStatus(models.TextChoices):
    OPEN = "open", "调查中"
    CONFIRMED = "confirmed", "已查实"
    DISMISSED = "dismissed", "已排除"


class Case(AuditedModel, models.Model):
    """An investigation (稽核案件) of one or more hits, assigned to an auditor, ending confirmed or
    dismissed with the evidence recorded."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    number = models.CharField("案件编号", max_length=40, unique=True)
    month = models.DateField("所属月份")
    institution = models.ForeignKey("providers.Institution", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="cases", verbose_name="定点机构")
    title = models.CharField("案由", max_length=200)
    status = models.CharField("状态", max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="承办稽核人员")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    finding = models.TextField("调查结论", blank=True)
    evidence = models.FileField("证据材料", upload_to="supervision/evidence/%Y/%m/", blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "稽核案件"
        verbose_name_plural = "稽核案件"
        ordering = ["-opened_at", "-id"]
        # the list's order: a page of a city's 500 cases reads its 20 rather than sorting them all
        indexes = [models.Index(fields=["region", "-opened_at", "-id"], name="case_list_order")]

    class Scope:
        region = "region"
        institution = "institution"

    def __str__(self):
        return self.number


class SanctionKind(models.TextChoices):
    RECOVERY = "recovery", "追回基金"
    FINE = "fine", "罚款"
    CARER_SUSPENSION = "carer_suspension", "暂停护理员结算"
    INSTITUTION_SUSPENSION = "institution_suspension", "暂停接收新参保人"
    TERMINATION = "termination", "解除服务协议"


class Sanction(AuditedModel, models.Model):
    """A sanction (处理) applied on a confirmed case. What it did elsewhere is linked: the recovery
    lines in settlement, the carer's suspension, the institution's suspension or termination."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="sanctions", verbose_name="稽核案件")
    kind = models.CharField("处理方式", max_length=24, choices=SanctionKind.choices)
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    starts_on = models.DateField("起始日期", null=True, blank=True)
    ends_on = models.DateField("截止日期", null=True, blank=True)
    carer = models.ForeignKey("providers.Carer", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.CharField("处理依据", max_length=300)
    effects = models.JSONField("执行记录", default=dict)  # {"recovery_lines": [ids], "carer_suspension": id, ...}
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "处理决定"
        verbose_name_plural = "处理决定"
        ordering = ["-applied_at", "-id"]

    class Scope:
        region = "case__region"
        institution = "case__institution"


class SampleMethod(models.TextChoices):
    CALL = "call", "电话回访"
    VISIT = "visit", "入户核查"


class SampleOutcome(models.TextChoices):
    PENDING = "pending", "待核查"
    CONFIRMED = "confirmed", "服务属实"
    NOT_CONFIRMED = "not_confirmed", "服务不实"
    UNREACHABLE = "unreachable", "无法联系"


class Sample(AuditedModel, models.Model):
    """A visit drawn at random for a third-party check (回访/核查), and what the check found."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    month = models.DateField("抽查月份")
    visit = models.OneToOneField("care.Visit", on_delete=models.PROTECT, related_name="sample", verbose_name="上门服务")
    share = models.DecimalField("抽查比例", max_digits=5, decimal_places=4)
    seed = models.CharField("抽样种子", max_length=64)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(auto_now_add=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="核查人员")
    method = models.CharField("核查方式", max_length=8, choices=SampleMethod.choices, blank=True)
    outcome = models.CharField("核查结果", max_length=16, choices=SampleOutcome.choices,
                               default=SampleOutcome.PENDING)
    note = models.CharField("核查记录", max_length=500, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "随机抽查"
        verbose_name_plural = "随机抽查"
        ordering = ["-month", "outcome", "id"]

    def __str__(self):  # as the trail names it
        return f"{self.month:%Y年%m月}随机抽查 第{self.pk}号"

    class Scope:
        region = "region"
        institution = "visit__institution"


class SanctionWithdrawal(models.Model):
    """A sanction withdrawn as decided in error (撤销处理决定): what it did is undone where it can be
    (a fine no longer counts, an institution takes clients again, a terminated agreement runs on);
    the sanction stays on record. Once per sanction."""

    sanction = models.OneToOneField(Sanction, on_delete=models.PROTECT, related_name="withdrawal",
                                    verbose_name="被撤销的处理决定")
    reason = models.CharField("撤销理由", max_length=300)
    effects = models.JSONField("撤销记录", default=dict)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name="撤销人")
    withdrawn_at = models.DateTimeField("撤销时间", auto_now_add=True)

    class Meta:
        verbose_name = "撤销处理决定"
        verbose_name_plural = "撤销处理决定"

    class Scope:
        region = "sanction__case__region"
        institution = "sanction__case__institution"
