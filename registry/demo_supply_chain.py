"""``tanji demo``'s supply chain: suppliers sign attestations two hops deep below one label.

A cell maker and a module maker (``registry/data/demo_mission.json``, ``supply_chain``) each
register a signing key (:mod:`registry.demo_keys`) with a ``personal_sign`` of the registry's
challenge, sign their component's footprint as an EIP-712 ``Attestation`` and push it; the module's
attestation cites the cell's in ``upstream``. The storage-pack maker's footprint lists the module
as a component, so its label's bundle nests module → cell: two hops, each signed, anchored and
checked by ``tanji verify``. The demo also writes the label's bundle with the suppliers' names
redacted (``?hide=supplierName``): it still verifies.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Final

from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlmodel import Session

from registry.demo_client import auth, check, org_key
from registry.demo_keys import demo_key
from registry.models.orgs import OrgRole
from verifier.protocol.attestation import attestation_digest
from verifier.protocol.hashing import keccak

__all__ = ["SUPPLIER_KEY_PREFIX", "push_attestation", "register_key", "seed_supply_chain"]

#: Demo key names of the suppliers: ``supplier-<key>`` (registry.demo_keys).
SUPPLIER_KEY_PREFIX: Final = "supplier-"


def register_key(
    client: TestClient, headers: dict[str, str], account: LocalAccount, *, base: str
) -> None:
    """Register ``account`` for the caller at ``base`` (``/api/v1/suppliers/keys`` or the
    recognitions' mount): its ``personal_sign`` of the challenge. Already registered is fine."""
    challenge = check(
        client.get(f"{base}/challenge", params={"address": account.address}, headers=headers),
        f"asking for the key challenge of {account.address}",
    )
    signed = account.sign_message(encode_defunct(text=challenge["message"])).signature
    body = {"address": account.address, "signature": "0x" + bytes(signed).hex()}
    reply = client.post(base, json=body, headers=headers)
    if reply.status_code != 409:
        check(reply, f"registering the key {account.address}")


def push_attestation(
    client: TestClient,
    headers: dict[str, str],
    account: LocalAccount,
    message: dict[str, Any],
    eip712: dict[str, Any],
) -> str:
    """Sign ``message`` as ``account`` and push it (a re-run's replay is fine): its id."""
    types = {k: v for k, v in eip712["types"].items() if k != "EIP712Domain"}
    signature = account.sign_typed_data(eip712["domain"], types, message).signature
    push = {"message": message, "signature": "0x" + bytes(signature).hex()}
    reply = client.post("/api/v1/attestations", json=push, headers=headers)
    if reply.status_code != 409:
        check(reply, f"pushing the attestation of {message['componentId']}")
    domain = eip712["domain"]
    digest = attestation_digest(
        message, chain_id=domain["chainId"], contract=domain["verifyingContract"]
    )
    return "0x" + digest.hex()


def seed_supply_chain(
    client: TestClient, app: Any, chain: dict[str, Any], *, data_dir: Path
) -> dict[str, Any]:
    """Seed the suppliers of ``chain`` (the mission's ``supply_chain``) and their attestations.

    Returns the labelled product (as :mod:`registry.demo` issues products) with its footprint's
    ``components`` citing the attestations.
    """
    eip712 = check(client.get("/api/v1/attestations/eip712"), "reading the EIP-712 domain")
    ids: dict[str, str] = {}
    for supplier in chain["suppliers"]:  # upstream suppliers first
        with Session(app.state.engine) as session:
            key = org_key(session, name=supplier["name"], role=OrgRole.ENTERPRISE)
        headers = auth(key)
        account = demo_key(data_dir, SUPPLIER_KEY_PREFIX + supplier["key"])
        register_key(client, headers, account, base="/api/v1/suppliers/keys")
        message = {
            **supplier["message"],
            "supplier": account.address,
            "upstream": sorted(ids[name] for name in supplier["upstream"]),
            "nonce": "0x" + keccak(f"tanji/demo/attestation/{supplier['key']}".encode()).hex(),
        }
        ids[supplier["key"]] = push_attestation(client, headers, account, message, eip712)
    by_key = {supplier["key"]: supplier for supplier in chain["suppliers"]}
    product: dict[str, Any] = copy.deepcopy(chain["product"])
    product["footprint"]["components"] = [
        {
            "component_id": by_key[c["supplier"]]["message"]["componentId"],
            "quantity": c["quantity"],
            "unit": c["unit"],
            "attestation_id": ids[c["supplier"]],
        }
        for c in chain["components"]
    ]
    product["redact"] = list(chain["redact"])
    return product
