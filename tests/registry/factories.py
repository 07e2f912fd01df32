"""Test data for registry tests: realistic footprint payloads and organisations."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from registry.audit import AuditEntry
from registry.crud.orgs import create_org
from registry.crud.prefixes import grant_prefix
from registry.models.orgs import OrgRole

#: The test enterprise's registered name: labels show it (LAPTOP's company_name says the same).
ENTERPRISE_NAME = "Chongqing Bishan Computing Co., Ltd."
#: The GS1 company prefix confirmed for the test enterprise: LAPTOP's GTIN falls under it.
ENTERPRISE_PREFIX = "690123456"
#: The second enterprise's prefix, and a GTIN of its own under it.
OTHER_ENTERPRISE_PREFIX = "690987654"
OTHER_ENTERPRISE_GTIN = "06909876543212"

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
    "company_name": "Chongqing Bishan Computing Co., Ltd.",  # = ENTERPRISE_NAME
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
    other_enterprise_id: str
    certifier: str
    certifier_id: str
    other_certifier: str
    partner: str


def make_orgs(engine: Engine) -> Orgs:
    """Create one organisation per role (and a second enterprise and certifier).

    Each enterprise holds a confirmed GS1 company prefix (:data:`ENTERPRISE_PREFIX`, under which
    LAPTOP's GTIN falls, and :data:`OTHER_ENTERPRISE_PREFIX`).
    """
    with Session(engine, expire_on_commit=False) as session:
        _, admin = create_org(session, name="Tanji admin", role=OrgRole.ADMIN)
        ent, ent_key = create_org(session, name=ENTERPRISE_NAME, role=OrgRole.ENTERPRISE)
        other, other_ent = create_org(session, name="Liangjiang Motors", role=OrgRole.ENTERPRISE)
        grant_prefix(session, org_id=ent.id, prefix=ENTERPRISE_PREFIX)
        grant_prefix(session, org_id=other.id, prefix=OTHER_ENTERPRISE_PREFIX)
        session.commit()
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
        other_enterprise_id=other.id,
        certifier=cert_key,
        certifier_id=cert.id,
        other_certifier=other_cert,
        partner=partner,
    )


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for ``key``."""
    return {"Authorization": f"Bearer {key}"}


def audit_entries(app: FastAPI) -> int:
    """How many audit entries the app's database holds (each is queued for anchoring too)."""
    with Session(app.state.engine) as session:
        return int(session.exec(select(func.count()).select_from(AuditEntry)).one())
