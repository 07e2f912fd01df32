"""A foreign certifier's full check of a Chongqing label, and the size of the proof file.

    python bench/foreign_check.py [--repeat 30] [--batch 1024]

Starts a ``hardhat node`` on loopback, deploys the anchor contract and anchors, as the registry
would, in batches of ``--batch`` leaves (the other leaves are filler records): a label record built
by the registry's own ``build_record``, three supply-chain hops (signed EIP-712 attestations: cell
→ module → pack, each citing the one before as ``upstream``, the pack named by the label's
``components``), and two recognitions (a Singapore body recognising the label, a Hong Kong body
recognising the ``CQ-CFL`` scheme for laptops). The label bundle nests them as the registry serves
it: one self-contained file.

Timed, as ``tanji verify FILE --trust PROFILE`` does it minus process start: parse the file, then
``Verifier.verify`` with a Singapore partner's trust profile against the node over HTTP (a new
connection per check: the certifier's side). Every check must be VALID. Baseline, same node, same
run: the same verification of a bare label bundle (no hops, no recognitions). ratio = full /
baseline. Targets (issue 5): full check < 100 ms; proof file < 16 KB (compact JSON, as the API
serves it). Medians of ``--repeat`` runs; the machine may be shared, so the load is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_account import Account
from web3 import Web3

from anchoring.bundle import build_bundle
from anchoring.client import AnchorClient
from anchoring.ledger import AnchoredLeaf
from anchoring.tree import MerkleTree
from registry.crud.footprints import build_record as footprint_record
from registry.crud.labels import build_record as label_record
from registry.grading import grade_footprint
from registry.models.footprints import Footprint
from registry.models.labels import LabelCreate
from registry.models.orgs import Organisation, OrgRole
from tests.nodes import HARDHAT_KEY_0, hardhat_node
from tests.registry.factories import LAPTOP
from tests.registry.partners import (
    HK_BODY_KEY,
    HK_SCHEME,
    SG_BODY_KEY,
    address_of,
    profile,
    recognition_message,
    sign,
)
from verifier._internal.trust import parse_trust
from verifier._internal.verifier import Verdict, Verifier
from verifier.protocol.attestation import attestation_record, attestation_typed_data
from verifier.protocol.leaf import LEAF_ENCODING, record_leaf_value
from verifier.protocol.recognition import RECOGNITION, recognition_typed_data, scheme_subject

KB = 1024
SUPPLIER_KEYS = [
    "0x" + Web3.keccak(text=f"tanji/bench/supplier/{name}").hex().removeprefix("0x")
    for name in ("cell", "module", "pack")
]


class Anchorer:
    """Anchors each record in its own batch of ``size`` leaves (fillers elsewhere)."""

    def __init__(self, client: AnchorClient, size: int) -> None:
        self.client, self.size = client, size

    def anchor(self, record: dict[str, Any], salt: bytes) -> AnchoredLeaf:
        value = record_leaf_value(record, salt)
        values = [value] + [
            ["filler", f"f-{i}-{secrets.token_hex(4)}", "0x" + secrets.token_hex(32)]
            for i in range(self.size - 1)
        ]
        tree = MerkleTree.of(values, LEAF_ENCODING)
        receipt = self.client.anchor(tree.root, len(values), secrets.token_bytes(32))
        index = tree.index_of(value)
        return AnchoredLeaf(
            record_type=record["type"],
            record_id=record["id"],
            leaf_value=value,
            leaf_hash="0x" + tree.leaf_hash(index).hex(),
            proof=tree.proof_hex(index),
            root=tree.root_hex,
            chain_id=self.client.chain_id,
            contract=self.client.address,
            tx_hash=receipt.tx_hash,
            block_number=receipt.block_number,
            timestamp=receipt.timestamp,
        )

    def bundle(self, record: dict[str, Any], **nested: Any) -> dict[str, Any]:
        salt = secrets.token_bytes(32)
        return build_bundle(record=record, salt=salt, leaf=self.anchor(record, salt), **nested)


def hops(anchorer: Anchorer, chain_id: int, contract: str) -> tuple[dict[str, Any], str]:
    """Three attestations, cell → module → pack; the pack's bundle nests the chain."""
    bundle: dict[str, Any] | None = None
    upstream: list[str] = []
    for key, (component, amount) in zip(
        SUPPLIER_KEYS,
        (("CQ-CELL-21700-A", "0.482"), ("CQ-MODULE-12S", "7.91"), ("CQ-PACK-56WH", "31.07")),
        strict=True,
    ):
        message = {
            "supplier": address_of(key),
            "componentId": component,
            "productId": "BSH-LT14-2026",
            "declaredUnit": "unit",
            "kgCo2ePerUnit": amount,
            "systemBoundary": "cradle-to-gate",
            "periodStart": 1735689600,
            "periodEnd": 1767225600,
            "upstream": upstream,
            "nonce": "0x" + secrets.token_hex(32),
            "expiry": 4102444800,
        }
        typed = attestation_typed_data(message, chain_id=chain_id, contract=contract)
        record = attestation_record(typed, sign(typed, key), supplier_name=f"{component} Co., Ltd.")
        bundle = anchorer.bundle(record, attestations=[bundle] if bundle else [])
        upstream = [record["id"]]
    assert bundle is not None
    return bundle, upstream[0]


