"""The population figures the cockpit's rates divide by, which no policy document gives: the
registered residents (户籍人口) and the elderly aged 60 and over of a region in a year, as the bureau
enters them from the statistics office's yearbook.

Append-only: a correction is a new entry for the same year, and the latest entry counts, so what
the cockpit showed on a day stays explainable from the trail.
"""

from django.conf import settings
from django.db import models

from ltci.audit.signals import AuditedModel


class Population(AuditedModel, models.Model):
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="统筹地区")
    year = models.PositiveSmallIntegerField("年度")
    residents = models.PositiveIntegerField("户籍人口数")
    elderly_60 = models.PositiveIntegerField("60周岁及以上老年人口数")
    source = models.CharField("数据来源", max_length=200)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="登记人")
    entered_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "人口数据"
        verbose_name_plural = "人口数据"
        ordering = ["region_id", "-year", "-id"]
        indexes = [models.Index(fields=["region", "year"])]

    class Scope:
        region = "region"
        reference = True

    def __str__(self):
        return f"{self.region.name} {self.year}年 户籍人口{self.residents}人"


class Snapshot(models.Model):
    """The cockpit's figures of a selection and a period, as computed at `computed_at`: the nightly
    schedule recomputes the periods people look at (docs/decisions/0027), so that the page answers
    from here instead of counting a city's millions of rows while the bureau waits. Not audited:
    figures derived from audited records, recomputed at will."""

    code = models.CharField("地区", max_length=32)  # the selection's code: a region, or ALL
    start = models.DateField("起始月份")
    end = models.DateField("截止月份")
    figures = models.JSONField("指标")
    computed_at = models.DateTimeField("计算时间")
    seconds = models.FloatField("计算用时（秒）", default=0)
    asked_at = models.DateTimeField("最近查看", null=True, blank=True)

    class Meta:
        verbose_name = "驾驶舱指标快照"
        verbose_name_plural = "驾驶舱指标快照"
        constraints = [models.UniqueConstraint(fields=["code", "start", "end"], name="cockpit_snapshot_unique")]

    def __str__(self):
        return f"{self.code} {self.start:%Y-%m}–{self.end:%Y-%m} @ {self.computed_at:%Y-%m-%d %H:%M}"
