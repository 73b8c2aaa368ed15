"""The regions the platform runs, copied from the policy engine's region files (ltci/policy/params)."""

from django.db import models
from django.utils import timezone

from ltci.audit.signals import AuditedModel


class PoolingLevel(models.TextChoices):
    CITY = "city", "市级统筹"
    DISTRICT = "district", "区级统筹"
    MUNICIPAL = "municipal", "直辖市统筹"


class Region(AuditedModel, models.Model):
    code = models.CharField("代码", max_length=32, primary_key=True)
    name = models.CharField("名称", max_length=64)
    province = models.CharField("省份", max_length=32)
    pooling_level = models.CharField("统筹层次", max_length=16, choices=PoolingLevel.choices)

    class Meta:
        verbose_name = "统筹地区"
        verbose_name_plural = "统筹地区"
        ordering = ["code"]

    class Scope:
        region = "pk"
        reference = True  # visible to every user of the region, institution users included

    def __str__(self):
        return self.name

    def version_on(self, day=None):
        day = day or timezone.localdate()
        return (
            self.versions.filter(valid_from__lte=day)
            .filter(models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day))
            .first()
        )


class PolicyVersion(AuditedModel, models.Model):
    code = models.CharField("版本代码", max_length=64, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="versions", verbose_name="统筹地区")
    title = models.CharField("文件名称", max_length=200)
    document = models.CharField("文号", max_length=200)
    valid_from = models.DateField("施行日期")
    valid_to = models.DateField("截止日期", null=True, blank=True)
    seed = models.CharField("来源文件", max_length=64, blank=True)

    class Meta:
        verbose_name = "政策版本"
        verbose_name_plural = "政策版本"
        ordering = ["region", "valid_from"]

    class Scope:
        region = "region"
        reference = True

    def __str__(self):
        return f"{self.document}（{self.valid_from}起）"

    @property
    def period_label(self) -> str:
        end = f"{self.valid_to:%Y-%m-%d}" if self.valid_to else "长期"
        return f"{self.valid_from:%Y-%m-%d} 至 {end}"


class Continuation(AuditedModel, models.Model):
    """The document by which the bureau keeps a policy version in force after its end on paper
    (延续执行), until a newer version starts. Recorded by the region's bureau administrator; never
    edited: a wrong record is corrected by recording the right one, the latest is shown
    (docs/decisions/0021)."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="continuations",
                               verbose_name="统筹地区")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="continuations",
                                verbose_name="延续执行的政策版本")
    document_number = models.CharField("文号", max_length=64)
    title = models.CharField("文件名称", max_length=200)
    issued_on = models.DateField("发文日期")
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                                    verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "政策延续执行文件"
        verbose_name_plural = "政策延续执行文件"
        ordering = ["region", "-issued_on", "-recorded_at", "-id"]

    class Scope:
        region = "region"
        reference = True

    def __str__(self):
        return f"{self.document_number}《{self.title}》"

    @property
    def label(self) -> str:
        return f"{self.document_number}《{self.title}》（{self.issued_on:%Y-%m-%d}发文）"
