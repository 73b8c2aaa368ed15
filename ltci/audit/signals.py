"""Recorders connected to Django's signals: model changes of business data, logins and logouts."""

from django.contrib.auth import signals as auth_signals
from django.db.models import signals as model_signals
from django.dispatch import receiver

from .models import Action, Outcome
from .recorder import masked_value, record


class AuditedModel:
    """Mix into a model to have every create, update and delete of it recorded.

    `audit_masked_fields` names fields shown masked in the trail (ID numbers);
    `audit_ignored_fields` names fields whose changes are not business events (timestamps, hashes).
    """

    audit_masked_fields: tuple[str, ...] = ()
    audit_ignored_fields: tuple[str, ...] = ()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._audit_loaded = dict(zip(field_names, values))
        return instance

    def audit_snapshot(self) -> dict:
        return {
            f.attname: getattr(self, f.attname)
            for f in self._meta.concrete_fields
            if f.attname not in self.audit_ignored_fields
        }


def _changes(instance) -> dict:
    before = getattr(instance, "_audit_loaded", {})
    after = instance.audit_snapshot()
    model = type(instance)
    return {
        name: [masked_value(model, name, before.get(name)), masked_value(model, name, value)]
        for name, value in after.items()
        if name in before and before[name] != value
    }


@receiver(model_signals.post_save)
def _on_save(sender, instance, created, raw, **kwargs):
    if raw or not isinstance(instance, AuditedModel):
        return
    if created:
        fields = {k: masked_value(sender, k, v) for k, v in instance.audit_snapshot().items() if v not in (None, "")}
        record(Action.CREATE, instance, detail={"fields": fields})
    else:
        changes = _changes(instance)
        if not changes:
            return  # a save that changed nothing audited is no event
        record(Action.UPDATE, instance, detail={"changes": changes})
    # The saved state is the new baseline for the next save of this same instance.
    instance._audit_loaded = instance.audit_snapshot()


@receiver(model_signals.post_delete)
def _on_delete(sender, instance, **kwargs):
    if isinstance(instance, AuditedModel):
        record(Action.DELETE, instance)


@receiver(auth_signals.user_logged_in)
def _on_login(sender, request, user, **kwargs):
    record(Action.LOGIN, user, user=user, region=user.region_id)


@receiver(auth_signals.user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        record(Action.LOGOUT, user, user=user, region=user.region_id)


def _locked_out(request, credentials) -> bool:
    """Whether django-axes refused this attempt because the username is locked."""
    if request is None:
        return False
    from axes.handlers.proxy import AxesProxyHandler

    return not AxesProxyHandler.is_allowed(request, credentials)


@receiver(auth_signals.user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs):
    from django.contrib.auth import get_user_model

    username = str((credentials or {}).get("username", ""))[:150]
    known = get_user_model().objects.filter(username=username).first()
    record(
        Action.LOGIN_FAILED,
        object_type_="accounts.user",
        object_id=known.pk if known else "",
        object_repr=username,
        outcome=Outcome.FAILURE,
        region=known.region_id if known else None,
        actor_name=username or "未登录访客",
        detail={"reason": "locked" if _locked_out(request, credentials) else "wrong_credentials"},
    )
