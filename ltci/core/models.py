"""Long work (imports, billing runs): its progress for the page that polls it, and its row report."""

from django.conf import settings
from django.db import models


class JobKind(models.TextChoices):
    ROSTER_IMPORT = "roster_import", "参保名单导入"
    PAYMENT_IMPORT = "payment_import", "缴费记录导入"
    BILLING = "billing", "缴费核定"
    SETTLEMENT = "settlement", "月度结算"
    SCREENING = "screening", "疑点筛查"


class JobStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"
    REJECTED = "rejected", "未导入（有错误行）"
    DRY_RUN = "dry_run", "试导入（未保存）"
    FAILED = "failed", "失败"


class Job(models.Model):
    kind = models.CharField("类型", max_length=24, choices=JobKind.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    status = models.CharField("状态", max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    title = models.CharField("说明", max_length=200)  # file name, billing period
    params = models.JSONField("参数", default=dict)  # mode, dry_run, period, file hash
    done = models.PositiveBigIntegerField("已处理", default=0)
    total = models.PositiveBigIntegerField("总数", null=True, blank=True)
    counts = models.JSONField("结果统计", default=dict)
    message = models.TextField("信息", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="操作人")
    created_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    # The process running the job (host:pid:start), so that a later start can tell it died.
    owner = models.CharField("处理进程", max_length=120, blank=True)

    class Meta:
        verbose_name = "批处理任务"
        verbose_name_plural = "批处理任务"
        ordering = ["-id"]

    class Scope:
        region = "region"

    def __str__(self):
        return f"{self.get_kind_display()} {self.title}"

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.finished_at else 0
        return min(100, int(self.done * 100 / self.total))


class IssueKind(models.TextChoices):
    REJECTED = "rejected", "拒绝"
    UPDATED = "updated", "更新"
    MISSING = "missing", "名单中未出现"
    WARNING = "warning", "提示"


REPORT_ORDER = models.Case(*[models.When(kind=k, then=models.Value(i)) for i, k in enumerate(IssueKind.values)],
                           output_field=models.IntegerField())  # rejected rows first, then updates, then missing


class JobIssue(models.Model):
    """One line of a job's report: a rejected row, an update made, a person missing from a roster."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="issues", verbose_name="任务")
    kind = models.CharField("类别", max_length=16, choices=IssueKind.choices)
    row = models.PositiveBigIntegerField("行号", null=True, blank=True)
    column = models.CharField("列", max_length=32, blank=True)
    reason = models.CharField("原因/内容", max_length=300)
    person = models.ForeignKey("enrolment.Person", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name="参保人")

    class Meta:
        verbose_name = "任务报告行"
        verbose_name_plural = "任务报告行"
        ordering = ["job_id", "row", "id"]
        indexes = [models.Index(fields=["job", "kind"])]

    class Scope:
        region = "job__region"
