"""The database's regions follow the region files; every regional record carries its region."""

from ltci.audit.models import AuditEvent
from ltci.policy.regions import load_regions
from ltci.regions.models import PolicyVersion, Region
from ltci.regions.services import sync_regions


def test_migrate_loads_the_five_regions_and_their_versions(db):
    assert set(Region.objects.values_list("code", flat=True)) == set(load_regions())
    xuzhou = Region.objects.get(pk="xuzhou")
    assert xuzhou.get_pooling_level_display() == "市级统筹"
    assert PolicyVersion.objects.get(code="nanning-2024").document == "南府规〔2023〕26号"


def test_sync_is_idempotent_and_repairs_edits(db):
    assert sync_regions() == {"created": 0, "updated": 0}
    Region.objects.filter(pk="jiaxing").update(name="改错的名字")
    before = AuditEvent.objects.count()
    assert sync_regions() == {"created": 0, "updated": 1}
    assert Region.objects.get(pk="jiaxing").name == "嘉兴市"
    assert AuditEvent.objects.count() == before + 1


def test_every_regional_model_carries_its_region():
    from django.apps import apps

    # Every model with a data scope reaches its region, directly or through the row it belongs to
    # (an agreement through its institution); the path is what scope and audit follow.
    checked = 0
    for model in apps.get_models():
        scope = getattr(model, "Scope", None)
        if scope is None or not getattr(scope, "region", None) or scope.region == "pk":
            continue
        target = model
        for part in scope.region.split("__"):
            target = target._meta.get_field(part).related_model
        assert target is Region, model
        checked += 1
    assert checked >= 30
