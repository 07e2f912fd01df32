"""Bundles from anchored ledger entries: full, redacted and pending; parsed by the verifier."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from anchoring import ledger
from anchoring.batcher import Batcher
from anchoring.bundle import build_bundle
from anchoring.client import AnchorClient
from anchoring.errors import BundleError
from anchoring.ledger import AnchoredLeaf
from tests.anchoring.conftest import ChainNode
from verifier._internal.bundle import parse_bundle
from verifier.protocol.leaf import commitments_digest, field_commitment, record_leaf_value
from verifier.protocol.merkle import verify_proof

RECORD = {
    "type": "label",
    "id": "CQ-LBL-0001",
    "product": "Laptop X1 (Bishan)",
    "co2e": 312.5,
    "supplier": "confidential cell maker",
}


@pytest.fixture
def anchored(embedded_node: ChainNode, engine: Engine) -> tuple[bytes, AnchoredLeaf]:
    """RECORD anchored on the embedded chain through the ledger and batcher."""
    salt = secrets.token_bytes(32)
    client = AnchorClient.deploy(embedded_node.w3, embedded_node.anchorer)
    with Session(engine) as session:
        for i, record in enumerate([RECORD, {**RECORD, "id": "CQ-LBL-0002"}]):
            record_salt = salt if i == 0 else secrets.token_bytes(32)
            ledger.enqueue(
                session,
                record_type="label",
                record_id=record["id"],
                leaf_value=record_leaf_value(record, record_salt),
            )
        session.commit()
    Batcher(engine, client).run_once()
    with Session(engine) as session:
        leaf = ledger.anchored_leaf(session, record_type="label", record_id="CQ-LBL-0001")
    assert leaf is not None
    return salt, leaf


def test_full_bundle(anchored: tuple[bytes, AnchoredLeaf]) -> None:
    salt, leaf = anchored
    bundle = build_bundle(record=RECORD, salt=salt, leaf=leaf)
    assert list(bundle) == [
        "format",
        "record",
        "salt",
        "leafEncoding",
        "leafValue",
        "proof",
        "root",
        "anchor",
        "attestations",
        "recognitions",
    ]
    assert bundle["format"] == "tanji-bundle/1" and bundle["salt"] == "0x" + salt.hex()
    assert bundle["anchor"] == {
        "chainId": leaf.chain_id,
        "contract": leaf.contract,
        "txHash": leaf.tx_hash,
        "blockNumber": leaf.block_number,
        "timestamp": leaf.timestamp,
    }
    parsed = parse_bundle(bundle)
    assert parsed.root is not None
    assert verify_proof(parsed.root, parsed.leaf, parsed.proof)
    assert parsed.status == "anchored" and len(parsed.proof) == 1


def test_redacted_bundle(anchored: tuple[bytes, AnchoredLeaf]) -> None:
    salt, leaf = anchored
    bundle = build_bundle(record=RECORD, salt=salt, leaf=leaf, disclose=["co2e"])
    assert "salt" not in bundle and salt.hex() not in str(bundle)
    assert bundle["record"] == {"type": "label", "id": "CQ-LBL-0001", "co2e": 312.5}
    disclosure = bundle["disclosure"]
    assert set(disclosure["salts"]) == {"type", "id", "co2e"}
    assert set(disclosure["hidden"]) == {"product", "supplier"}
    # The disclosed salts and hidden commitments rebuild the anchored digest.
    commitments = {
        name: field_commitment(name, value, bytes.fromhex(disclosure["salts"][name][2:]))
        for name, value in bundle["record"].items()
    }
    commitments |= {k: bytes.fromhex(v[2:]) for k, v in disclosure["hidden"].items()}
    assert "0x" + commitments_digest(commitments).hex() == leaf.leaf_value[2]
    parsed = parse_bundle(bundle)
    assert parsed.disclosure is not None and parsed.salt is None


def test_pending_bundle() -> None:
    salt = secrets.token_bytes(32)
    nested = build_bundle(record={"type": "attestation", "id": "A-1"}, salt=salt, leaf=None)
    bundle = build_bundle(record=RECORD, salt=salt, leaf=None, attestations=[nested])
    assert bundle["status"] == "pending" and bundle["anchor"] is None
    assert "proof" not in bundle and "root" not in bundle
    assert bundle["attestations"] == [nested]
    parsed = parse_bundle(bundle)
    assert parsed.pending and parsed.attestations[0].pending


def test_record_or_salt_changed_since_anchoring(anchored: tuple[bytes, AnchoredLeaf]) -> None:
    salt, leaf = anchored
    with pytest.raises(BundleError, match="does not match"):
        build_bundle(record={**RECORD, "co2e": 1.0}, salt=salt, leaf=leaf)
    with pytest.raises(BundleError, match="does not match"):
        build_bundle(record=RECORD, salt=secrets.token_bytes(32), leaf=leaf)
    with pytest.raises(BundleError, match="no such field"):
        build_bundle(record=RECORD, salt=salt, leaf=leaf, disclose=["price"])
