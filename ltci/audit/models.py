"""The audit trail: one append-only row per audited action."""

import functools
from contextlib import nullcontext

from django.conf import settings
from django.db import connections, models, router, transaction
from django.utils import timezone

from . import chain


class Action(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    LOGIN = "login", "登录"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOGOUT = "logout", "退出"
    EXPORT = "export", "导出"
    VIEW_ID = "view_id", "查看身份证号"
    VIEW_HEALTH = "view_health", "查看健康信息"
    VIEW_ACCOUNT = "view_account", "查看完整银行账号"
    DENIED = "denied", "越权访问"
    IMPORT = "import", "批量导入"
    TRANSITION = "transition", "流程办理"
    BATCH = "batch", "批量处理"


class Outcome(models.TextChoices):
    SUCCESS = "success", "成功"
    FAILURE = "failure", "失败"
    DENIED = "denied", "拒绝"


class Channel(models.TextChoices):
    WEB = "web", "网页"
    API = "api", "接口"
    ADMIN = "admin", "管理后台"
    CLI = "cli", "命令行"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditTrailIsAppendOnly("the audit trail cannot be edited")

    def delete(self):
        raise AuditTrailIsAppendOnly("the audit trail cannot be deleted")

    _raw_delete = delete

    def bulk_update(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("the audit trail cannot be edited")

    def bulk_create(self, objs, *args, **kwargs):
        """Bulk inserts are linked into the chain like single ones (chain.py)."""
        objs = list(objs)
        if any(obj.pk is not None for obj in objs):
            raise AuditTrailIsAppendOnly("the audit trail cannot be edited")
        if not objs:
            return objs
        using = self.db
        with _linking(using):
            created = super().bulk_create(objs, *args, **kwargs)
            _link(created, using)
        return created


class AuditTrailIsAppendOnly(Exception):
    pass


@functools.cache
def _labels(field: str) -> dict[str, str]:
    """The Chinese label of each value of an event's field that has choices."""
    if field == "actor_role":
        from ltci.accounts.roles import Role

        return dict(Role.choices)
    return dict({"action": Action, "outcome": Outcome, "channel": Channel}[field].choices)


class AuditEvent(models.Model):
    """Who did what to which object, when, from where, and how it ended.

    Rows are only ever inserted: the model refuses save() of an existing row and delete(); the
    database refuses UPDATE, DELETE and TRUNCATE from any client (triggers.py). Each event gets a
    link in a hash chain (`AuditLink`, chain.py) that makes an edit, a gap or a cut tail detectable
    (`ltci audit verify`): on SQLite as it is inserted, on PostgreSQL once its transaction commits.
    """

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name="操作人",
    )
    actor_name = models.CharField("操作人账号", max_length=150)
    actor_role = models.CharField("角色", max_length=32, blank=True)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="统筹地区",
    )
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    channel = models.CharField("渠道", max_length=8, choices=Channel.choices)
    path = models.CharField("请求路径", max_length=255, blank=True)
    action = models.CharField("操作", max_length=16, choices=Action.choices, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, blank=True, db_index=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True, db_index=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    outcome = models.CharField("结果", max_length=8, choices=Outcome.choices, default=Outcome.SUCCESS)
    detail = models.JSONField("详情", default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["region", "-at"]),
                   # The search by account (docs/decisions/0027): its events, newest first, without a sort.
                   models.Index(fields=["region", "actor_name", "-at", "-id"], name="audit_event_actor_at")]
        default_permissions = ("view",)
        base_manager_name = "objects"  # Django's internal queries refuse edits too

    class Scope:
        region = "region"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None or kwargs.get("force_update"):
            raise AuditTrailIsAppendOnly("the audit trail cannot be edited")
        kwargs["force_insert"] = True
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with _linking(using):
            super().save(*args, **kwargs)
            _link([self], using)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("the audit trail cannot be deleted")

    # The labels a page of events shows, from dicts made once: Django's get_FOO_display rebuilds its
    # choices dict on every call (150 calls a page).
    def _label(self, field: str) -> str:
        value = getattr(self, field)
        return _labels(field).get(value, value)

    actor_role_label = property(lambda self: self._label("actor_role"))
    action_label = property(lambda self: self._label("action"))
    outcome_label = property(lambda self: self._label("outcome"))
    channel_label = property(lambda self: self._label("channel"))

    @property
    def object_type_label(self) -> str:
        """The Chinese name of the object's model (e.g. 参保人 for enrolment.person)."""
        from django.apps import apps

        try:
            return str(apps.get_model(self.object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            return self.object_type

    @property
    def at_iso(self) -> str:
        """The time in the platform's zone with its offset, e.g. 2026-11-24T14:23:00+08:00."""
        return timezone.localtime(self.at).isoformat(timespec="seconds")


def _linking(using: str):
    """SQLite: the insert and its link in one transaction (no savepoint: a failed insert or link fails
    the caller's transaction, as a failed insert did before the chain). PostgreSQL links after the
    commit: the insert stays one statement, in the caller's transaction or its own."""
    if chain.links_at_insert(connections[using]):
        return transaction.atomic(using=using, savepoint=False)
    return nullcontext()


def _link(events, using: str) -> None:
    if chain.links_at_insert(connections[using]):
        chain.link(events, using)
    else:
        chain.after_commit(events, using)


class AuditLink(models.Model):
    """An event's place in the hash chain: `hash` covers the previous link's hash, the place, the
    event and the digest of its content (chain.py). Only ever inserted, like the events."""

    seq = models.BigIntegerField("链序号", primary_key=True)
    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="link", verbose_name="审计记录")
    hash = models.CharField("链哈希", max_length=64)

    class Meta:
        db_table = "audit_link"
        verbose_name = "审计日志链接"
        verbose_name_plural = "审计日志链接"
        default_permissions = ()


class AuditChainHead(models.Model):
    """The chain's last place, moved by every link and never back (triggers.py): a tail cut from the
    trail leaves the chain shorter than its head. On PostgreSQL its row is also the lock sealers
    take in turn. One row, id 1."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField("链尾序号", default=0)
    hash = models.CharField("链尾哈希", max_length=64, default=chain.GENESIS)

    class Meta:
        db_table = "audit_chainhead"
        verbose_name = "审计日志链头"
        verbose_name_plural = "审计日志链头"
        default_permissions = ()
