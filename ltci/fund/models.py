"""Journals and postings of the fund's double-entry books.

A journal is one balanced event (a payment received); its postings are append-only. The
idempotency key makes re-posting the same event a no-op. Issue 7 builds the ledger's balances,
periods and database triggers on exactly these two tables.
"""

from django.db import models


class Journal(models.Model):
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


class Posting(models.Model):
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
    """An accounting month of a region's books. Closed, it takes no postings; settlement books what
    changes for a closed month into the first open month after it."""

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
