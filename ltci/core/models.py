"""Long work (imports, billing runs): its progress for the page that polls it, and its row report."""

from django.conf import settings
from django.db import models


class JobKind(models.TextChoices):
    ROSTER_IMPORT = "roster_import", "参保名单导入"
    PAYMENT_IMPORT = "payment_import", "缴费记录导入"
    BILLING = "billing", "缴费核定"
    SETTLEMENT = "settlement", "月度结算"
    SCREENING = "screening", "疑点筛查"
    PROJECTION = "projection", "基金测算"
    TRIAL = "trial", "政策草案试算"


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


class JobProgress(models.Model):
    """How far a running job has got, written by the worker running it and read by any process.

    Its own table, keyed by the job's id without a foreign key: the worker writes it on a connection of
    its own while the job's work may hold its transaction open, and must not wait on the job's row."""

    job_id = models.BigIntegerField(primary_key=True)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "任务进度"
        verbose_name_plural = "任务进度"


class WorkerBeat(models.Model):
    """A worker process says it is alive (every few seconds) and what it runs: the health page shows
    the age of the last beat, and a job whose worker on another host fell silent is recovered."""

    worker = models.CharField("处理进程", max_length=120, primary_key=True)  # host:pid:start, as Job.owner
    started_at = models.DateTimeField("启动时间")
    seen_at = models.DateTimeField("最近心跳")
    job_id = models.BigIntegerField("正在处理的任务", null=True, blank=True)

    class Meta:
        verbose_name = "后台处理进程"
        verbose_name_plural = "后台处理进程"
        ordering = ["-seen_at"]


class ScheduledRun(models.Model):
    """One entry of the platform's schedule (its definition is code, `ltci.core.schedule`): when it is
    next due, and how its last run went. A due time is claimed by one process (a conditional update of
    `next_due`), so each runs once however many workers and servers run."""

    code = models.CharField("代码", max_length=40, primary_key=True)
    enabled = models.BooleanField("启用", default=True)
    next_due = models.DateTimeField("下次执行")
    last_due = models.DateTimeField("上次应执行时间", null=True, blank=True)
    last_started_at = models.DateTimeField("上次开始", null=True, blank=True)
    last_finished_at = models.DateTimeField("上次结束", null=True, blank=True)
    last_ok = models.BooleanField("上次成功", null=True)
    last_outcome = models.CharField("上次结果", max_length=300, blank=True)
    runs = models.PositiveIntegerField("执行次数", default=0)

    class Meta:
        verbose_name = "定时任务"
        verbose_name_plural = "定时任务"
        ordering = ["code"]


class Notice(models.Model):
    """A reminder on the home page of the region's staff who hold `permission` (e.g. 上月待遇尚未结算),
    put there by a scheduled run and resolved when the work it asks for is done."""

    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+", verbose_name="统筹地区")
    key = models.CharField("标识", max_length=60)  # one notice per subject: settle:2026-11
    permission = models.CharField("适用权限", max_length=40)
    text = models.CharField("内容", max_length=200)
    link = models.CharField("链接", max_length=200, blank=True)
    created_at = models.DateTimeField("提醒时间", auto_now_add=True)
    resolved_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        verbose_name = "待办提醒"
        verbose_name_plural = "待办提醒"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["region", "key"], name="notice_once_per_subject")]

    class Scope:
        region = "region"

    def __str__(self):
        return self.text
