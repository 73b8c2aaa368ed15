"""Demo institutions: a medical institution, two elderly-care homes and a home-care provider per region."""

from __future__ import annotations

from ltci.policy.regions import load_regions

from .models import Institution, InstitutionKind
from .uscc import _uscc

# (registration authority + entity type, kind, name pattern)
_KINDS = (
    ("12", InstitutionKind.MEDICAL, "{d}人民医院护理院"),
    ("52", InstitutionKind.ELDERLY_CARE, "{d}颐养护理中心"),
    ("52", InstitutionKind.ELDERLY_CARE, "{d}福寿养老院"),
    ("91", InstitutionKind.HOME_CARE, "{d}安康居家护理服务有限公司"),
)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_code(rng) -> str:
    """A 9-character organisation code (GB 11714) with its check character."""
    body = "".join(str(rng.randint(0, 9)) for _ in range(8))
    rest = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS)) % 11
    return body + {10: "X", 11: "0"}.get(rest, str(rest))


def credit_code(prefix: str, area: str, rng) -> str:
    first17 = f"{prefix}{area}{_org_code(rng)}"
    return first17 + _uscc.calc_check_digit(first17)


def build(options, rng) -> dict[str, int]:
    region = load_regions()[options.region]
    created = 0
    for i, (prefix, kind, pattern) in enumerate(_KINDS):
        district = region.districts[i % len(region.districts)]
        code = credit_code(prefix, district.code, rng)
        name = pattern.format(d=district.name.removesuffix("街道"))
        _, new = Institution.objects.get_or_create(
            credit_code=code,
            defaults={"region_id": region.code, "name": name, "kind": kind, "district": district.name,
                      "address": f"{district.name}{rng.choice(('人民路', '建设路', '和平路', '中山路'))}{rng.randint(1, 399)}号"},
        )
        created += new
    return {"institutions": created}
