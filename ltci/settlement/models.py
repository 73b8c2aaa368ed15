"""Claims and their lines, holds and disputes, approvals and payment batches.

Lines are append-only: what a later run finds different for a month already booked is a new line
(补付 or 追款) in the first open month, never an edit. A line's amounts never change; the review
and payment it went through are recorded by the approval and the batch that took it.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models

from ltci.audit.signals import AuditedModel

HALF_FEN = models.Value(Decimal("0.005"), output_field=models.DecimalField(max_digits=4, decimal_places=3))


class PayeeKind(models.TextChoices):
    INSTITUTION = "institution", "定点机构"
    INSURED = "insured", "参保人"


class Claim(models.Model):
    """One payee's bill for the month it is booked in: an institution's claim (结算单), or the month's
    cash benefits to insured people (one claim per region and month, a line per person)."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    month = models.DateField("结算月份")  # first day of the month the lines are booked in
    payee_kind = models.CharField("支付对象", max_length=16, choices=PayeeKind.choices)
    institution = models.ForeignKey("providers.Institution", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="claims", verbose_name="定点机构")
    number = models.CharField("结算单号", max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "结算单"
        verbose_name_plural = "结算单"
        ordering = ["-month", "payee_kind", "institution_id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "month", "institution"], condition=models.Q(institution__isnull=False),
                                    name="claim_one_per_institution_month"),
            models.UniqueConstraint(fields=["region", "month"], condition=models.Q(institution__isnull=True),
                                    name="claim_one_cash_list_per_month"),
        ]

    class Scope:
        region = "region"
        institution = "institution"

    def __str__(self):
        return self.number

    @property
    def payee_name(self) -> str:
        return self.institution.name if self.institution_id else "参保人现金待遇"


class LineKind(models.TextChoices):
    REGULAR = "regular", "本月结算"
    ADJUSTMENT = "adjustment", "补付/追款"
    RECOVERY = "recovery", "违规追回"


class Line(models.Model):
    """What the fund owes (or takes back) for one part of a person's month (P1: one mode at a time)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="lines", verbose_name="结算单")
    job = models.ForeignKey("core.Job", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, related_name="settlement_lines")
    service_month = models.DateField("服务月份")
    kind = models.CharField("类别", max_length=16, choices=LineKind.choices)
    payee = models.CharField("支付对象", max_length=16, choices=PayeeKind.choices)
    mode = models.CharField("护理方式", max_length=24)
    grade = models.CharField("等级", max_length=16)
    part_from = models.DateField("起")
    part_to = models.DateField("止")
    eligible_days = models.SmallIntegerField("享受待遇天数")
    units = models.JSONField("服务量", default=dict)  # bed_days, visits, family_days, suspended_days
    cost = models.DecimalField("费用合计（元）", max_digits=12, decimal_places=2)  # = fund + personal
    fund = models.DecimalField("基金支付（元）", max_digits=12, decimal_places=2)
    personal = models.DecimalField("个人负担（元）", max_digits=12, decimal_places=2)
    explanation = models.JSONField("计算说明", default=list)  # [{what, clause, fund, personal}]
    policy_version = models.CharField("政策版本", max_length=32)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.CharField("说明", max_length=200, blank=True)
    approval = models.ForeignKey("Approval", on_delete=models.PROTECT, null=True, blank=True, related_name="lines")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "结算明细"
        verbose_name_plural = "结算明细"
        ordering = ["claim_id", "person_id", "service_month", "part_from", "id"]
        # A claim's lines, unreviewed first; with the amounts, a list's totals read the index alone (0027).
        indexes = [models.Index(fields=["person", "service_month"]),
                   models.Index(fields=["claim", "approval", "fund", "personal"], name="line_claim_totals")]
        constraints = [
            models.CheckConstraint(condition=models.Q(part_from__lte=models.F("part_to")), name="line_part_in_order"),
            # Every line adds up: what the fund pays and what the person pays make the line's total
            # (within half a fen, since SQLite compares decimals as floats).
            models.CheckConstraint(condition=models.Q(cost__gt=models.F("fund") + models.F("personal") - HALF_FEN,
                                                      cost__lt=models.F("fund") + models.F("personal") + HALF_FEN),
                                   name="line_fund_plus_personal_is_total"),
        ]

    class Scope:
        region = "claim__region"
        institution = "claim__institution"
        person = "person"


class Hold(AuditedModel, models.Model):
    """A line supervision keeps out of approval until it is released."""

    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="holds")
    reason = models.CharField("暂缓原因", max_length=200)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(auto_now_add=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "暂缓支付"
        verbose_name_plural = "暂缓支付"
        constraints = [models.UniqueConstraint(fields=["line"], condition=models.Q(released_at__isnull=True),
                                               name="hold_one_open_per_line")]

    class Scope:
        region = "line__claim__region"
        institution = "line__claim__institution"


class Dispute(AuditedModel, models.Model):
    """An institution's objection to a line of its claim; the line waits while it is open."""

    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="disputes")
    reason = models.CharField("异议理由", max_length=500)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)
    answer = models.CharField("处理意见", max_length=500, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "结算异议"
        verbose_name_plural = "结算异议"
        constraints = [models.UniqueConstraint(fields=["line"], condition=models.Q(answered_at__isnull=True),
                                               name="dispute_one_open_per_line")]

    class Scope:
        region = "line__claim__region"
        institution = "line__claim__institution"


class ApprovalStatus(models.TextChoices):
    REVIEWED = "reviewed", "已初审"
    APPROVED = "approved", "已复核"
    RETURNED = "returned", "已退回"
    PAID = "paid", "已拨付"


class Approval(models.Model):
    """The lines of a claim one reviewer checked (初审) and another approved (复核)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="approvals")
    status = models.CharField("状态", max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.REVIEWED)
    fund = models.DecimalField("基金支付合计（元）", max_digits=14, decimal_places=2)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField("意见", max_length=200, blank=True)
    batch = models.ForeignKey("PaymentBatch", on_delete=models.PROTECT, null=True, blank=True, related_name="approvals")

    class Meta:
        verbose_name = "结算审核"
        verbose_name_plural = "结算审核"
        ordering = ["-id"]

    class Scope:
        region = "claim__region"
        institution = "claim__institution"


class PaymentBatch(models.Model):
    """拨付: the approved, unpaid amounts of a region, by payee, with the bank file."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    number = models.CharField("批次号", max_length=40, unique=True)
    paid_on = models.DateField("拨付日期")
    total = models.DecimalField("合计（元）", max_digits=14, decimal_places=2)
    payees = models.PositiveIntegerField("收款方数")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # When its bank file was first taken: from then on the money may have left, and only a bank
    # return undoes a transfer; before, the whole batch can be cancelled.
    bank_file_at = models.DateTimeField("银行文件下载时间", null=True, blank=True)

    class Meta:
        verbose_name = "支付批次"
        verbose_name_plural = "支付批次"
        ordering = ["-id"]

    class Scope:
        region = "region"


class Payment(models.Model):
    """One payee's transfer in a batch: a row of the bank file."""

    batch = models.ForeignKey(PaymentBatch, on_delete=models.PROTECT, related_name="payments")
    payee_kind = models.CharField(max_length=16, choices=PayeeKind.choices)
    institution = models.ForeignKey("providers.Institution", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    account_name = models.CharField("户名", max_length=100)
    bank = models.CharField("开户行", max_length=100)
    account_number = models.CharField("账号", max_length=34)
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2)
    reference = models.CharField("附言", max_length=60)

    class Meta:
        verbose_name = "支付明细"
        verbose_name_plural = "支付明细"
        ordering = ["batch_id", "id"]

    class Scope:
        region = "batch__region"
        institution = "institution"
        person = "person"


class BatchCancellation(models.Model):
    """撤销支付批次: a batch made in error, cancelled before its bank file was taken. A reversing journal
    puts the amounts back as owed (the batch's own journal stays), and what it paid is approved and
    unpaid again, for the next batch. The batch and its transfers stay on record, marked cancelled."""

    batch = models.OneToOneField(PaymentBatch, on_delete=models.PROTECT, related_name="cancelled",
                                 verbose_name="支付批次")
    reason = models.CharField("撤销原因", max_length=200)
    approvals = models.JSONField("恢复待拨付的审核记录", default=list)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name="撤销人")
    cancelled_at = models.DateTimeField("撤销时间", auto_now_add=True)

    class Meta:
        verbose_name = "支付批次撤销"
        verbose_name_plural = "支付批次撤销"

    class Scope:
        region = "batch__region"

    def __str__(self):
        return f"{self.batch.number} 撤销"


