from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RegionsConfig(AppConfig):
    name = "ltci.regions"
    label = "regions"
    verbose_name = "统筹地区"

    def ready(self):
        post_migrate.connect(_sync_after_migrate, sender=self)


def _sync_after_migrate(sender, using, **kwargs):
    from .services import sync_regions

    sync_regions(using=using)
