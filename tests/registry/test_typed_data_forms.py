"""The typed data served for signing, in both of its forms, signed by the tools signers use.

For attestations and for recognitions: the top-level ``domain``/``types``/``primaryType`` go
unchanged into ethers v6 ``Wallet.signTypedData`` (no ``EIP712Domain`` among the types), and the
``wallet`` member (``eth_signTypedData_v4``) into ``@metamask/eth-sig-util``'s ``signTypedData``.
The signatures are posted to the registry (embedded chain) and accepted.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.nodes import require_tool
from tests.registry.factories import Orgs, bearer, footprint, make_orgs
from tests.registry.partners import (
    SG_BODY_KEY,
    issue_label,
    recognition_message,
    register_partner,
)
from tests.registry.supply_chain_data import (
    ChainApp,
    chain_app,
    message,
    register_key,
    supplier_account,
)
from verifier.protocol.attestation import ATTESTATION_STRUCT
from verifier.protocol.eip712 import EIP712_DOMAIN_TYPE
from verifier.protocol.leaf import LEAF_ENCODING
from verifier.protocol.merkle import leaf_hash
from verifier.protocol.recognition import RECOGNITION_STRUCT

ROOT = Path(__file__).resolve().parents[2]
SIGNER = ROOT / "tests" / "registry" / "js" / "sign_typed_data_forms.mjs"
SUPPLIER = supplier_account("typed-data-forms")


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[ChainApp, Orgs]]:
    require_tool("node")
    if not (ROOT / "node_modules" / "@metamask" / "eth-sig-util").exists():
        require_tool("npx")  # `npm ci` is needed
    async for app in chain_app(tmp_path):
        yield app, make_orgs(app.app.state.engine)


def sign_both(served: dict[str, Any], key: str) -> tuple[str, str]:
    """(ethers' signature of the top-level form, eth-sig-util's of the ``wallet`` form)."""
    out = subprocess.run(
        ["node", str(SIGNER)],
        input=json.dumps(served),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "TANJI_SIGNER_KEY": key},
        timeout=60,
    )
    signed = json.loads(out.stdout)
    return signed["ethers"], signed["ethSigUtil"]


def check_shape(served: dict[str, Any], primary: str, struct: Any) -> None:
    assert served["primaryType"] == primary
    assert served["types"] == {primary: [dict(m) for m in struct]}  # no EIP712Domain
    wallet = served["wallet"]
    assert wallet["types"]["EIP712Domain"] == [dict(m) for m in EIP712_DOMAIN_TYPE]
    assert wallet["types"][primary] == served["types"][primary]
    assert wallet["domain"] == served["domain"] and wallet["primaryType"] == primary


def with_message(description: dict[str, Any], msg: dict[str, Any]) -> dict[str, Any]:
    """A served description (no message) with the signer's message added to both forms."""
    return {**description, "message": msg, "wallet": {**description["wallet"], "message": msg}}


async def test_attestations_signed_in_both_forms_are_accepted(
    running: tuple[ChainApp, Orgs],
) -> None:
    app, orgs = running
    client = app.client
    r = await register_key(client, orgs.other_enterprise, SUPPLIER)
    assert r.status_code == 201, r.text
    key = "0x" + bytes(SUPPLIER.key).hex()

    description = (await client.get("/api/v1/attestations/eip712")).json()
    check_shape(description, "Attestation", ATTESTATION_STRUCT)
    first = with_message(description, message(SUPPLIER, component="CQ-CELL-A"))
    r = await client.post(
        "/api/v1/attestations/typed-data", json={"message": message(SUPPLIER, component="B")}
    )
    assert r.status_code == 200, r.text
    second = r.json()
    check_shape(second, "Attestation", ATTESTATION_STRUCT)
    assert second["wallet"]["message"] == second["message"]

    for served, form in ((first, 0), (second, 1)):
        by_ethers, by_eth_sig_util = sign_both(served, key)
        assert by_ethers == by_eth_sig_util  # one digest, deterministic signatures
        signature = (by_ethers, by_eth_sig_util)[form]
        r = await client.post(
            "/api/v1/attestations",
            json={"message": served["message"], "signature": signature},
            headers=bearer(orgs.enterprise),
        )
        assert r.status_code == 201, r.text

    r = await client.post(
        "/api/v1/attestations/typed-data",
        json={"message": {**message(SUPPLIER), "supplier": "0x12"}},
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"].startswith("message.")


async def test_recognitions_signed_in_both_forms_are_accepted(
    running: tuple[ChainApp, Orgs],
) -> None:
    app, orgs = running
    client = app.client
    _, partner = await register_partner(
        client, app.app.state.engine, name="SG body", key=SG_BODY_KEY
    )
    leaves = []
    for gtin in ("06901234567892", "06901234567908"):
        label = await issue_label(
            client,
            enterprise=orgs.enterprise,
            certifier=orgs.certifier,
            payload=footprint(gtin=gtin),
        )
        bundle = (await client.get(f"/api/v1/labels/{label['id']}/bundle")).json()
        leaves.append("0x" + leaf_hash(LEAF_ENCODING, bundle["leafValue"]).hex())
    description = (await client.get("/api/v1/recognitions/eip712")).json()
    check_shape(description, "Recognition", RECOGNITION_STRUCT)
    withdrawal = (await client.get("/api/v1/recognitions/eip712?primaryType=Withdrawal")).json()
    assert withdrawal["primaryType"] == "Withdrawal"
    assert "EIP712Domain" not in withdrawal["types"]

    first = with_message(description, recognition_message(SG_BODY_KEY, subject=leaves[0]))
    r = await client.post(
        "/api/v1/recognitions/typed-data",
        json={"message": recognition_message(SG_BODY_KEY, subject=leaves[1])},
    )
    assert r.status_code == 200, r.text
    second = r.json()
    check_shape(second, "Recognition", RECOGNITION_STRUCT)

    for served, form in ((first, 0), (second, 1)):
        by_ethers, by_eth_sig_util = sign_both(served, SG_BODY_KEY)
        assert by_ethers == by_eth_sig_util
        if form == 0:  # what ethers signed: the top-level members, unchanged
            typed = {k: served[k] for k in ("domain", "types", "primaryType", "message")}
            body = {"typedData": typed, "signature": by_ethers}
        else:  # what the wallet signed
            body = {"typedData": served["wallet"], "signature": by_eth_sig_util}
        r = await client.post("/api/v1/recognitions", json=body, headers=bearer(partner))
        assert r.status_code == 201, r.text
