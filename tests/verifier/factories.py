"""Hand-built records, trees and bundles for the verifier tests (no ``anchoring`` import).

The tree follows ``@openzeppelin/merkle-tree``'s StandardMerkleTree layout: leaf hashes sorted, the
tree stored as an array with leaves at the end in reverse, inner node ``i`` = hashPair(2i+1, 2i+2);
``tests/verifier/test_oz_interop.py`` checks roots and proofs against the npm package itself.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from typing import Any

from verifier.protocol.leaf import (
    LEAF_ENCODING,
    field_salt,
    record_commitments,
    record_leaf_value,
)
from verifier.protocol.merkle import hash_pair, leaf_hash


def salt_for(label: str) -> bytes:
    """A deterministic 32-byte master salt (tests only; real salts come from os.urandom)."""
    return hashlib.sha256(label.encode()).digest()


def make_record(index: int, record_type: str = "label") -> dict[str, Any]:
    """A realistic carbon-label record."""
    return {
        "type": record_type,
        "id": f"CQ-LBL-2026-{index:06d}",
        "product": {"name": "笔记本电脑 ThinkBook 14", "gtin": "06901234567892"},
        "footprint": {"value": 312.5 + index, "unit": "kg CO2e", "declaredUnit": "1 unit"},
        "grade": "A",
        "geography": "CN-CQ",
        "issuedAt": "2026-11-20T08:00:00Z",
    }


@dataclass
class Tree:
    """A StandardMerkleTree over leaf values with LEAF_ENCODING."""

    values: list[list[str]]
    nodes: list[bytes]
    positions: dict[int, int]  # value index -> tree index

    @classmethod
    def of(cls, values: list[list[str]]) -> Tree:
        hashed = sorted(
            ((leaf_hash(LEAF_ENCODING, v), i) for i, v in enumerate(values)), key=lambda x: x[0]
        )
        n = len(hashed)
        nodes = [b""] * (2 * n - 1)
        positions: dict[int, int] = {}
        for k, (h, i) in enumerate(hashed):
            nodes[len(nodes) - 1 - k] = h
            positions[i] = len(nodes) - 1 - k
        for j in range(len(nodes) - 1 - n, -1, -1):
            nodes[j] = hash_pair(nodes[2 * j + 1], nodes[2 * j + 2])
        return cls(values, nodes, positions)

    @property
    def root(self) -> bytes:
        return self.nodes[0]

    def proof(self, value_index: int) -> list[bytes]:
        i = self.positions[value_index]
        proof = []
        while i > 0:
            proof.append(self.nodes[i + 1 if i % 2 else i - 1])
            i = (i - 1) // 2
        return proof


def hx(data: bytes) -> str:
    return "0x" + data.hex()


def make_bundle(
    record: dict[str, Any],
    salt: bytes,
    tree: Tree,
    index: int,
    *,
    chain_id: int = 31337,
    contract: str = "0x" + "11" * 20,
    tx_hash: bytes = b"\x22" * 32,
    block_number: int = 1,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """A full-disclosure ``tanji-bundle/1`` for ``record`` at ``index`` of ``tree``."""
    anchor: dict[str, Any] = {
        "chainId": chain_id,
        "contract": contract,
        "txHash": hx(tx_hash),
        "blockNumber": block_number,
    }
    if timestamp is not None:
        anchor["timestamp"] = timestamp
    return {
        "format": "tanji-bundle/1",
        "record": copy.deepcopy(record),
        "salt": hx(salt),
        "leafEncoding": list(LEAF_ENCODING),
        "leafValue": record_leaf_value(record, salt),
        "proof": [hx(p) for p in tree.proof(index)],
        "root": hx(tree.root),
        "anchor": anchor,
    }


def redact(bundle: dict[str, Any], hide: list[str]) -> dict[str, Any]:
    """Turn a full-disclosure bundle into a redacted one hiding the fields in ``hide``."""
    out = copy.deepcopy(bundle)
    record = out["record"]
    master = bytes.fromhex(out.pop("salt")[2:])
    commitments = record_commitments(record, master)
    out["disclosure"] = {
        "salts": {n: hx(field_salt(master, n)) for n in record if n not in hide},
        "hidden": {n: hx(commitments[n]) for n in hide},
    }
    for name in hide:
        del record[name]
    return out


def pending_bundle(record: dict[str, Any], salt: bytes) -> dict[str, Any]:
    """A bundle of a record not yet anchored."""
    return {
        "format": "tanji-bundle/1",
        "status": "pending",
        "record": copy.deepcopy(record),
        "salt": hx(salt),
        "leafEncoding": list(LEAF_ENCODING),
        "leafValue": record_leaf_value(record, salt),
        "anchor": None,
    }


def anchored_set(
    count: int = 4, record_type: str = "label"
) -> tuple[Tree, list[dict[str, Any]], list[bytes]]:
    """``count`` records, their salts and the tree over their leaves."""
    records = [make_record(i, record_type) for i in range(count)]
    salts = [salt_for(f"{record_type}-{i}") for i in range(count)]
    tree = Tree.of([record_leaf_value(r, s) for r, s in zip(records, salts, strict=True)])
    return tree, records, salts
