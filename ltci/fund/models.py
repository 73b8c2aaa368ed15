"""Journals and postings of the fund's double-entry books, accounting periods, budgets and fees.

A journal is one balanced event (a payment received, a fee paid); its postings are append-only: a
mistake is corrected by a new journal, never by editing one. The idempotency key makes re-posting
the same event a no-op. The application refuses edits here; the database refuses them too
(migration 0003: PostgreSQL triggers refuse UPDATE and DELETE and an unbalanced journal at commit;
SQLite triggers refuse UPDATE). Balances are sums of postings, never stored.
"""

from django.conf import settings
from django.db import models

from ltci.audit.signals import AuditedModel
from ltci.core.money import yuan_text


class BooksAreAppendOnly(Exception):
    """A journal or posting was about to be changed or deleted: post a reversing journal instead."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise BooksAreAppendOnly("the fund's books cannot be edited")

    def delete(self):
        raise BooksAreAppendOnly("the fund's books cannot be deleted")

    _raw_delete = delete

    def bulk_update(self, *args, **kwargs):
        raise BooksAreAppendOnly("the fund's books cannot be edited")


class _AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding or kwargs.get("force_update"):
            raise BooksAreAppendOnly("the fund's books cannot be edited")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise BooksAreAppendOnly("the fund's books cannot be deleted")


class Journal(_AppendOnly):
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    key = models.CharField("幂等键", max_length=120, unique=True)
    posted_on = models.DateField("记账日期")
    kind = models.CharField("业务类型", max_length=32)
    memo = models.CharField("摘要", max_length=200)
    source_type = models.CharField("来源对象类型", max_length=64)
    source_id = models.CharField("来源对象编号", max_length=64)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "记账凭证"
        verbose_name_plural = "记账凭证"
        ordering = ["-posted_on", "-id"]

    class Scope:
        region = "region"

    def __str__(self):
        return f"{self.posted_on} {self.memo}"


class Posting(_AppendOnly):
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="postings", verbose_name="凭证")
    account = models.CharField("科目", max_length=8)
    party = models.CharField("往来单位", max_length=32, blank=True)  # payables: institution:<id> or person:<id>
    debit = models.DecimalField("借方", max_digits=14, decimal_places=2, default=0)
    credit = models.DecimalField("贷方", max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = "分录"
        verbose_name_plural = "分录"
        constraints = [
            models.CheckConstraint(condition=models.Q(debit__gte=0, credit__gte=0) & (
                models.Q(debit=0) | models.Q(credit=0)), name="posting_one_side_non_negative"),
        ]

        indexes = [models.Index(fields=["account", "party"])]

    class Scope:
        region = "journal__region"


class Period(models.Model):
    """An accounting month of a region's books. Closed, it takes no postings and is never reopened;
    settlement books what changes for a closed month into the first open month after it
    (`periods.first_open_month`). Months close in order (`periods.close`)."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    month = models.DateField("会计期间（月初）")
    closed_at = models.DateTimeField("结账时间", null=True, blank=True)
    closed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = "会计期间"
        verbose_name_plural = "会计期间"
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["region", "month"], name="fund_period_unique_month")]

    class Scope:
        region = "region"

    def __str__(self):
        return f"{self.month:%Y-%m}{'（已结账）' if self.closed_at else ''}"


class Budget(AuditedModel, models.Model):
    """One line of a region's yearly budget: an income account (by payer) or an expenditure account
    (by kind), in yuan. Changed in place; every change is on the audit trail with before and after."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    year = models.PositiveSmallIntegerField("预算年度")
    account = models.CharField("科目", max_length=8)
    amount = models.DecimalField("预算金额（元）", max_digits=14, decimal_places=2)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name="编制人")
    set_at = models.DateTimeField("编制时间", auto_now=True)

    audit_ignored_fields = ("set_at",)

    class Meta:
        verbose_name = "基金预算"
        verbose_name_plural = "基金预算"
        ordering = ["region", "year", "account"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "account"], name="fund_budget_unique_line"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="fund_budget_amount_non_negative"),
        ]

    class Scope:
        region = "region"

    def __str__(self):
        return f"{self.year}年 {self.account} {yuan_text(self.amount)}元"


class FeeKind(models.TextChoices):
    AGENCY = "agency", "经办服务费"
    ASSESSMENT = "assessment", "评估费用"


class Fee(AuditedModel, models.Model):
    """An agency or assessment fee paid out of the fund: the source of its journal (Dr 5202/5201, Cr 1002)."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    kind = models.CharField("费用类别", max_length=16, choices=FeeKind.choices)
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2)
    paid_on = models.DateField("支付日期")
    memo = models.CharField("摘要", max_length=150)
    reference = models.CharField("凭证号", max_length=64, blank=True)  # a retry with the same number is the same fee
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)
    # The second person, for a fee above the region's threshold (ltci.dualcontrol); empty below it.
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="复核人")

    class Meta:
        verbose_name = "经办与评估费用"
        verbose_name_plural = "经办与评估费用"
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "reference"], condition=~models.Q(reference=""),
                                    name="fund_fee_unique_reference"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="fund_fee_amount_positive"),
        ]

    class Scope:
        region = "region"

    def __str__(self):
        return f"{self.paid_on} {self.get_kind_display()} {yuan_text(self.amount)}元"


