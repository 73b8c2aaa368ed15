"""A request that waits for a second person (双人复核事项): what was asked, by whom, why it needs a
second person, and how it ended. What it asks for is made only when it is approved (a fee and its
journal, a fine, a payee's account): until then it exists nowhere else."""

from django.conf import settings
from django.db import models


class RequestKind(models.TextChoices):
    FEE = "fee", "经办与评估费用"
    FINE = "fine", "罚款"
    PAYEE_ACCOUNT = "payee_account", "收款账户变更"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "待复核"
    APPROVED = "approved", "已复核生效"
    REJECTED = "rejected", "已驳回"
    WITHDRAWN = "withdrawn", "已撤回"


class Request(models.Model):
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    kind = models.CharField("事项类别", max_length=16, choices=RequestKind.choices)
    status = models.CharField("状态", max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    # At most one pending request per subject: a payee's account (`institution:5`), a fee's voucher
    # number (`fee:JB-1`), a case's fine (`case:7`).
    subject = models.CharField("对象", max_length=80, blank=True)
    summary = models.CharField("摘要", max_length=200)  # in Chinese, account numbers masked
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    payload = models.JSONField("申请内容", default=dict)  # what the effect is made with (never an account number)
    account_number = models.CharField("账号", max_length=34, blank=True)  # payee accounts only; masked outside the bank file
    institution = models.ForeignKey("providers.Institution", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="收款机构")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name="收款参保人")
    reason = models.CharField("复核原因", max_length=200)  # why a second person must approve it
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name="提交人")
    made_at = models.DateTimeField("提交时间", auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="复核人")
    decided_at = models.DateTimeField("办理时间", null=True, blank=True)
    note = models.CharField("复核意见", max_length=300, blank=True)  # a rejection's reason
    result_type = models.CharField("生效对象类型", max_length=64, blank=True)
    result_id = models.CharField("生效对象编号", max_length=64, blank=True)

    class Meta:
        verbose_name = "双人复核事项"
        verbose_name_plural = "双人复核事项"
        ordering = ["-made_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "subject"], condition=models.Q(status="pending") & ~models.Q(subject=""),
                                    name="dualcontrol_one_pending_per_subject"),
            models.CheckConstraint(condition=models.Q(amount__isnull=True) | models.Q(amount__gt=0),
                                   name="dualcontrol_amount_positive"),
        ]
        indexes = [models.Index(fields=["region", "status", "kind"])]

    class Scope:
        region = "region"

    def __str__(self):
        return f"{self.get_kind_display()} {self.summary}"[:200]
