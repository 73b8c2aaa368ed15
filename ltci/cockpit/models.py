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
