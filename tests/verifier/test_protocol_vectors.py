"""docs/PROTOCOL.md's worked vectors (tests/assets/protocol_vectors.json) hold for this verifier.

The vectors' tree root and proofs came from @openzeppelin/merkle-tree when generated
(scripts/gen_protocol_vectors.py); here every value is recomputed and must match byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode

from verifier.canonical import canonicalize
from verifier.hashing import keccak
from verifier.merkle import leaf_hash, process_proof
from verifier.record import (
    LEAF_ENCODING,
    commitments_digest,
    field_commitment,
    field_salt,
    jcs_order,
    record_leaf_value,
)
from verifier.verifier import Verdict, verify_offline

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "assets" / "protocol_vectors.json").read_text("utf-8")
)


def b(hex_text: str) -> bytes:
    return bytes.fromhex(hex_text[2:])


@pytest.mark.parametrize("vector", VECTORS["records"], ids=lambda v: v["record"]["id"])
def test_record_vector(vector: dict[str, Any]) -> None:
    record, master = vector["record"], b(vector["masterSalt"])
    assert canonicalize(record).decode() == vector["recordJcs"]
    assert [f["name"] for f in vector["fields"]] == jcs_order(record)
    commitments = {}
    for f in vector["fields"]:
        name = f["name"]
        assert b(f["saltPreimage"]) == master + name.encode("utf-8")
        assert field_salt(master, name) == keccak(b(f["saltPreimage"])) == b(f["salt"])
        jcs = canonicalize([name, record[name]])
        assert jcs == b(f["jcsHex"]) == f["jcs"].encode("utf-8")
        assert field_commitment(name, record[name], b(f["salt"])) == keccak(b(f["salt"]) + jcs)
        assert keccak(b(f["salt"]) + jcs) == b(f["commitment"])
        commitments[name] = b(f["commitment"])
    assert b"".join(commitments[n] for n in jcs_order(commitments)) == b(vector["digestPreimage"])
    assert (
        commitments_digest(commitments)
        == keccak(b(vector["digestPreimage"]))
        == b(vector["digest"])
    )
    assert record_leaf_value(record, master) == vector["leafValue"]
    assert vector["leafValue"] == [record["type"], record["id"], vector["digest"]]
    encoded = encode(list(LEAF_ENCODING), [record["type"], record["id"], b(vector["digest"])])
    assert encoded == b(vector["abiEncoded"])
    assert keccak(encoded) == b(vector["leafInner"])
    assert (
        leaf_hash(LEAF_ENCODING, vector["leafValue"])
        == keccak(keccak(encoded))
        == b(vector["leafHash"])
    )


def test_tree_vector() -> None:
    tree = VECTORS["tree"]
    assert tree["leafEncoding"] == list(LEAF_ENCODING)
    for value, proof in zip(tree["values"], tree["proofs"], strict=True):
        leaf = leaf_hash(LEAF_ENCODING, value)
        assert process_proof(leaf, [b(p) for p in proof]) == b(tree["root"])


@pytest.mark.parametrize("kind", ["full", "redacted"])
def test_example_bundles_verify_offline(kind: str) -> None:
    report = verify_offline(VECTORS["bundles"][kind])
    assert report.status is Verdict.VALID, report.to_json()


def test_redacted_example_hides_confidential_fields() -> None:
    red = VECTORS["bundles"]["redacted"]
    assert "salt" not in red and set(red["disclosure"]["hidden"]) == {"process", "unitCostCny"}
    assert not set(red["disclosure"]["hidden"]) & set(red["record"])