def label(pack_id: str | None) -> dict[str, Any]:
    """A label record made by the registry's own ``build_record`` (realistic fields and sizes)."""
    enterprise = Organisation(id="org-bishan", name="Bishan Computing", role=OrgRole.ENTERPRISE)
    certifier = Organisation(
        id="org-cqclc",
        name="Chongqing Carbon Label Center",
        role=OrgRole.CERTIFICATION_BODY,
        address="Yubei District, Chongqing",
    )
    data = dict(LAPTOP)
    if pack_id:
        data["components"] = [
            {
                "component_id": "CQ-PACK-56WH",
                "quantity": 1,
                "unit": "unit",
                "attestation_id": pack_id,
            }
        ]
    salt = secrets.token_bytes(32)
    footprint = Footprint(
        id="fp-bench",
        org_id=enterprise.id,
        content_hash="0" * 64,
        category="laptop",
        data=data,
        record=footprint_record(footprint_id="fp-bench", org=enterprise, data=data),
        master_salt="0x" + salt.hex(),
    )
    grade = grade_footprint(
        category="laptop",
        kg_co2e_per_unit=212.5,
        declared_unit="unit",
        system_boundary=data["system_boundary"],
    )
    return label_record(
        label_id="lbl-" + secrets.token_hex(6),
        certificate_number="CQ-CFL-2026-000123",
        footprint=footprint,
        enterprise=enterprise,
        certifier=certifier,
        body=LabelCreate(
            footprint_id="fp-bench", valid_from=date(2026, 1, 1), valid_until=date(2028, 12, 31)
        ),
        grade=grade.as_dict(),
        supersedes=None,
        issued_at=datetime.now(UTC),
    )


def recognitions(
    anchorer: Anchorer, leaf: str, chain_id: int, contract: str
) -> list[dict[str, Any]]:
    """Singapore recognises the label; Hong Kong the CQ-CFL scheme for laptops."""
    out = []
    for key, message, name, extra in (
        (SG_BODY_KEY, recognition_message(SG_BODY_KEY, subject=leaf), "SG body", {}),
        (
            HK_BODY_KEY,
            recognition_message(
                HK_BODY_KEY,
                subject=scheme_subject("CQ-CFL", "laptop"),
                subject_type="scheme",
                scheme=HK_SCHEME,
            ),
            "HK body",
            {"schemeId": "CQ-CFL"},
        ),
    ):
        typed = recognition_typed_data(message, chain_id=chain_id, contract=contract)
        record = RECOGNITION.record(
            typed, sign(typed, key), annotations={"recognizerName": name, **extra}
        )
        out.append(anchorer.bundle(record))
    return out


def timed(verifier: Verifier, data: bytes, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        report = verifier.verify(data)
        times.append(time.perf_counter() - start)
        if report.status is not Verdict.VALID:
            raise SystemExit(f"verification not VALID:\n{report.to_json()}")
    return statistics.median(times)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--batch", type=int, default=1024, help="leaves per anchored batch")
    args = parser.parse_args(argv)
    with hardhat_node() as url:
        w3 = Web3(Web3.HTTPProvider(url))
        client = AnchorClient.deploy(w3, Account.from_key(HARDHAT_KEY_0), poll_interval=0.01)
        anchorer = Anchorer(client, args.batch)
        chain_id, contract = client.chain_id, client.address

        bare = anchorer.bundle(label(None))
        pack, pack_id = hops(anchorer, chain_id, contract)
        record = label(pack_id)
        salt = secrets.token_bytes(32)
        leaf = anchorer.anchor(record, salt)
        full = build_bundle(
            record=record,
            salt=salt,
            leaf=leaf,
            attestations=[pack],
            recognitions=recognitions(anchorer, leaf.leaf_hash, chain_id, contract),
        )
        trust = parse_trust(profile("sg", contract=contract, rpc_url=url))
        verifier = Verifier(trust=trust)
        bare_bytes = json.dumps(bare, separators=(",", ":"), ensure_ascii=False).encode()
        full_bytes = json.dumps(full, separators=(",", ":"), ensure_ascii=False).encode()
        report = verifier.verify(full_bytes)
        if report.status is not Verdict.VALID:
            raise SystemExit(f"verification not VALID:\n{report.to_json()}")
        checks = len(report.results)
        recognised = [r for r in report.results if r.name == "recognition"]
        assert len(recognised) == 2 and all(r.status.value == "VALID" for r in recognised)
        timed(verifier, bare_bytes, 3)  # warm-up: imports, first connection
        baseline = timed(verifier, bare_bytes, args.repeat)
        target = timed(verifier, full_bytes, args.repeat)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"hardhat node, batches of {args.batch} leaves, median of {args.repeat}, load {load:.2f}")
    print(f"{'':44}{'time':>10}{'ratio':>8}{'size':>10}{'ratio':>8}")
    print(
        f"{'baseline: bare label bundle (6 checks)':44}{baseline * 1000:>8.1f}ms{1:>8.2f}"
        f"{len(bare_bytes) / KB:>8.1f}KB{1:>8.2f}"
    )
    print(
        f"{f'label + 3 hops + 2 recognitions ({checks} checks)':44}{target * 1000:>8.1f}ms"
        f"{target / baseline:>8.2f}{len(full_bytes) / KB:>8.1f}KB"
        f"{len(full_bytes) / len(bare_bytes):>8.2f}"
    )
    time_ok, size_ok = target < 0.100, len(full_bytes) < 16 * KB
    print(f"target full check < 100 ms: {'met' if time_ok else 'NOT met'}")
    print(f"target proof file < 16 KB: {'met' if size_ok else 'NOT met'}")
    return 0 if time_ok and size_ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