class Reversal(_AppendOnly):
    """A journal corrected by a new journal with the opposite entries (冲销): the original stays as it
    was, the two are linked here with who reversed it, when and why. A journal is reversed once."""

    original = models.OneToOneField(Journal, on_delete=models.PROTECT, related_name="reversal",
                                    verbose_name="被冲销凭证")
    journal = models.OneToOneField(Journal, on_delete=models.PROTECT, related_name="reverses",
                                   verbose_name="冲销凭证")
    reason = models.CharField("冲销理由", max_length=200)
    reversed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="冲销人")
    reversed_at = models.DateTimeField("冲销时间", auto_now_add=True)

    class Meta:
        verbose_name = "冲销记录"
        verbose_name_plural = "冲销记录"

    class Scope:
        region = "original__region"

    def __str__(self):
        return f"冲销 {self.original}"


class Projection(AuditedModel, models.Model):
    """A projection of the fund asked for by the bureau (issue 18, docs/decisions/0028): its settings,
    the draft policy tried beside the current one, and the results as the engine gave them. Books
    nothing; kept so that a figure quoted in a meeting can be found again with what produced it."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    job = models.OneToOneField("core.Job", on_delete=models.PROTECT, related_name="projection", verbose_name="任务")
    on = models.DateField("预测起点")
    years = models.PositiveSmallIntegerField("预测年数")
    runs = models.PositiveIntegerField("随机模拟次数")
    seed = models.IntegerField("随机种子")
    draft_name = models.CharField("政策草案名称", max_length=100, blank=True)
    draft_text = models.TextField("政策草案参数", blank=True)
    result = models.JSONField("现行政策预测结果", null=True, blank=True)
    draft_result = models.JSONField("政策草案预测结果", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="操作人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    audit_ignored_fields = ("result", "draft_result")  # the engine's output, tens of kilobytes: not a change to trail

    class Meta:
        verbose_name = "基金收支预测"
        verbose_name_plural = "基金收支预测"
        ordering = ["-created_at", "-id"]

    class Scope:
        region = "region"

    def __str__(self):
        return f"{self.on:%Y-%m-%d} 起 {self.years} 年" + (f"（{self.draft_name}）" if self.draft_name else "")


class TrialKind(models.TextChoices):
    REPLAY = "replay", "按草案重算已结算月份的待遇"
    REBILL = "rebill", "按草案重新核定一个缴费期间"


class Trial(AuditedModel, models.Model):
    """A draft policy tried on the books without booking (issue 18): a settled month settled again, or a
    billing period billed again, beside what was booked. Its totals are kept here; the per-person
    workbook under TRIALS_DIR (derived: running the trial again makes it again)."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    job = models.OneToOneField("core.Job", on_delete=models.PROTECT, related_name="trial", verbose_name="任务")
    kind = models.CharField("测算内容", max_length=16, choices=TrialKind.choices)
    target = models.CharField("月份或缴费期间", max_length=7)
    draft_name = models.CharField("政策草案名称", max_length=100)
    draft_text = models.TextField("政策草案参数")
    totals = models.JSONField("合计", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="操作人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    audit_ignored_fields = ("totals",)

    class Meta:
        verbose_name = "政策草案试算"
        verbose_name_plural = "政策草案试算"
        ordering = ["-created_at", "-id"]

    class Scope:
        region = "region"

    def __str__(self):
        return f"{self.get_kind_display()} {self.target}（{self.draft_name}）"