class PaymentReturn(models.Model):
    """银行退回: a transfer of a batch that the bank sent back (a closed or wrong account). The money is
    back in the fund's bank account and the payee is owed it again, by a new journal; the batch and
    its bank file stay as they were. Once per payment."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="returned", verbose_name="支付明细")
    returned_on = models.DateField("退回日期")
    reason = models.CharField("退回原因", max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "银行退回"
        verbose_name_plural = "银行退回"

    class Scope:
        region = "payment__batch__region"
        institution = "payment__institution"
        person = "payment__person"

    def __str__(self):
        return f"{self.payment.batch.number} 银行退回"


class PayeeAccount(AuditedModel, models.Model):
    """The approved bank account a payee is paid to (an institution's settlement account, an insured
    person's benefit account). Written only when a second person approves the request that asked
    for it (`request`; ltci.dualcontrol); rows from before dual control have none and count as
    approved (docs/decisions/0013). The number is masked in the audit trail and on every page."""

    audit_masked_fields = ("account_number",)

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    institution = models.OneToOneField("providers.Institution", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="payee_account")
    person = models.OneToOneField("enrolment.Person", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="payee_account")
    account_name = models.CharField("户名", max_length=100)
    bank = models.CharField("开户行", max_length=100)
    account_number = models.CharField("账号", max_length=34)
    request = models.ForeignKey("dualcontrol.Request", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name="双人复核事项")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "收款账户"
        verbose_name_plural = "收款账户"
        constraints = [models.CheckConstraint(
            condition=models.Q(institution__isnull=True) ^ models.Q(person__isnull=True), name="payee_account_one_owner")]

    class Scope:
        region = "region"
        institution = "institution"
        person = "person"


def mask_account(number: str) -> str:
    """`6222 **** **** 1234`: the account everywhere but the bank file."""
    digits = number.replace(" ", "")
    return f"{digits[:4]} **** **** {digits[-4:]}" if len(digits) > 8 else "****"
