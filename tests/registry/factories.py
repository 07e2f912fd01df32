"""Test data for registry tests: realistic footprint payloads and organisations."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from registry.crud.orgs import create_org
from registry.models.orgs import OrgRole

# A laptop assembled in Chongqing (GTIN with a valid GS1 check digit).
LAPTOP: dict[str, Any] = {
    "gtin": "06901234567892",
    "product_ids": ["urn:tanji:sku:BSN-LT14-2026"],
    "product_name": {"zh": "14英寸轻薄笔记本电脑", "en": "14-inch thin-and-light laptop"},
    "category": "laptop",
    "declared_unit": "unit",
    "declared_amount": 1,
    "kg_co2e_per_unit": 212.5,
    "fossil_kg_co2e": 210.0,
    "biogenic_kg_co2e": 2.5,
    # The boundary the laptop grade thresholds are for (registry/data/grade_thresholds.json).
    "system_boundary": "cradle-to-grave",
    "reference_period": {"start": "2025-01-01", "end": "2025-12-31"},
    "geography": {"country": "CN", "subdivision": "CN-CQ"},
    "standards": ["ISO 14067:2018", "GB/T 24067-2024"],
    "primary_data_share": 62.5,
    "data_quality_rating": 2,
    "company_name": "Chongqing Bishan Computing Co., Ltd.",
    "notes": "Assembly in Bishan; panels and cells from suppliers' primary data.",
}


def footprint(**changes: Any) -> dict[str, Any]:
    """A valid footprint payload with ``changes`` applied (``None`` removes a member)."""
    data = copy.deepcopy(LAPTOP)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def numbered(i: int) -> dict[str, Any]:
    """The i-th distinct valid payload (different value and SKU)."""
    total = 150.0 + i / 10
    return footprint(
        kg_co2e_per_unit=total,
        fossil_kg_co2e=total - 1.0,
        biogenic_kg_co2e=1.0,
        product_ids=[f"urn:tanji:sku:LT-{i:05d}"],
    )


@dataclass(frozen=True)
class Orgs:
    """API keys (and ids) of one organisation per role, plus a second enterprise."""

    admin: str
    enterprise: str
    enterprise_id: str
    other_enterprise: str
    certifier: str
    certifier_id: str
    other_certifier: str
    partner: str


def make_orgs(engine: Engine) -> Orgs:
    """Create one organisation per role (and a second enterprise and certifier)."""
    with Session(engine, expire_on_commit=False) as session:
        _, admin = create_org(session, name="Tanji admin", role=OrgRole.ADMIN)
        ent, ent_key = create_org(session, name="Bishan Computing", role=OrgRole.ENTERPRISE)
        _, other_ent = create_org(session, name="Liangjiang Motors", role=OrgRole.ENTERPRISE)
        cert, cert_key = create_org(
            session,
            name="Chongqing Carbon Label Center",
            role=OrgRole.CERTIFICATION_BODY,
            address="Yubei District, Chongqing",
        )
        _, other_cert = create_org(session, name="Other CB", role=OrgRole.CERTIFICATION_BODY)
        _, partner = create_org(session, name="SG certifier", role=OrgRole.PARTNER_CERTIFIER)
    return Orgs(
        admin=admin,
        enterprise=ent_key,
        enterprise_id=ent.id,
        other_enterprise=other_ent,
        certifier=cert_key,
        certifier_id=cert.id,
        other_certifier=other_cert,
        partner=partner,
    )


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for ``key``."""
    return {"Authorization": f"Bearer {key}"}
