"""Test material for calculations: the example inventories, published starter datasets, an
attestation for the laptop's display.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine
from sqlmodel import Session

from registry.crud.orgs import create_org
from registry.factors.starter import publish_starter
from registry.ids import new_master_salt
from registry.models.attestations import ACTIVE, Attestation
from registry.models.orgs import OrgRole
from verifier.protocol.accounting import load_document

EXAMPLES: Final = Path(__file__).resolve().parents[2] / "examples" / "inventories"
#: The example inventories: the products docs/ACCOUNTING.md and the issue name.
EXAMPLE_FILES: Final = (
    "laptop.json",
    "lfp-battery-pack.json",
    "cement.json",
    "hotpot-seasoning.yaml",
)
#: The laptop's display line and the attestation its supplier signed for it (test data).
DISPLAY_LINE: Final = "display"
DISPLAY_ATTESTATION: Final = "0x" + "d1" * 32
#: The EIP-712 domain the starter datasets are signed in for these tests.
CHAIN_ID: Final = 31337
CONTRACT: Final = "0x" + "11" * 20
BASE_URL: Final = "https://tanji.test"
PERIOD: Final = {"start": "2025-01-01", "end": "2025-12-31"}
DETAILS: Final = {
    "reference_period": PERIOD,
    "geography": {"country": "CN", "subdivision": "CN-CQ"},
}


def example(name: str) -> dict[str, Any]:
    """An example inventory as JSON values (a YAML one read as the verifier reads it)."""
    document: dict[str, Any] = load_document((EXAMPLES / name).read_bytes())
    return copy.deepcopy(document)


def example_text(name: str) -> str:
    """The example file's text."""
    return (EXAMPLES / name).read_text("utf-8")


def publish_starter_datasets(engine: Engine, *, base_url: str = BASE_URL) -> list[str]:
    """Publish the starter datasets (signed by their demo publisher) in ``engine``'s database."""
    with Session(engine, expire_on_commit=False) as session:
        org, _ = create_org(
            session, name="Tanji starter data (demo publisher)", role=OrgRole.PUBLISHER
        )
        rows = publish_starter(
            session, org=org, chain_id=CHAIN_ID, contract=CONTRACT, base_url=base_url
        )
        session.commit()
        return [row.id for row in rows]


def add_display_attestation(
    engine: Engine, *, supplier_org_id: str, value: str = "38.6", status: str = ACTIVE
) -> str:
    """Store the display supplier's attestation (as a push stores it) and return its id."""
    with Session(engine) as session:
        session.add(
            Attestation(
                id=DISPLAY_ATTESTATION,
                supplier_org_id=supplier_org_id,
                signer="0x" + "22" * 20,
                pushed_by_org_id=supplier_org_id,
                component_id="BOE-14-IPS-2026",
                product_id="BSH-LT14-2026",
                declared_unit="unit",
                kg_co2e_per_unit=value,
                nonce="0x" + "33" * 32,
                expiry=2_000_000_000,
                upstream=[],
                depth=1,
                status=status,
                record={"type": "attestation", "id": DISPLAY_ATTESTATION},
                master_salt="0x" + new_master_salt().hex(),
            )
        )
        session.commit()
    return DISPLAY_ATTESTATION


def dumps(document: Any) -> str:
    """JSON text of ``document``."""
    return json.dumps(document, ensure_ascii=False)
