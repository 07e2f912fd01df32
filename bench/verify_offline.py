"""Offline bundle verifications per second (format + integrity + inclusion, depth-17 proof).

Prints the rate and its ratio to two baselines measured in the same run: ``json.loads`` of the same
bundle bytes, and the bare hashing work of integrity + inclusion (field commitments, digest, leaf
hash, 17 pair hashes) without any parsing or checking. Target: one bundle in under 1 ms.

    python bench/verify_offline.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

from verifier._internal.verifier import Verdict, verify_offline
from verifier.protocol.hashing import keccak
from verifier.protocol.leaf import LEAF_ENCODING, record_leaf_value
from verifier.protocol.merkle import hash_pair, leaf_hash, process_proof
from verifier.protocol.records import BUNDLE_FORMAT

DEPTH = 17  # a batch of 2**17 = 131,072 records


def make_bundle() -> bytes:
    """A realistic label bundle whose proof has DEPTH siblings (a tree of 2**DEPTH leaves)."""
    record = {
        "type": "label",
        "id": "CQ-LBL-2026-000123",
        "product": {"name": "笔记本电脑 ThinkBook 14", "gtin": "06901234567892"},
        "footprint": {"value": 312.5, "unit": "kg CO2e", "declaredUnit": "1 unit"},
        "grade": "A",
        "geography": "CN-CQ",
        "issuer": "Chongqing Carbon Label Center",
        "issuedAt": "2026-11-20T08:00:00Z",
    }
    salt = keccak(b"bench salt")
    value = record_leaf_value(record, salt)
    # Any sibling values are the subtree roots of some tree of that depth.
    proof = [keccak(b"sibling %d" % i) for i in range(DEPTH)]
    node = leaf_hash(LEAF_ENCODING, value)
    for sibling in proof:
        node = hash_pair(node, sibling)
    bundle = {
        "format": BUNDLE_FORMAT,
        "record": record,
        "salt": "0x" + salt.hex(),
        "leafEncoding": list(LEAF_ENCODING),
        "leafValue": value,
        "proof": ["0x" + p.hex() for p in proof],
        "root": "0x" + node.hex(),
        "anchor": {
            "chainId": 31337,
            "contract": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
            "txHash": "0x" + keccak(b"tx").hex(),
            "blockNumber": 2,
            "timestamp": 1764000000,
        },
    }
    return json.dumps(bundle, ensure_ascii=False).encode("utf-8")


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``fn`` over about ``seconds`` (after a short warm-up)."""
    for _ in range(50):
        fn()
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            fn()
        calls += 100
    return calls / elapsed


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()

    data = make_bundle()
    assert verify_offline(data).status is Verdict.VALID
    decoded = json.loads(data)
    record, salt = decoded["record"], bytes.fromhex(decoded["salt"][2:])
    proof = [bytes.fromhex(p[2:]) for p in decoded["proof"]]

    def bare_hashing() -> bytes:
        return process_proof(leaf_hash(LEAF_ENCODING, record_leaf_value(record, salt)), proof)

    verify = rate(lambda: verify_offline(data), args.seconds)
    loads = rate(lambda: json.loads(data), args.seconds)
    hashing = rate(bare_hashing, args.seconds)
    print(f"bundle: {len(data)} bytes, {len(record)} fields, proof depth {DEPTH}")
    rows = [
        ("verify_offline (format+integrity+inclusion)", verify, f"{1e6 / verify:7.1f} µs each"),
        ("baseline json.loads of the bundle", loads, f"ratio {loads / verify:6.1f}x"),
        ("baseline bare hashing (integrity+inclusion)", hashing, f"ratio {hashing / verify:6.1f}x"),
    ]
    for name, per_second, note in rows:
        print(f"{name:<45} {per_second:10.0f} /s  {note}")
    print(f"target < 1 ms per bundle: {'met' if verify > 1000 else 'NOT met'}")


if __name__ == "__main__":
    main()
