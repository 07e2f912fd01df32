"""``tanji demo``'s computed footprints: the example inventories through the real calculation path.

The starter factor datasets are published by a demo publisher organisation
(:func:`registry.factors.starter.publish_starter`, versions already published are reused), then
each example inventory of ``examples/inventories/`` is computed and submitted as a footprint with
``POST /api/v1/calculations?submit=true`` by a demo enterprise. :mod:`registry.demo` labels these
footprints as it labels its other products and writes each inventory beside its bundle
(``inventories/<label-id>.json``), so ``tanji verify BUNDLE --inventory FILE`` recomputes it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Final

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from registry.crud.orgs import create_org
from registry.demo_client import check
from registry.demo_keys import demo_key
from registry.demo_supply_chain import SUPPLIER_KEY_PREFIX, push_attestation, register_key
from registry.factors.starter import publish_starter
from registry.models.footprints import Footprint
from registry.models.orgs import Organisation, OrgRole
from verifier.protocol.accounting import document_digest, load_document
from verifier.protocol.hashing import keccak

__all__ = [
    "COMPUTED_COMPANY",
    "DISPLAY_SUPPLIER",
    "EXAMPLE_INVENTORIES",
    "computed_footprint",
    "load_example",
    "publish_demo_factors",
    "push_display_attestation",
    "with_attestation",
]

EXAMPLES_DIR: Final = Path(__file__).resolve().parents[1] / "examples" / "inventories"
#: The example inventories the demo computes.
EXAMPLE_INVENTORIES: Final = (
    "laptop.json",
    "lfp-battery-pack.json",
    "cement.json",
    "hotpot-seasoning.yaml",
)
#: The laptop's component line, and the attestation its display supplier signs for it.
DISPLAY_LINE: Final = "display"
DISPLAY_SUPPLIER: Final = "示例显示屏供应商 Example display-module supplier (demo)"
DISPLAY_MESSAGE: Final = {
    "componentId": "DEMO-14-IPS-2026",
    "productId": "DEMO-LT14-2026",
    "declaredUnit": "unit",
    "kgCo2ePerUnit": "38.6",
    "systemBoundary": "cradle-to-gate",
    "periodStart": 1735689600,
    "periodEnd": 1767225600,
    "upstream": [],
    "expiry": 2_000_000_000,
}
PUBLISHER_NAME: Final = "Tanji starter data (demo publisher)"
COMPUTED_COMPANY: Final = "示例核算企业 Example computed-footprint enterprise (demo)"


def publish_demo_factors(app: Any, *, base_url: str) -> list[str]:
    """Publish the starter datasets as the demo publisher (reusing both on a re-run): their ids."""
    chain = app.state.chain
    with Session(app.state.engine, expire_on_commit=False) as session:
        org = session.exec(
            select(Organisation)
            .where(Organisation.name == PUBLISHER_NAME, Organisation.role == OrgRole.PUBLISHER)
            .order_by(col(Organisation.created_at))
        ).first()
        if org is None:
            org, _ = create_org(session, name=PUBLISHER_NAME, role=OrgRole.PUBLISHER)
        rows = publish_starter(
            session,
            org=org,
            chain_id=int(chain.chain_id),
            contract=str(chain.address),
            base_url=base_url,
        )
        session.commit()
        return [row.id for row in rows]


def push_display_attestation(client: TestClient, headers: dict[str, str], *, data_dir: Path) -> str:
    """Register the display supplier's key, sign and push its attestation: the attestation id.

    The key is the data dir's generated demo key ``supplier-display`` (:mod:`registry.demo_keys`)
    and the nonce and expiry are fixed, so a re-run pushes the same attestation (refused as a
    replay, which the demo ignores) and gets the same id.
    """
    account = demo_key(data_dir, SUPPLIER_KEY_PREFIX + "display")
    register_key(client, headers, account, base="/api/v1/suppliers/keys")
    eip712 = check(client.get("/api/v1/attestations/eip712"), "reading the EIP-712 domain")
    message = {
        **DISPLAY_MESSAGE,
        "supplier": account.address,
        "nonce": "0x" + keccak(b"tanji/demo/display-nonce").hex(),
    }
    return push_attestation(client, headers, account, message, eip712)


def with_attestation(inventory: dict[str, Any], attestation: str) -> dict[str, Any]:
    """``inventory`` with the display line citing ``attestation``."""
    for line in inventory["lines"]:
        if line["id"] == DISPLAY_LINE:
            line["component"]["attestation"] = attestation
    return inventory


def load_example(name: str) -> dict[str, Any]:
    """An example inventory as JSON values (YAML read as the verifier reads it)."""
    document: dict[str, Any] = load_document((EXAMPLES_DIR / name).read_bytes())
    return document


def _existing_footprint(engine: Any, inventory: dict[str, Any]) -> str | None:
    """The demo enterprise's footprint already computed from ``inventory`` (a re-run), if any."""
    digest = document_digest(inventory)
    with Session(engine) as session:
        rows = session.exec(
            select(Footprint)
            .join(Organisation, col(Organisation.id) == col(Footprint.org_id))
            .where(Organisation.name == COMPUTED_COMPANY)
            .order_by(col(Footprint.created_at))
        ).all()
    for row in rows:
        if (row.data.get("calculation") or {}).get("inventory_digest") == digest:
            return row.id
    return None


def computed_footprint(
    client: TestClient,
    inventory: dict[str, Any],
    *,
    headers: dict[str, str],
    today: date,
    check: Callable[[Any, str], dict[str, Any]],
) -> dict[str, Any]:
    """Compute and submit ``inventory``; the footprint (the existing one on a re-run)."""
    step = f"computing the {inventory['id']} footprint"
    existing = _existing_footprint(client.app.state.engine, inventory)  # type: ignore[attr-defined]
    if existing is not None:
        return check(client.get(f"/api/v1/footprints/{existing}", headers=headers), step)
    body = {
        "inventory": inventory,
        "footprint": {
            "reference_period": {
                "start": date(today.year - 1, 1, 1).isoformat(),
                "end": date(today.year - 1, 12, 31).isoformat(),
            },
            "geography": {"country": "CN", "subdivision": "CN-CQ"},
        },
    }
    reply = client.post("/api/v1/calculations?submit=true", json=body, headers=headers)
    if reply.status_code == 409:
        error = reply.json().get("error", {})
        if error.get("code") == "duplicate_footprint" and error.get("details"):
            footprint_id = error["details"][0]["id"]
            return check(client.get(f"/api/v1/footprints/{footprint_id}", headers=headers), step)
    footprint: dict[str, Any] = check(reply, step)["footprint"]
    return footprint
