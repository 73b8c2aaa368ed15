from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ProvidersConfig(AppConfig):
    name = "ltci.providers"
    label = "providers"
    verbose_name = "定点机构"

    def ready(self):
        post_migrate.connect(_load_catalogues, sender=self)


def _load_catalogues(sender, using, **kwargs):
    """Every region's service catalogue in the database after a migration (regions sync first)."""
    from django.utils import timezone

    from ltci.regions.models import Region

    from .catalogue import load

    for code in Region.objects.using(using).values_list("code", flat=True):
        load(code, timezone.localdate())
