"""Bills (what each person owes for a period, by payer) and payments (what was received).

Both are append-only: a corrected base makes an adjustment bill, a mistaken payment a reversal.
What a person owes for a period is the sum of its bills; arrears are that less the payments.
"""

from django.conf import settings
from django.db import models

from ltci.audit.signals import AuditedModel
from ltci.core.money import yuan_text
from ltci.policy.money import yuan

PAYER_FIELDS = ("individual", "employer", "medical_fund", "fiscal")


class Payer(models.TextChoices):
    INDIVIDUAL = "individual", "个人"
    EMPLOYER = "employer", "用人单位"
    MEDICAL_FUND = "medical_fund", "医保统筹基金划转"
    FISCAL = "fiscal", "财政补助"
    DONATION = "donation", "社会捐助"


class Channel(models.TextChoices):
    PERSONAL_ACCOUNT = "personal_account", "个人账户划扣"
    EMPLOYER = "employer", "单位缴纳"
    FISCAL_TRANSFER = "fiscal_transfer", "财政划拨"
    TAX = "tax", "税务征收"
    DONATION = "donation", "社会捐助"
    MEDICAL_FUND = "medical_fund", "医保基金划转"


class BillKind(models.TextChoices):
    ORIGINAL = "original", "核定"
    ADJUSTMENT = "adjustment", "调整"


class Bill(models.Model):
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, related_name="bills", verbose_name="参保人")
    period = models.CharField("缴费期间", max_length=7)  # "2024" (a year) or "2024-03" (a month)
    kind = models.CharField("类别", max_length=16, choices=BillKind.choices, default=BillKind.ORIGINAL)
    due_date = models.DateField("应缴日期")
    individual = models.DecimalField("个人", max_digits=12, decimal_places=2, default=0)
    employer = models.DecimalField("单位", max_digits=12, decimal_places=2, default=0)
    medical_fund = models.DecimalField("医保统筹基金划转", max_digits=12, decimal_places=2, default=0)
    fiscal = models.DecimalField("财政补助", max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField("合计", max_digits=12, decimal_places=2, default=0)
    job = models.ForeignKey("core.Job", on_delete=models.PROTECT, related_name="+", verbose_name="核定批次")
    created_at = models.DateTimeField("核定时间", auto_now_add=True)

    class Meta:
        verbose_name = "缴费核定单"
        verbose_name_plural = "缴费核定单"
        ordering = ["person_id", "period", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "period"], condition=models.Q(kind="original"),
                                    name="bill_one_original_per_period"),
        ]
        indexes = [models.Index(fields=["region", "period", "person"])]  # billing compares a period by person ranges

    class Scope:
        region = "region"
        person = "person"

    def __str__(self):
        return f"{self.period} {self.get_kind_display()} {yuan_text(self.total)}元"


class Payment(AuditedModel, models.Model):
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, related_name="payments",
                               verbose_name="参保人")
    period = models.CharField("缴费期间", max_length=7)
    payer = models.CharField("缴费主体", max_length=16, choices=Payer.choices)
    channel = models.CharField("缴费渠道", max_length=24, choices=Channel.choices)
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2)
    reference = models.CharField("渠道流水号", max_length=64)
    paid_on = models.DateField("到账日期")
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                            verbose_name="导入批次")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "缴费记录"
        verbose_name_plural = "缴费记录"
        ordering = ["person_id", "period", "paid_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "reference"], name="payment_unique_channel_reference"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [models.Index(fields=["region", "period"])]

    class Scope:
        region = "region"
        person = "person"

    def __str__(self):
        return f"{self.period} {self.get_payer_display()} {yuan_text(self.amount)}元（{self.get_channel_display()}）"


class PeriodTotal(models.Model):
    """What one person has been billed and has paid for one period, in integer fen: kept by the
    database itself (ltci/contributions/totals.py), a trigger adding each new bill and payment, so
    that the arrears of a city's period are found through a partial index of those who owe instead
    of by summing millions of bills (docs/decisions/0029). Derived, never written by the
    application; the books are the bills and payments."""

    region = models.ForeignKey("regions.Region", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False,
                               db_index=False, verbose_name="统筹地区")
    person = models.ForeignKey("enrolment.Person", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False,
                               db_index=False, verbose_name="参保人")
    period = models.CharField("缴费期间", max_length=7)
    billed_fen = models.BigIntegerField("应缴（分）", default=0)
    paid_fen = models.BigIntegerField("已缴（分）", default=0)

    class Meta:
        verbose_name = "期间应缴已缴合计"
        verbose_name_plural = "期间应缴已缴合计"
        constraints = [models.UniqueConstraint(fields=["person", "period"], name="period_total_one_per_person")]
        indexes = [models.Index(fields=["region", "period", "person"], name="period_total_owing",
                                condition=models.Q(billed_fen__gt=models.F("paid_fen")))]

    class Scope:
        region = "region"
        person = "person"

    def __str__(self):
        return f"{self.period} 应缴 {yuan_text(yuan(self.billed_fen))} 元"
