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
    suspended_from = models.DateField("暂停接收新参保人自", null=True, blank=True)
    suspended_until = models.DateField("暂停接收新参保人至", null=True, blank=True)
    latitude = models.DecimalField("纬度（WGS-84）", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度（WGS-84）", max_digits=9, decimal_places=6, null=True, blank=True)
    filed_beds = models.PositiveIntegerField("备案床位数", default=0, help_text="机构护理的备案床位；居家护理机构为0。")

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


class CarerKind(models.TextChoices):
    CERTIFIED = "certified", "机构护理员"
    FAMILY = "family", "亲情照护人员"


class Carer(AuditedModel, models.Model):
    """A carer: a certified worker of an institution (who logs in on a phone), or a family carer
    registered to one beneficiary."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="carers")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="carers", verbose_name="所属机构")
    kind = models.CharField("类别", max_length=16, choices=CarerKind.choices)
    user = models.OneToOneField("accounts.User", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="carer", verbose_name="登录账号")
    name = models.CharField("姓名", max_length=64)
    id_number = models.CharField("身份证号码", max_length=18)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    certificate_number = models.CharField("职业资格证书编号", max_length=64, blank=True)
    level = models.CharField("等级", max_length=32, blank=True)
    certificate_expiry = models.DateField("证书有效期至", null=True, blank=True)
    trained = models.BooleanField("已参加照护培训", default=False)
    beneficiary = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="family_carers", verbose_name="照护对象（亲情照护）")
    active = models.BooleanField("在岗", default=True)

    audit_masked_fields = ("id_number",)

    class Meta:
        verbose_name = "护理员"
        verbose_name_plural = "护理员"
        ordering = ["region", "institution", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "id_number", "kind"], name="carer_unique_person")]

    class Scope:
        region = "region"
        institution = "institution"

    def __str__(self):
        return f"{self.name}（{self.get_kind_display()}）"

    @property
    def masked_id(self) -> str:
        from ltci.audit.masking import mask_id

        return mask_id(self.id_number)


class CarerSuspension(models.Model):
    """A period in which a carer's care is not settled (a sanction, e.g. Changning 二(二)2)."""

    carer = models.ForeignKey(Carer, on_delete=models.PROTECT, related_name="suspensions")
    start = models.DateField("开始日期")
    end = models.DateField("结束日期")
    reason = models.CharField("原因", max_length=200)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "护理员暂停结算"
        verbose_name_plural = "护理员暂停结算"
        ordering = ["-start"]

    class Scope:
        region = "carer__region"
        institution = "carer__institution"


class ItemCategory(models.TextChoices):
    LIVING_CARE = "living_care", "生活照料"
    MEDICAL_CARE = "medical_care", "医疗护理"


class Qualification(models.TextChoices):
    CARER = "carer", "护理员"
    NURSE = "nurse", "护士"


class CatalogueItem(AuditedModel, models.Model):
    """A service item of a region's catalogue (护理服务项目), loaded from the catalogue's data file;
    prices and minutes may be set by the agency where the file has none."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="catalogue_items")
    catalogue = models.CharField("目录", max_length=32)
    code = models.CharField("项目编码", max_length=16)
    name = models.CharField("项目名称", max_length=64)
    category = models.CharField("类别", max_length=16, choices=ItemCategory.choices)
    unit_price = models.DecimalField("单价（元）", max_digits=8, decimal_places=2, null=True, blank=True)
    standard_minutes = models.PositiveSmallIntegerField("标准时长（分钟）", null=True, blank=True)
    qualification = models.CharField("资质要求", max_length=16, choices=Qualification.choices)
    national_code = models.CharField("国家目录编码", max_length=16, blank=True)
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "服务项目"
        verbose_name_plural = "服务项目目录"
        ordering = ["region", "catalogue", "code"]
        constraints = [models.UniqueConstraint(fields=["region", "catalogue", "code"], name="catalogue_item_unique")]

    class Scope:
        region = "region"
        reference = True

    def __str__(self):
        return f"{self.code} {self.name}"


class DesignationStatus(models.TextChoices):
    SUBMITTED = "submitted", "待审核"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "不予批准"


class Designation(AuditedModel, models.Model):
    """An application to become a designated institution (定点申请): who it is, what it offers, its
    licence and liability insurance; the agency approves (making the institution and its agreement)
    or rejects it with the reason."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="designations")
    name = models.CharField("机构名称", max_length=200)
    credit_code = models.CharField("统一社会信用代码", max_length=18)
    kind = models.CharField("机构类型", max_length=16, choices=InstitutionKind.choices)
    district = models.CharField("所在区县/街道", max_length=64)
    address = models.CharField("地址", max_length=200)
    latitude = models.DecimalField("纬度（WGS-84）", max_digits=9, decimal_places=6)
    longitude = models.DecimalField("经度（WGS-84）", max_digits=9, decimal_places=6)
    filed_beds = models.PositiveIntegerField("备案床位数", default=0)
    staff = models.PositiveIntegerField("护理人员数")
    licence_number = models.CharField("执业/备案许可证号", max_length=64)
    licence_expiry = models.DateField("许可证有效期至")
    liability_insurer = models.CharField("责任保险承保公司", max_length=100)
    liability_policy = models.CharField("责任保险保单号", max_length=64)
    liability_expiry = models.DateField("责任保险有效期至")
    status = models.CharField("状态", max_length=16, choices=DesignationStatus.choices,
                              default=DesignationStatus.SUBMITTED)
    decision_note = models.CharField("审核意见", max_length=300, blank=True)
    institution = models.OneToOneField(Institution, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="designation")
    submitted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "定点申请"
        verbose_name_plural = "定点申请"
        ordering = ["-submitted_at"]

    class Scope:
        region = "region"
        institution = "institution"


class Agreement(AuditedModel, models.Model):
    """The service agreement (服务协议) with an institution: its term, the modes it may serve, the
    prices agreed for catalogue items, and the penalties for breaches."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="agreements")
    number = models.CharField("协议编号", max_length=32, unique=True)
    start = models.DateField("起始日期")
    end = models.DateField("终止日期")
    modes = models.JSONField("服务范围（护理方式）", default=list)

    @property
    def mode_names(self) -> list[str]:
        """The modes by their Chinese names, as pages show them."""
        from ltci.care.models import Mode

        names = dict(Mode.choices)
        return [names.get(m, "其他护理方式") for m in self.modes]
    penalties = models.TextField("违约责任", blank=True)
    signed_on = models.DateField("签订日期")
    terminated_on = models.DateField("提前终止日期", null=True, blank=True)
    # What the institution charges for a bed-day of care: the eligible cost of institutional care
    # where the fund pays a share of cost (Jiaxing, Nanzheng, Changning), set once like item prices.
    bed_day_price = models.DecimalField("床日费用标准（元）", max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = "服务协议"
        verbose_name_plural = "服务协议"
        ordering = ["-start"]

    class Scope:
        region = "institution__region"
        institution = "institution"


class AgreedPrice(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="prices")
    item = models.ForeignKey(CatalogueItem, on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField("协议价（元）", max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = "协议价格"
        verbose_name_plural = "协议价格"
        constraints = [models.UniqueConstraint(fields=["agreement", "item"], name="agreed_price_once")]


class PublicityFiling(models.Model):
    """Publicity material an institution files before use (宣传备案, Changning 二(一)4)."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="publicity_filings")
    title = models.CharField("材料名称", max_length=200)
    channel = models.CharField("发布渠道", max_length=100)
    content = models.TextField("材料内容")
    filed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "公示备案"
        verbose_name_plural = "公示备案"
        ordering = ["-filed_at"]

    class Scope:
        region = "institution__region"
        institution = "institution"


class Inspection(models.Model):
    """An inspection's score (0–100) and findings, one of the two inputs of the star rating."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="inspections")
    on = models.DateField("检查日期")
    score = models.PositiveSmallIntegerField("得分")
    findings = models.TextField("发现问题", blank=True)
    inspector = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "检查记录"
        verbose_name_plural = "检查记录"
        ordering = ["-on"]

    class Scope:
        region = "institution__region"
        institution = "institution"


class InstitutionReview(models.Model):
    """A beneficiary's rating of an institution (1–5), the other input of the star rating."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="reviews")
    person = models.ForeignKey("enrolment.Person", on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField("评分")
    comment = models.CharField("评价", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "机构评价"
        verbose_name_plural = "机构评价"
        ordering = ["-created_at"]

    class Scope:
        region = "institution__region"
        institution = "institution"
        person = "person"


class CarerTraining(models.Model):
    """A training a carer attended: the course, the date and the hours (the record a family carer's
    trained status and a certified carer's renewal rest on)."""

    carer = models.ForeignKey(Carer, on_delete=models.PROTECT, related_name="trainings")
    course = models.CharField("培训课程", max_length=100)
    on = models.DateField("培训日期")
    hours = models.DecimalField("学时", max_digits=5, decimal_places=1)
    provider = models.CharField("培训机构", max_length=100)
    entered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "护理员培训"
        verbose_name_plural = "护理员培训"
        ordering = ["-on"]

    class Scope:
        region = "carer__region"
        institution = "carer__institution"


class Termination(models.Model):
    """An institution's agreements ended early (终止服务协议), kept as entered, with what it changed so
    that a termination entered in error can be withdrawn (`TerminationWithdrawal`) and the record of
    both stays."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="terminations",
                                    verbose_name="定点机构")
    on = models.DateField("终止日期")
    reason = models.CharField("终止理由", max_length=200)
    case_number = models.CharField("稽核案件编号", max_length=40, blank=True)  # when a case's sanction ended it
    previous_status = models.CharField("终止前状态", max_length=16, choices=InstitutionStatus.choices)
    previous_suspended_from = models.DateField("终止前暂停接收新参保人自", null=True, blank=True)
    previous_suspended_until = models.DateField("终止前暂停接收新参保人至", null=True, blank=True)
    agreements = models.JSONField("终止的协议", default=list)  # agreement ids whose terminated_on it set
    entered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name="登记人")
    entered_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "终止服务协议记录"
        verbose_name_plural = "终止服务协议记录"
        ordering = ["-entered_at", "-id"]

    class Scope:
        region = "institution__region"
        institution = "institution"


class TerminationWithdrawal(models.Model):
    """A termination withdrawn as entered in error: the agreements and the institution's state are as
    before it; the termination itself stays on record. Once per termination."""

    termination = models.OneToOneField(Termination, on_delete=models.PROTECT, related_name="withdrawal",
                                       verbose_name="被撤回的终止")
    reason = models.CharField("撤回理由", max_length=200)
    withdrawn_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name="撤回人")
    withdrawn_at = models.DateTimeField("撤回时间", auto_now_add=True)

    class Meta:
        verbose_name = "撤回终止服务协议"
        verbose_name_plural = "撤回终止服务协议"

    class Scope:
        region = "termination__institution__region"
        institution = "termination__institution"
