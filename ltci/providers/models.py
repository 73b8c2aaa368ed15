"""Designated institutions (定点机构): the part the platform's foundation needs for data scope.

The designation process, agreements, beds, carers and ratings build on this model (providers issue).
"""

from django.core.exceptions import ValidationError
from django.db import models

from ltci.audit.signals import AuditedModel

from .uscc import InvalidCreditCode, parse_credit_code


class InstitutionKind(models.TextChoices):
    MEDICAL = "medical", "医疗机构"
    ELDERLY_CARE = "elderly_care", "养老机构"
    HOME_CARE = "home_care", "居家护理服务机构"


class InstitutionStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    SUSPENDED = "suspended", "暂停接收新参保人"
    TERMINATED = "terminated", "已终止协议"


class Institution(AuditedModel, models.Model):
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="institutions",
                               verbose_name="统筹地区")
    name = models.CharField("机构名称", max_length=200)
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    kind = models.CharField("机构类型", max_length=16, choices=InstitutionKind.choices)
    district = models.CharField("所在区县/街道", max_length=64, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    status = models.CharField("状态", max_length=16, choices=InstitutionStatus.choices,
                              default=InstitutionStatus.ACTIVE)

    class Meta:
        verbose_name = "定点机构"
        verbose_name_plural = "定点机构"
        ordering = ["region", "name"]

    class Scope:
        region = "region"
        institution = "pk"

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        try:
            self.credit_code = parse_credit_code(self.credit_code).number
        except InvalidCreditCode as exc:
            raise ValidationError({"credit_code": str(exc)}) from exc
