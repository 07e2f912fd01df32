"""Generate docs/PROTOCOL.md's worked test vectors into tests/assets/protocol_vectors.json.

Commitments and leaves come from ``verifier.record`` / ``verifier.merkle``; the tree root and proofs
come from ``@openzeppelin/merkle-tree`` itself (run with Node), and the script fails if the two
disagree. Run from the repository root: ``python scripts/gen_protocol_vectors.py``.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from verifier.canonical import canonicalize  # noqa: E402
from verifier.hashing import keccak  # noqa: E402
from verifier.merkle import leaf_hash, process_proof  # noqa: E402
from verifier.record import (  # noqa: E402
    LEAF_ENCODING,
    commitments_digest,
    field_commitment,
    field_salt,
    jcs_order,
    record_leaf_value,
)

OUT = ROOT / "tests" / "assets" / "protocol_vectors.json"
# Vector salts are derived from public strings so anyone can reproduce them; real salts are random.
LABEL_SALT = keccak(b"tanji protocol vector: label salt")

LABEL: dict[str, Any] = {
    "type": "label",
    "id": "CQ-LBL-2026-000123",
    "product": {"name": "笔记本电脑 ThinkBook 14", "gtin": "06901234567892"},
    "footprint": {
        "value": 312.5,
        "unit": "kg CO2e",
        "declaredUnit": "1 unit",
        "boundary": "cradle-to-gate",
    },
    "grade": "A",
    "geography": "CN-CQ",
    "issuer": "Chongqing Carbon Label Center",
    "issuedAt": "2026-11-20T08:00:00Z",
}
OTHERS: list[dict[str, Any]] = [
    {
        "type": "attestation",
        "id": "CQ-ATT-2026-000045",
        "supplier": "重庆某电池有限公司",
        "component": "battery pack 56 Wh",
        "footprint": {"value": 18.42, "unit": "kg CO2e"},
        "unitCostCny": 182.5,
        "process": "NMC cell assembly, line 3",
    },
    {"type": "footprint", "id": "CQ-FP-2026-000777", "product": "USB-C charger 65 W", "value": 4.1},
    {"type": "revocation", "id": "CQ-REV-2026-000002", "target": "CQ-LBL-2026-000099", "reason": 1},
]
ANCHOR = {
    "chainId": 31337,
    "contract": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
    "txHash": "0x" + keccak(b"tanji protocol vector: tx").hex(),
    "blockNumber": 2,
    "timestamp": 1764000000,
}
HIDDEN = ["process", "unitCostCny"]

_OZ_SCRIPT = r"""
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const tree = StandardMerkleTree.of(input.values, input.encoding);
const out = { root: tree.root, proofs: input.values.map((_, i) => tree.getProof(i)),
              leaves: input.values.map((_, i) => tree.leafHash(input.values[i])) };
process.stdout.write(JSON.stringify(out));
"""


def hx(data: bytes) -> str:
    return "0x" + data.hex()


def oz_tree(values: list[list[str]]) -> dict[str, Any]:
    """Root, proofs and leaf hashes from @openzeppelin/merkle-tree."""
    done = subprocess.run(
        ["node", "-e", _OZ_SCRIPT],
        input=json.dumps({"values": values, "encoding": list(LEAF_ENCODING)}),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return dict(json.loads(done.stdout))


def record_vector(record: dict[str, Any], master: bytes) -> dict[str, Any]:
    """Every intermediate value of one record's leaf derivation."""
    fields = []
    commitments = {}
    for name in jcs_order(record):
        salt = field_salt(master, name)
        jcs = canonicalize([name, record[name]])
        commitment = field_commitment(name, record[name], salt)
        assert commitment == keccak(salt + jcs)
        commitments[name] = commitment
        fields.append(
            {
                "name": name,
                "saltPreimage": hx(master + name.encode()),
                "salt": hx(salt),
                "jcs": jcs.decode("utf-8"),
                "jcsHex": hx(jcs),
                "commitment": hx(commitment),
            }
        )
    digest = commitments_digest(commitments)
    value = record_leaf_value(record, master)
    from eth_abi import encode

    encoded = encode(list(LEAF_ENCODING), [value[0], value[1], digest])
    return {
        "record": record,
        "recordJcs": canonicalize(record).decode("utf-8"),
        "masterSalt": hx(master),
        "fields": fields,
        "digestPreimage": hx(b"".join(commitments[n] for n in jcs_order(commitments))),
        "digest": hx(digest),
        "leafEncoding": list(LEAF_ENCODING),
        "leafValue": value,
        "abiEncoded": hx(encoded),
        "leafInner": hx(keccak(encoded)),
        "leafHash": hx(leaf_hash(LEAF_ENCODING, value)),
    }


def build() -> dict[str, Any]:
    """All vectors."""
    records = [LABEL, *OTHERS]
    salts = [LABEL_SALT] + [
        keccak(f"tanji protocol vector: salt {i}".encode()) for i in range(1, 4)
    ]
    vectors = [record_vector(r, s) for r, s in zip(records, salts, strict=True)]
    values = [v["leafValue"] for v in vectors]
    oz = oz_tree(values)
    for i, v in enumerate(vectors):
        assert oz["leaves"][i] == v["leafHash"], "leaf hash differs from @openzeppelin/merkle-tree"
        proof = [bytes.fromhex(p[2:]) for p in oz["proofs"][i]]
        assert hx(process_proof(bytes.fromhex(v["leafHash"][2:]), proof)) == oz["root"]

    def bundle(i: int) -> dict[str, Any]:
        return {
            "format": "tanji-bundle/1",
            "record": copy.deepcopy(records[i]),
            "salt": hx(salts[i]),
            "leafEncoding": list(LEAF_ENCODING),
            "leafValue": values[i],
            "proof": oz["proofs"][i],
            "root": oz["root"],
            "anchor": ANCHOR,
        }

    redacted = bundle(1)
    del redacted["salt"]
    attestation = vectors[1]
    redacted["disclosure"] = {
        "salts": {f["name"]: f["salt"] for f in attestation["fields"] if f["name"] not in HIDDEN},
        "hidden": {
            f["name"]: f["commitment"] for f in attestation["fields"] if f["name"] in HIDDEN
        },
    }
    for name in HIDDEN:
        del redacted["record"][name]
    return {
        "description": "Tanji protocol test vectors (docs/PROTOCOL.md); generated by "
        "scripts/gen_protocol_vectors.py; tree from @openzeppelin/merkle-tree",
        "records": vectors,
        "tree": {
            "format": "standard-v1",
            "leafEncoding": list(LEAF_ENCODING),
            "values": values,
            "root": oz["root"],
            "proofs": oz["proofs"],
        },
        "bundles": {"full": bundle(0), "redacted": redacted},
    }


def main() -> None:
    """Write the vectors file."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
