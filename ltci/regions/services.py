"""Keeping the database's regions equal to the policy engine's region files."""

from django.db import transaction

from ltci.policy.regions import load_regions

from .models import PolicyVersion, Region


def sync_regions(using: str = "default") -> dict[str, int]:
    """Creates or updates every region and policy version from the files; returns counts.

    Idempotent: an unchanged file changes nothing (and so writes nothing to the audit trail).
    Versions are never deleted here: records may point at them.
    """
    counts = {"created": 0, "updated": 0}
    with transaction.atomic(using=using):
        for data in load_regions().values():
            fields = {"name": data.name, "province": data.province, "pooling_level": data.pooling_level}
            _upsert(Region.objects.using(using), {"code": data.code}, fields, counts)
            for v in data.versions:
                fields = {
                    "region_id": data.code, "title": v.title, "document": v.document,
                    "valid_from": v.valid_from, "valid_to": v.valid_to, "seed": v.seed,
                }
                _upsert(PolicyVersion.objects.using(using), {"code": v.code}, fields, counts)
    return counts


def _upsert(manager, key: dict, fields: dict, counts: dict) -> None:
    obj = manager.filter(**key).first()
    if obj is None:
        manager.create(**key, **fields)
        counts["created"] += 1
        return
    changed = [name for name, value in fields.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, fields[name])
        obj.save(update_fields=[n.removesuffix("_id") if n.endswith("_id") else n for n in changed])
        counts["updated"] += 1
