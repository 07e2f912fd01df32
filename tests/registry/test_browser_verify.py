"""The in-browser verifier (registry/static/verify/) against the Python verifier and a real chain.

- The node:test suite in tests/registry/js/ runs with a fixture this module builds with the
  Python implementation (``verifier.protocol.leaf``, ``verifier.protocol.merkle``,
  ``verifier.Verifier``): edge-case
  records (unicode, nesting, numbers), and bundles anchored on a real ``hardhat node`` together
  with the Python verifier's verdict on each, which the JS must reproduce check by check.
- Headless Chromium loads a page with the autorun element, served by a stdlib HTTP server that
  also forwards ``/rpc`` to the hardhat node, and must show Genuine / Not genuine / Could not
  verify for a real, a tampered and an unreachable-node case.
- The vendored browser builds equal node_modules (``scripts/vendor-browser-libs.js --check``).
"""

from __future__ import annotations

import copy
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from eth_account import Account
from web3 import HTTPProvider, Web3

from anchoring.bundle import build_bundle
from anchoring.ledger import AnchoredLeaf, leaf_hash_hex
from anchoring.tree import MerkleTree
from tests.nodes import CHROMIUM_FLAGS, HARDHAT_KEY_0, ROOT, free_port, require_tool
from tests.registry.partners import SG_BODY_KEY, recognition_message
from tests.registry.partners import profile as partner_profile
from verifier._internal.checks import OFFLINE_CHECKS, RecognitionCheck
from verifier._internal.trust import parse_trust
from verifier._internal.verifier import VerificationReport, Verifier, verify_offline
from verifier.cli import recognitions_summary
from verifier.errors import BundleFormatError, TrustConfigError
from verifier.protocol.attestation import (
    ATTESTATION,
    MAX_UNIT,
    MAX_UPSTREAM,
    SYSTEM_BOUNDARIES,
    attestation_record,
    attestation_typed_data,
)
from verifier.protocol.canonical import canonicalize
from verifier.protocol.codes import Code
from verifier.protocol.eip712 import DOMAIN_NAME, DOMAIN_VERSION, MAX_TEXT, RECORD_MEMBERS
from verifier.protocol.hashing import keccak
from verifier.protocol.languages import LANGUAGES
from verifier.protocol.leaf import (
    LEAF_ENCODING,
    field_commitment,
    field_salt,
    jcs_order,
    record_leaf_value,
)
from verifier.protocol.merkle import leaf_hash
from verifier.protocol.reasons import RevocationReason
from verifier.protocol.recognition import (
    MAX_SCHEME,
    MAX_SCOPE,
    RECOGNITION,
    SUBJECT_TYPES,
    recognition_typed_data,
)

STATIC_DIR = ROOT / "registry" / "static"
JS_TESTS = ROOT / "tests" / "registry" / "js"
ARTIFACT = ROOT / "anchoring" / "artifacts" / "TanjiAnchorRegistry.json"
SCREENSHOTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
PROFILES = ROOT / "registry" / "data" / "trust-profiles"
PROFILE_URL = "/bundles/sg-partner-profile.json"  # where the test server serves the profile

# Records whose canonical form is easy to get wrong: every one is run through the Python protocol
# code and the JS must agree byte for byte (JCS text, salts, commitments, leaf value, leaf hash).
EDGE_RECORDS: dict[str, dict[str, Any]] = {
    "unicode": {
        "type": "label",
        "id": "碳迹-🌱-0001",
        "name": '重庆 Chóngqìng \u2028 "quoted" \\ back/slash',
        "emoji": "🌱🌏👩‍🔬",
        "control": "\u0000\u0008\t\n\u000c\r\u001f\u007f",
        "nonBmpKey": {"😀": "a", "\uffff": "b", "é": "c", "A": "d", "a": "e", "": "f"},
    },
    "nested": {
        "type": "footprint",
        "id": "CQ-FP-NESTED",
        "a": {"b": {"c": [1, 2, {"d": None, "e": True, "f": False}]}},
        "empty": {},
        "emptyList": [],
        "deep": [[[[[["bottom"]]]]]],
    },
    # Within the protocol's range (finite, below 2**53 in magnitude: docs/PROTOCOL.md section 2);
    # numbers beyond it are in canonical_refusals.
    "numbers": {
        "type": "footprint",
        "id": "CQ-FP-NUMBERS",
        "big": 4503599627370495.5,
        "tenth": 0.1,
        "negZero": -0.0,
        "maxSafe": 2**53 - 1,
        "minSafe": -(2**53 - 1),
        "tiny": 5e-324,
        "huge": 9007199254740991.0,
        "small": 1e-7,
        "micro": 0.000001,
        "e15": 1e15,
        "notInt": 1234567890123.4568,
        "one": 1.0,
        "list": [312.5, -1.5e-10, 100, 0, 18.42, 4.35, 1 / 3],
    },
    "keys": {
        "type": "attestation",
        "id": "k",
        "\U0001f331": 1,
        "\uffff": 2,
        "é": 3,
        "a": 4,
        "A": 5,
        "\u0080": 6,
        "aa": 7,
        "a\u0000": 8,
        "__proto__": {"polluted": True},
        "constructor": 9,
        "toString": 10,
    },
}
# Fields left out of the redacted variant of each edge record (shown only as commitments).
HIDDEN = {"unicode": ["emoji"], "nested": ["a", "deep"], "numbers": ["big", "list"], "keys": ["é"]}


def _salt(name: str) -> bytes:
    return keccak(f"tanji browser test salt {name}".encode())


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def edge_cases() -> list[dict[str, Any]]:
    """Expected protocol values of each edge record, computed by the Python implementation."""
    cases = []
    for name, record in EDGE_RECORDS.items():
        master = _salt(name)
        value = record_leaf_value(record, master)
        redacted = build_bundle(
            record=record,
            salt=master,
            leaf=None,
            disclose=[k for k in record if k not in HIDDEN[name]],
        )
        cases.append(
            {
                "name": name,
                "record": record,
                "masterSalt": _hex(master),
                "recordJcs": canonicalize(record).decode("utf-8"),
                "fields": [
                    {
                        "name": field,
                        "salt": _hex(field_salt(master, field)),
                        "jcs": canonicalize([field, record[field]]).decode("utf-8"),
                        "commitment": _hex(
                            field_commitment(field, record[field], field_salt(master, field))
                        ),
                    }
                    for field in jcs_order(record)
                ],
                "leafValue": value,
                "leafHash": _hex(leaf_hash(LEAF_ENCODING, value)),
                "redactedPendingBundle": redacted,
            }
        )
    return cases


def canonical_refusals() -> list[dict[str, Any]]:
    """Values the Python side refuses to canonicalise that JSON text can still carry to JS."""
    out: list[dict[str, Any]] = []
    for why, text in (("lone high surrogate", '"\\ud800"'), ("lone low surrogate", '"a\\udc00b"')):
        with pytest.raises(BundleFormatError):
            canonicalize(json.loads(text))
        out.append({"why": why, "json": text})
    # Numbers beyond I-JSON's range, however written (docs/PROTOCOL.md section 2, "Numbers").
    for text in (
        "1e20",
        "100000000000000000000",
        "[1, 9007199254740992]",
        '{"a": -9007199254740993}',
        "1e21",
        "1.7976931348623157e308",
        "1e400",
    ):
        with pytest.raises(BundleFormatError) as err:
            canonicalize(json.loads(text))
        assert err.value.code == Code.FORMAT_NUMBER_OUT_OF_RANGE
        out.append({"why": f"number {text}", "json": text, "code": int(err.value.code)})
    return out


def format_cases() -> list[dict[str, Any]]:
    """Malformed bundles (as JSON text) with the Python verifier's ``format`` result for each."""
    vectors = json.loads((ROOT / "tests" / "assets" / "protocol_vectors.json").read_text("utf-8"))
    full, redacted = vectors["bundles"]["full"], vectors["bundles"]["redacted"]
    attestation = vectors["bundles"]["attestation"]
    # A hop whose signed message is hidden: its signature is SKIPPED (790), so a chain of them is
    # VALID offline whatever links its upstream list would need.
    hop = vectors["bundles"]["attestationHiddenMessage"]

    def edit(base: dict[str, Any], change: Any) -> str:
        b = copy.deepcopy(base)
        change(b)
        return json.dumps(b, ensure_ascii=False)

    def nest(depth: int) -> dict[str, Any]:
        # Supplier attestations nested in their customers' attestations (lists are typed).
        b: dict[str, Any] = copy.deepcopy(hop)
        for _ in range(depth - 1):
            b = {**copy.deepcopy(hop), "attestations": [b]}
        return b

    text = json.dumps(full, ensure_ascii=False)
    cases: list[tuple[str, str]] = [
        ("not JSON", "{nope"),
        ("an array", "[]"),
        ("NaN", text.replace('"value": 312.5', '"value": NaN')),
        ("a duplicated key", text.replace('"grade": "A"', '"grade": "A", "grade": "C"')),
        ("nested 200 deep", "[" * 200 + "]" * 200),
        ("another format", edit(full, lambda b: b.update(format="tanji-bundle/2"))),
        ("no record", edit(full, lambda b: b.pop("record"))),
        ("record is a list", edit(full, lambda b: b.update(record=[]))),
        ("record type 1", edit(full, lambda b: b["record"].update(type=1))),
        ("empty record id", edit(full, lambda b: b["record"].update(id=""))),
        ("no salt", edit(full, lambda b: b.pop("salt"))),
        ("salt and disclosure", edit(full, lambda b: b.update(disclosure=redacted["disclosure"]))),
        ("short salt", edit(full, lambda b: b.update(salt="0x1234"))),
        ("odd hex", edit(full, lambda b: b.update(root=b["root"][:-1]))),
        ("no 0x", edit(full, lambda b: b.update(root=b["root"][2:]))),
        ("proof not a list", edit(full, lambda b: b.update(proof="0x"))),
        ("proof of 65", edit(full, lambda b: b.update(proof=[b["root"]] * 65))),
        ("leafValue short", edit(full, lambda b: b["leafValue"].pop())),
        ("leafValue bool", edit(full, lambda b: b["leafValue"].__setitem__(1, True))),
        ("bytes32 too short", edit(full, lambda b: b["leafValue"].__setitem__(2, "0x12"))),
        ("no anchor", edit(full, lambda b: b.pop("anchor"))),
        ("chain id 0", edit(full, lambda b: b["anchor"].update(chainId=0))),
        ("chain id string", edit(full, lambda b: b["anchor"].update(chainId="31337"))),
        ("short contract", edit(full, lambda b: b["anchor"].update(contract="0x1234"))),
        ("negative timestamp", edit(full, lambda b: b["anchor"].update(timestamp=-1))),
        ("status weird", edit(full, lambda b: b.update(status="weird"))),
        ("pending with root", edit(full, lambda b: b.update(status="pending", anchor=None))),
        (
            "salt for absent field",
            edit(redacted, lambda b: b["disclosure"]["salts"].update(x="0x" + "11" * 32)),
        ),
        (
            "hidden and disclosed",
            edit(redacted, lambda b: b["disclosure"]["hidden"].update(supplier="0x" + "11" * 32)),
        ),
        (
            "disclosed without salt",
            edit(redacted, lambda b: b["disclosure"]["salts"].pop("supplier")),
        ),
        (
            "bad nested bundle",
            edit(full, lambda b: b.update(attestations=[{"format": "tanji-bundle/1"}])),
        ),
        ("nested 9 deep", json.dumps(nest(9))),
        ("a label as a hop", edit(full, lambda b: b.update(attestations=[copy.deepcopy(full)]))),
        ("a label as a recognition", edit(full, lambda b: b.update(recognitions=[full]))),
        ("an attestation as a recognition", edit(full, lambda b: b.update(recognitions=[hop]))),
        (
            "a label as an upstream hop",
            edit(full, lambda b: b.update(attestations=[{**attestation, "attestations": [full]}])),
        ),
        ("an unknown anchor member", edit(full, lambda b: b["anchor"].update(chainID=1))),
        (
            "an unknown disclosure member",
            edit(redacted, lambda b: b["disclosure"].update(salt=b["disclosure"]["salts"])),
        ),
        ("an attestation as a hop (fine)", edit(full, lambda b: b.update(attestations=[hop]))),
        ("nested 8 deep (fine)", json.dumps(nest(8))),
        ("well formed", text),
    ]
    out = []
    for why, case in cases:
        report = verify_offline(case)
        result = next(r for r in report.results if r.name == "format")
        out.append(
            {
                "why": why,
                "json": case,
                "status": result.status.value,
                "code": int(result.code),
                "field": result.data.get("field"),
                "verdict": report.status.value,
            }
        )
    codes = {c["why"]: c["code"] for c in out}
    mistyped = ("a label as a hop", "a label as a recognition", "an attestation as a recognition")
    assert {codes[why] for why in (*mistyped, "a label as an upstream hop")} == {
        Code.FORMAT_WRONG_RECORD_TYPE
    }
    assert codes["an attestation as a hop (fine)"] == codes["nested 8 deep (fine)"] == Code.OK
    return out


VECTORS: dict[str, Any] = json.loads(
    (ROOT / "tests" / "assets" / "protocol_vectors.json").read_text("utf-8")
)


def _fixed_clock(now: int) -> Callable[[], float]:
    """A clock that always says ``now`` (unix seconds)."""
    return lambda: now


def statement_results() -> list[dict[str, Any]]:
    """Every signed-statement vector with the Python verifier's whole results on it.

    The offline checks and ``recognition`` (no node needed), each result as the wire gives it
    (``to_dict``: status, code, data, messages in every language), for the JS to reproduce.
    """
    out = []
    for case in VECTORS["statements"]["cases"]:
        checks = [*OFFLINE_CHECKS, RecognitionCheck(clock=_fixed_clock(case["now"]))]
        report = Verifier(trust=parse_trust(case["trust"]), checks=checks).verify(case["bundle"])
        summaries = {lang: recognitions_summary(report.results, lang=lang) for lang in LANGUAGES}
        out.append(
            {**case, "results": [r.to_dict() for r in report.results], "summaries": summaries}
        )
    return out


def statement_definitions() -> dict[str, Any]:
    """The EIP-712 facts the in-browser verifier restates, as the Python verifier defines them."""
    kinds = {}
    for kind in (ATTESTATION, RECOGNITION):
        kinds[kind.record_type] = {
            "primaryType": kind.primary_type,
            "signerMember": kind.signer_member,
            "struct": [dict(member) for member in kind.struct],
        }
    return {
        "recordMembers": list(RECORD_MEMBERS),
        "domainName": DOMAIN_NAME,
        "domainVersion": DOMAIN_VERSION,
        "kinds": kinds,
        "systemBoundaries": list(SYSTEM_BOUNDARIES),
        "subjectTypes": list(SUBJECT_TYPES),
        "attestationLimits": {"text": MAX_TEXT, "unit": MAX_UNIT, "upstream": MAX_UPSTREAM},
        "recognitionLimits": {"scheme": MAX_SCHEME, "scope": MAX_SCOPE},
    }


def _parsed_trust(doc: dict[str, Any]) -> dict[str, Any]:
    """A trust file as the JS ``parseTrust`` returns it, from the Python parser's reading."""
    trust = parse_trust(doc)
    return {
        "name": trust.name,
        "chains": [
            {
                "chainId": c.chain_id,
                "rpcUrl": c.rpc_url,
                "contracts": sorted(c.contracts),
                "confirmations": c.confirmations,
            }
            for c in trust.chains
        ],
        "issuers": [{"address": i.address, "name": i.name} for i in trust.issuers],
        "certificationBodies": [
            {
                "address": b.address,
                "name": b.name,
                "schemes": sorted(b.schemes),
                "categories": sorted(b.categories),
            }
            for b in trust.certification_bodies
        ],
        "acceptedSchemes": None
        if trust.accepted_schemes is None
        else sorted(trust.accepted_schemes),
    }


def trust_cases() -> list[dict[str, Any]]:
    """Trust files, the shipped partner profiles among them, and the Python parser's reading (or
    the field it refuses)."""
    sg = json.loads((PROFILES / "sg-partner.json").read_text("utf-8"))
    chain = {"chainId": 31337, "contracts": ["0x" + "ab" * 20]}
    base = {"format": "tanji-trust/1", "chains": [chain]}
    body = {"address": "0x" + "cd" * 20}
    docs: list[tuple[str, Any]] = [
        *(
            (f"{p.stem} (shipped)", json.loads(p.read_text("utf-8")))
            for p in PROFILES.glob("*.json")
        ),
        ("a page's trust", {**base, "issuers": [{"address": "0x" + "ef" * 20}]}),
        ("another format", {**base, "format": "tanji-trust/2"}),
        ("no chains", {"format": "tanji-trust/1"}),
        ("a chain listed twice", {**base, "chains": [chain, chain]}),
        ("chain id 0", {**base, "chains": [{**chain, "chainId": 0}]}),
        ("a short contract", {**base, "chains": [{**chain, "contracts": ["0x1234"]}]}),
        ("an issuer without address", {**base, "issuers": [{"name": "x"}]}),
        ("a body listed twice", {**base, "certificationBodies": [body, body]}),
        ("a scheme that is not text", {**base, "certificationBodies": [{**body, "schemes": [1]}]}),
        ("accepted schemes not a list", {**base, "acceptedSchemes": "SG"}),
        ("an empty rpcUrl", {**base, "chains": [{**chain, "rpcUrl": ""}]}),
        ("confirmations required", {**base, "chains": [{**chain, "confirmations": 12}]}),
        ("negative confirmations", {**base, "chains": [{**chain, "confirmations": -1}]}),
        ("confirmations as text", {**base, "chains": [{**chain, "confirmations": "12"}]}),
        ("a body in upper case", {**sg, "certificationBodies": [{"address": "0x" + "CD" * 20}]}),
    ]
    out = []
    for why, doc in docs:
        try:
            out.append({"why": why, "doc": doc, "parsed": _parsed_trust(doc)})
        except TrustConfigError as exc:
            out.append({"why": why, "doc": doc, "field": exc.field})
    assert sum("parsed" in c for c in out) >= 4 and sum("field" in c for c in out) >= 8
    return out


# -- a real chain -------------------------------------------------------------------------------


@dataclass
class LiveChain:
    """Bundles anchored on a hardhat node, and the trust a page would carry for them."""

    rpc_url: str
    chain_id: int
    contract: str
    issuer: str
    bundles: dict[str, dict[str, Any]]
    trust: dict[str, Any]  # a partner's profile (sg-partner.json) for this deployment


class _Deployer:
    def __init__(self, url: str) -> None:
        self.w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
        self.account = Account.from_key(HARDHAT_KEY_0)
        self.chain_id = self.w3.eth.chain_id
        artifact = json.loads(ARTIFACT.read_text())
        self.abi = artifact["abi"]
        self.bytecode = artifact["bytecode"]
        self.contract: Any = None

    def send(self, call: Any) -> Any:
        tx = call.build_transaction(
            {
                "from": self.account.address,
                "nonce": self.w3.eth.get_transaction_count(self.account.address, "pending"),
                "chainId": self.chain_id,
            }
        )
        signed = self.account.sign_transaction(tx)
        receipt = self.w3.eth.wait_for_transaction_receipt(
            self.w3.eth.send_raw_transaction(signed.raw_transaction), timeout=30
        )
        assert receipt["status"] == 1, receipt
        return receipt

    def deploy(self) -> str:
        factory = self.w3.eth.contract(abi=self.abi, bytecode=self.bytecode)
        receipt = self.send(factory.constructor(self.account.address))
        self.contract = self.w3.eth.contract(address=receipt["contractAddress"], abi=self.abi)
        return str(receipt["contractAddress"]).lower()

    def anchor_batch(
        self, records: list[dict[str, Any]], *, anchor: bool = True
    ) -> tuple[MerkleTree, list[bytes], dict[str, Any]]:
        """Tree the records; anchor its root unless told not to; the anchor fields of a bundle."""
        salts = [_salt(f"{r['type']}/{r['id']}") for r in records]
        tree = MerkleTree.of(
            [record_leaf_value(r, s) for r, s in zip(records, salts, strict=True)], LEAF_ENCODING
        )
        if not anchor:
            return tree, salts, {}
        receipt = self.send(
            self.contract.functions.anchor(tree.root, len(records), keccak(tree.root))
        )
        on_chain = self.contract.functions.anchorOf(tree.root).call()
        return (
            tree,
            salts,
            {
                "tx_hash": _hex(bytes(receipt["transactionHash"])),
                "block_number": int(receipt["blockNumber"]),
                "timestamp": int(on_chain[1]),
            },
        )


def _bundle(
    d: _Deployer,
    contract: str,
    tree: MerkleTree,
    records: list[dict[str, Any]],
    salts: list[bytes],
    i: int,
    anchor: dict[str, Any],
    disclose: list[str] | None = None,
) -> dict[str, Any]:
    value = record_leaf_value(records[i], salts[i])
    leaf = AnchoredLeaf(
        record_type=records[i]["type"],
        record_id=records[i]["id"],
        leaf_value=value,
        leaf_hash=leaf_hash_hex(value),
        proof=tree.proof_hex(i),
        root=tree.root_hex,
        chain_id=d.chain_id,
        contract=contract,
        **anchor,
    )
    return build_bundle(record=records[i], salt=salts[i], leaf=leaf, disclose=disclose)


def _label(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "label",
        "id": f"CQ-LBL-BROWSER-{n:04d}",
        "product": {"name": f"笔记本电脑 ThinkBook {n}", "gtin": "06901234567892"},
        "footprint": {"value": 312.5 + n, "unit": "kg CO2e", "declaredUnit": "1 unit"},
        "grade": "A",
        "geography": "CN-CQ",
        **extra,
    }


@pytest.fixture(scope="module")
def live_chain(hardhat_url: str) -> LiveChain:
    """A fresh anchor contract on the session's hardhat node with anchored and revoked bundles."""
    d = _Deployer(hardhat_url)
    contract = d.deploy()
    batch1 = [
        _label(1),
        {
            "type": "attestation",
            "id": "CQ-ATT-BROWSER-1",
            "supplier": "重庆某电池有限公司",
            "unitCostCny": 412.5,
            "footprint": {"value": 18.42, "unit": "kg CO2e"},
        },
        _label(3),
        _label(8),
    ]
    tree1, salts1, anchor1 = d.anchor_batch(batch1)
    # Label 3 revoked for a data error (INVALID), label 8 superseded (SUPERSEDED, not INVALID).
    for index, reason in ((2, RevocationReason.DATA_ERROR), (3, RevocationReason.SUPERSEDED)):
        d.send(
            d.contract.functions.revokeLeaf(
                tree1.root,
                leaf_hash(LEAF_ENCODING, record_leaf_value(batch1[index], salts1[index])),
                tree1.proof(index),
                reason,
            )
        )
    batch2 = [_label(4), _label(5)]
    tree2, salts2, anchor2 = d.anchor_batch(batch2)
    d.send(d.contract.functions.revokeRoot(tree2.root, 1))
    batch3 = [_label(6), _label(7)]
    tree3, salts3, _ = d.anchor_batch(batch3, anchor=False)

    valid = _bundle(d, contract, tree1, batch1, salts1, 0, anchor1)
    tampered = copy.deepcopy(valid)
    tampered["record"]["footprint"]["value"] = 100.0  # one changed record value
    bundles = {
        "valid": valid,
        "redacted": _bundle(
            d, contract, tree1, batch1, salts1, 1, anchor1, disclose=["supplier", "footprint"]
        ),
        "tampered": tampered,
        "leafRevoked": _bundle(d, contract, tree1, batch1, salts1, 2, anchor1),
        "superseded": _bundle(d, contract, tree1, batch1, salts1, 3, anchor1),
        "rootRevoked": _bundle(d, contract, tree2, batch2, salts2, 0, anchor2),
        # A well-formed bundle whose root was never anchored (it borrows batch 1's transaction).
        "notAnchored": _bundle(d, contract, tree3, batch3, salts3, 0, anchor1),
        "withAttestation": {
            **_bundle(d, contract, tree1, batch1, salts1, 0, anchor1),
            "attestations": [
                _bundle(d, contract, tree1, batch1, salts1, 1, anchor1, disclose=["footprint"])
            ],
        },
    }
    bundles.update(_supply_chain(d, contract))
    trust = partner_profile("sg", contract=contract, rpc_url=hardhat_url)
    return LiveChain(hardhat_url, d.chain_id, contract, d.account.address.lower(), bundles, trust)


def _signed_attestation(key: bytes, message: dict[str, Any], chain_id: int, contract: str) -> Any:
    typed = attestation_typed_data(message, chain_id=chain_id, contract=contract)
    signature = Account.sign_typed_data(key, full_message=typed).signature
    return attestation_record(typed, bytes(signature), supplier_name=message["componentId"])


def _supply_chain(d: _Deployer, contract: str) -> dict[str, dict[str, Any]]:
    """A laptop label naming a battery pack (which cites its cells) and recognised by the example
    Singapore body of registry/data/trust-profiles/sg-partner.json; a second label whose
    recognition the body withdrew (its leaf revoked on chain, reason 2). All signed for this
    deployment and anchored in one batch."""
    cell_key, pack_key = keccak(b"tanji/tests/browser/cell"), keccak(b"tanji/tests/browser/pack")
    cell_message = {
        "supplier": Account.from_key(cell_key).address,
        "componentId": "CQ-CELL-21700-A",
        "productId": "THINKBOOK-14-2026",
        "declaredUnit": "unit",
        "kgCo2ePerUnit": "0.482",
        "systemBoundary": "cradle-to-gate",
        "periodStart": 1735689600,
        "periodEnd": 1767225600,
        "upstream": [],
        "nonce": _hex(keccak(b"tanji/tests/browser/nonce/cell")),
        "expiry": 1798761600,
    }
    cell = _signed_attestation(cell_key, cell_message, d.chain_id, contract)
    pack_message = {
        **cell_message,
        "supplier": Account.from_key(pack_key).address,
        "componentId": "CQ-PACK-56WH",
        "kgCo2ePerUnit": "31.07",
        "upstream": [cell["id"]],
        "nonce": _hex(keccak(b"tanji/tests/browser/nonce/pack")),
    }
    pack = _signed_attestation(pack_key, pack_message, d.chain_id, contract)
    laptop = {"name": "笔记本电脑 ThinkBook 14", "gtin": "06901234567892", "category": "laptop"}
    component = {"attestation_id": pack["id"], "component_id": "CQ-PACK-56WH", "quantity": 1}
    labels = [
        _label(8, product=laptop, certificate_number="CQ-CFL-2026-000008", components=[component]),
        _label(9, product=laptop, certificate_number="CQ-CFL-2026-000009"),
    ]
    leaves = [
        _hex(leaf_hash(LEAF_ENCODING, record_leaf_value(r, _salt(f"label/{r['id']}"))))
        for r in labels
    ]
    recognitions = []
    for n, leaf in enumerate(leaves):
        message = recognition_message(
            SG_BODY_KEY, subject=leaf, valid_from=int(time.time()) - 3600, tag=f"browser-{n}"
        )
        typed = recognition_typed_data(message, chain_id=d.chain_id, contract=contract)
        signature = Account.sign_typed_data(SG_BODY_KEY, full_message=typed).signature
        recognitions.append(RECOGNITION.record(typed, bytes(signature)))
    batch = [labels[0], pack, cell, recognitions[0], labels[1], recognitions[1]]
    tree, salts, anchor = d.anchor_batch(batch)
    withdrawn = leaf_hash(LEAF_ENCODING, record_leaf_value(batch[5], salts[5]))
    d.send(
        d.contract.functions.revokeLeaf(
            tree.root, withdrawn, tree.proof(5), RevocationReason.WITHDRAWN
        )
    )

    def one(i: int) -> dict[str, Any]:
        return _bundle(d, contract, tree, batch, salts, i, anchor)

    return {
        "supplyChain": {
            **one(0),
            "attestations": [{**one(1), "attestations": [one(2)]}],
            "recognitions": [one(3)],
        },
        "recognitionWithdrawn": {**one(4), "recognitions": [one(5)]},
    }


def python_verdicts(chain: LiveChain) -> dict[str, Any]:
    """The Python verifier's verdict and every result (as the wire gives it) for each live bundle,
    under the partner's profile for this deployment."""
    verifier = Verifier(trust=parse_trust(chain.trust), timeout=10)
    out = {}
    for name, bundle in chain.bundles.items():
        report = verifier.verify(bundle)
        out[name] = {
            "status": report.status.value,
            "checks": [r.to_dict() for r in report.results],
        }
    return out


def finality_cases(chain: LiveChain) -> list[dict[str, Any]]:
    """The valid bundle under the partner's profile requiring more confirmations than its block
    has (PENDING 409) and exactly as many as it has (VALID), with the Python verifier's verdict.

    The node mines only on transactions, so the head stays put while both verifiers run."""
    bundle = chain.bundles["valid"]
    depth = Web3(HTTPProvider(chain.rpc_url)).eth.block_number - bundle["anchor"]["blockNumber"]
    assert depth >= 1  # the revocations after batch 1 are blocks on top of it
    out = []
    for why, required in (("not final", depth + 1000), ("just final", depth)):
        trust = copy.deepcopy(chain.trust)
        (entry,) = (c for c in trust["chains"] if c["chainId"] == chain.chain_id)
        entry["confirmations"] = required
        report = Verifier(trust=parse_trust(trust), timeout=10).verify(bundle)
        out.append(
            {
                "why": why,
                "bundle": "valid",
                "trust": trust,
                "required": required,
                "python": {
                    "status": report.status.value,
                    "checks": [r.to_dict() for r in report.results],
                },
            }
        )
    assert [c["python"]["status"] for c in out] == ["PENDING", "VALID"]
    return out


# -- node:test --------------------------------------------------------------------------------


def test_node_suite(tmp_path: Path, live_chain: LiveChain) -> None:
    """`node --test tests/registry/js/` passes with the Python-made fixture, nothing skipped."""
    require_tool("node")
    verdicts = python_verdicts(live_chain)
    # The Python verifier's own verdicts are what the JS must match; make sure they are the
    # interesting ones, or matching them would prove little.
    assert {k: v["status"] for k, v in verdicts.items()} == {
        "valid": "VALID",
        "redacted": "VALID",
        "tampered": "INVALID",
        "leafRevoked": "INVALID",
        "superseded": "SUPERSEDED",
        "rootRevoked": "INVALID",
        "notAnchored": "INVALID",
        "withAttestation": "VALID",
        "supplyChain": "VALID",
        "recognitionWithdrawn": "INVALID",
    }
    supply_chain = {r["name"]: r for r in verdicts["supplyChain"]["checks"]}
    for name in (
        "attestations[0].attestation_signature",
        "attestations[0].attestations[0].attestation_signature",
        "recognitions[0].recognition",
    ):
        assert (supply_chain[name]["status"], supply_chain[name]["code"]) == ("VALID", 0), name
    withdrawn = {r["name"]: r for r in verdicts["recognitionWithdrawn"]["checks"]}
    assert withdrawn["recognitions[0].not_revoked"]["code"] == Code.REVOKED_LEAF
    fixture = {
        "edgeCases": edge_cases(),
        "canonicalRefusals": canonical_refusals(),
        "formatCases": format_cases(),
        "statementResults": statement_results(),
        "statementDefinitions": statement_definitions(),
        "trustCases": trust_cases(),
        "chain": {
            "rpcUrl": live_chain.rpc_url,
            "chainId": live_chain.chain_id,
            "contract": live_chain.contract,
            "issuer": live_chain.issuer,
            "trust": live_chain.trust,
            "recognizerName": live_chain.trust["certificationBodies"][0]["name"],
            "bundles": live_chain.bundles,
            "pythonVerdicts": verdicts,
            "finalityCases": finality_cases(live_chain),
        },
    }
    path = tmp_path / "browser-fixture.json"
    path.write_text(json.dumps(fixture, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run(
        ["node", "--test", "--test-reporter=tap", str(JS_TESTS)],
        cwd=ROOT,
        env={**os.environ, "TANJI_JS_FIXTURE": str(path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    counts = dict(re.findall(r"^# (pass|fail|skipped|todo|cancelled) (\d+)$", output, re.M))
    assert int(counts["pass"]) >= 20, output[-3000:]
    assert counts["fail"] == "0" and counts["skipped"] == "0" and counts["cancelled"] == "0", (
        output[-3000:]
    )


# -- vendored files -----------------------------------------------------------------------------


def test_vendored_libs_match_node_modules(tmp_path: Path) -> None:
    """The committed vendor/ files equal node_modules; a changed byte makes --check fail."""
    require_tool("node")
    script = ROOT / "scripts" / "vendor-browser-libs.js"
    ok = subprocess.run(["node", str(script), "--check"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    copy_dir = tmp_path / "vendor"
    shutil.copytree(STATIC_DIR / "vendor", copy_dir)
    same = subprocess.run(
        ["node", str(script), "--check", "--dir", str(copy_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert same.returncode == 0, same.stdout + same.stderr
    target = copy_dir / "ethers.umd.min.js"
    data = bytearray(target.read_bytes())
    data[-2] ^= 1
    target.write_bytes(bytes(data))
    bad = subprocess.run(
        ["node", str(script), "--check", "--dir", str(copy_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert "ethers.umd.min.js: differs from node_modules" in bad.stderr


# -- headless Chromium --------------------------------------------------------------------------


class _PageServer:
    """A loopback HTTP server for the browser: registry/static, test bundles, pages, /rpc proxy."""

    def __init__(
        self,
        rpc_target: str,
        pages: dict[str, str],
        bundles: dict[str, Any],
        api_upstream: str | None = None,
    ) -> None:
        self.rpc_target = rpc_target
        self.api_upstream = api_upstream
        self.pages = pages
        self.bundles = {k: json.dumps(v, ensure_ascii=False).encode() for k, v in bundles.items()}
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(STATIC_DIR), **kwargs)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path.startswith("/api/") and server.api_upstream:
                    # Same origin as the page, as on the registry itself.
                    with urllib.request.urlopen(server.api_upstream + self.path, timeout=30) as up:
                        return self._send(up.status, up.read(), up.headers["Content-Type"])
                if path.startswith("/static/"):
                    self.path = self.path[len("/static") :]
                    return super().do_GET()
                if path.startswith("/bundles/") and path[len("/bundles/") :] in server.bundles:
                    return self._send(
                        200, server.bundles[path[len("/bundles/") :]], "application/json"
                    )
                if path.startswith("/page/") and path[len("/page/") :] in server.pages:
                    return self._send(
                        200,
                        server.pages[path[len("/page/") :]].encode(),
                        "text/html; charset=utf-8",
                    )
                return self._send(404, b"not found", "text/plain")

            def do_POST(self) -> None:
                if self.path != "/rpc":
                    return self._send(404, b"not found", "text/plain")
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                req = urllib.request.Request(
                    server.rpc_target, body, {"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(req, timeout=10) as resp:
                    self._send(200, resp.read(), "application/json")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _PageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _page(
    bundle_url: str,
    *,
    rpc_url: str,
    chain_id: int,
    contracts: list[str],
    issuers: Sequence[str] = (),
    load_ethers: bool = True,
    lang: str = "zh",
    trust_url: str | None = None,
) -> str:
    # The snippet the label page carries (registry/static/verify/README.md); the server fills in
    # the trust. With load_ethers the page fetches ethers in parallel (a deferred classic script);
    # without, tanji-verify.js imports it itself: both paths must work. ``lang`` is the page's
    # language as the server writes it; ``trust_url`` names a trust profile (data-trust-url).
    ethers = '<script src="/static/vendor/ethers.umd.min.js" defer></script>' if load_ethers else ""
    profile = f' data-trust-url="{trust_url}"' if trust_url else ""
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Tanji verify test</title>
<link rel="stylesheet" href="/static/tanji.css">
<link rel="stylesheet" href="/static/verify/tanji-verify.css">
<link rel="modulepreload" href="/static/verify/tanji-verify.js">
</head><body><main>
<h1>笔记本电脑 ThinkBook 1</h1>
<section id="tanji-verify" data-bundle-url="{bundle_url}" data-rpc-url="{rpc_url}"
  data-chain-id="{chain_id}" data-contracts="{",".join(contracts)}"
  data-issuers="{",".join(issuers)}"{profile}>
<noscript>请启用 JavaScript 以在本机独立核验 · Enable JavaScript to verify on this device</noscript>
</section>
{ethers}
<script type="module" src="/static/verify/tanji-verify-page.js"></script>
</main></body></html>"""


def _chromium(url: str, tmp_path: Path, *, screenshot: Path | None = None) -> str:
    profile = tmp_path / f"profile-{free_port()}"
    args = [
        CHROMIUM,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
    ]
    args += (
        [f"--screenshot={screenshot}", "--window-size=390,844"] if screenshot else ["--dump-dom"]
    )
    proc = subprocess.run([*args, url], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _verdict_section(dom: str) -> str:
    match = re.search(r'<section id="tanji-verify".*?</section>', dom, re.S)
    assert match, dom[-3000:]
    return match.group(0)


@pytest.fixture(scope="module")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        require_tool("chromium")  # skips on a laptop without it, fails under CI=true
    return CHROMIUM


@pytest.fixture(scope="module")
def page_server(live_chain: LiveChain) -> Iterator[_PageServer]:
    closed_port = free_port()  # nothing listens there: a node that is down
    trust: dict[str, Any] = {"chain_id": live_chain.chain_id, "contracts": [live_chain.contract]}
    pages = {
        "valid.html": _page("/bundles/valid.json", rpc_url="/rpc", **trust),
        "redacted.html": _page(
            "/bundles/redacted.json", rpc_url="/rpc", load_ethers=False, **trust
        ),
        "tampered.html": _page("/bundles/tampered.json", rpc_url="/rpc", **trust),
        "revoked.html": _page("/bundles/leafRevoked.json", rpc_url="/rpc", **trust),
        "superseded.html": _page("/bundles/superseded.json", rpc_url="/rpc", **trust),
        "down.html": _page(
            "/bundles/valid.json", rpc_url=f"http://127.0.0.1:{closed_port}", **trust
        ),
        "nested.html": _page("/bundles/withAttestation.json", rpc_url="/rpc", **trust),
        "untrusted.html": _page(
            "/bundles/valid.json",
            rpc_url="/rpc",
            chain_id=live_chain.chain_id,
            contracts=["0x" + "11" * 20],
        ),
        # A supply-chain label recognised by the example Singapore body, under the Singapore
        # partner's profile (sg-partner.json with this deployment's contract) named by the page...
        "supply-chain.html": _page(
            "/bundles/supplyChain.json", rpc_url="/rpc", trust_url=PROFILE_URL, **trust
        ),
        # ... or by the reader (?trust=), on a Traditional Chinese page that names none.
        "supply-chain-hant.html": _page(
            "/bundles/supplyChain.json", rpc_url="/rpc", lang="zh-Hant", **trust
        ),
        "withdrawn.html": _page(
            "/bundles/recognitionWithdrawn.json", rpc_url="/rpc", trust_url=PROFILE_URL, **trust
        ),
    }
    bundles = {f"{k}.json": v for k, v in live_chain.bundles.items()}
    bundles[PROFILE_URL.rsplit("/", 1)[1]] = live_chain.trust
    with _PageServer(live_chain.rpc_url, pages, bundles) as server:
        yield server


@pytest.mark.parametrize(
    ("page", "verdict", "words", "check_statuses"),
    [
        (
            "valid.html",
            "VALID",
            ["真实有效", "Genuine"],
            {
                "integrity": "VALID",
                "inclusion": "VALID",
                "anchored": "VALID",
                "not_revoked": "VALID",
            },
        ),
        ("redacted.html", "VALID", ["真实有效", "Genuine", "1 个隐藏"], {"integrity": "VALID"}),
        ("tampered.html", "INVALID", ["无效", "Not genuine"], {"integrity": "INVALID"}),
        (
            "revoked.html",
            "INVALID",
            ["无效", "Not genuine", "数据错误"],
            {"not_revoked": "INVALID"},
        ),
        (
            # Genuine and replaced: its own outcome, never "Not genuine".
            "superseded.html",
            "SUPERSEDED",
            ["已被取代", "Superseded", 'data-code="502"'],
            {"not_revoked": "SUPERSEDED", "integrity": "VALID", "anchored": "VALID"},
        ),
        (
            "down.html",
            "ERROR",
            ["无法验证", "Could not verify"],
            {"integrity": "VALID", "inclusion": "VALID", "anchored": "ERROR"},
        ),
        ("untrusted.html", "INVALID", ["Not genuine"], {"anchored": "INVALID"}),
        (
            "nested.html",
            "VALID",
            # An unsigned hop record: its signature cannot be checked by anybody (790), as in
            # `tanji verify`; nothing is left unchecked "in the browser".
            ["Genuine", 'data-status="SKIPPED" data-code="790"'],
            {
                "anchored": "VALID",
                "attestations\\[0\\].integrity": "VALID",
                "attestations\\[0\\].anchored": "VALID",
                "attestations\\[0\\].attestation_signature": "SKIPPED",
            },
        ),
        (
            "withdrawn.html",
            "INVALID",
            ["无效", "Not genuine", "发证方已撤回", "withdrawn by the issuer"],
            {
                "recognitions\\[0\\].recognition": "VALID",
                "recognitions\\[0\\].not_revoked": "INVALID",
            },
        ),
    ],
)
def test_browser_shows_verdict(
    chromium: str,
    page_server: _PageServer,
    tmp_path: Path,
    page: str,
    verdict: str,
    words: list[str],
    check_statuses: dict[str, str],
) -> None:
    """The page verifies on its own in headless Chromium and says so in Chinese and English."""
    section = _verdict_section(_chromium(f"{page_server.url}/page/{page}", tmp_path))
    assert f'data-verdict="{verdict}"' in section, section
    for word in words:
        assert word in section, section
    for check, status in check_statuses.items():
        assert re.search(rf'data-check="{check}" data-status="{status}"', section), section
    assert "not checked in the browser" not in section and "未在浏览器中核验" not in section


def test_browser_rpc_override_reaches_readers_own_node(
    chromium: str, page_server: _PageServer, live_chain: LiveChain, tmp_path: Path
) -> None:
    """`?rpc=` sends the checks to another node (here the hardhat node itself, cross-origin)."""
    down = f"{page_server.url}/page/down.html"
    section = _verdict_section(_chromium(f"{down}?rpc={live_chain.rpc_url}", tmp_path))
    assert 'data-verdict="VALID"' in section, section
    assert live_chain.rpc_url in section and "Your chosen chain node" in section


def _python_report(chain: LiveChain, name: str) -> VerificationReport:
    """The Python verifier's report on a live bundle under the partner's profile."""
    return Verifier(trust=parse_trust(chain.trust), timeout=10).verify(chain.bundles[name])


def test_browser_supply_chain_label_with_recognition(
    chromium: str, page_server: _PageServer, live_chain: LiveChain, tmp_path: Path
) -> None:
    """A label with two signed supply-chain hops and a partner's recognition, under the Singapore
    partner's profile (the page's data-trust-url): every hop's signature and the recognition are
    VALID in the browser, each line says what `tanji verify` says (its message, in the page's
    language and beside it in English), and so does the recognitions line."""
    section = _verdict_section(_chromium(f"{page_server.url}/page/supply-chain.html", tmp_path))
    assert 'data-verdict="VALID"' in section, section
    assert "真实有效" in section and "Genuine" in section and "信任配置：" in section
    report = _python_report(live_chain, "supplyChain")
    assert report.status.value == "VALID"
    statements = [r for r in report.results if r.name in ("attestation_signature", "recognition")]
    assert [(r.qualified_name, r.status.value) for r in statements] == [
        ("attestations[0].attestation_signature", "VALID"),
        ("attestations[0].attestations[0].attestation_signature", "VALID"),
        ("recognitions[0].recognition", "VALID"),
    ]
    for r in report.results:
        line = re.search(
            rf'<li [^>]*data-check="{re.escape(r.qualified_name)}" data-status="(\w+)" '
            rf'data-code="(\d+)".*?</li>',
            section,
            re.S,
        )
        assert line, (r.qualified_name, section)
        assert (line[1], int(line[2])) == (r.status.value, int(r.code)), r.qualified_name
        for lang in ("zh-Hans", "en"):
            assert html.escape(r.message(lang), quote=False) in line[0], (lang, line[0])
    for lang in ("zh-Hans", "en"):
        summary = recognitions_summary(report.results, lang=lang)
        assert summary and html.escape(summary, quote=False) in section, (summary, section)


def test_browser_reader_trust_profile_in_traditional_chinese(
    chromium: str, page_server: _PageServer, live_chain: LiveChain, tmp_path: Path
) -> None:
    """`?trust=` names the reader's own trust profile, as `tanji verify --trust` does; the page
    says so, in the page's language (zh-Hant) with English beside it."""
    url = f"{page_server.url}/page/supply-chain-hant.html?trust={PROFILE_URL}"
    section = _verdict_section(_chromium(url, tmp_path))
    assert 'data-verdict="VALID"' in section, section
    assert 'data-check="recognitions[0].recognition" data-status="VALID"' in section, section
    for words in ("真實有效", "Genuine", "使用您指定的信任設定：", "Your chosen trust profile:"):
        assert words in section, (words, section)
    report = _python_report(live_chain, "supplyChain")
    summary = recognitions_summary(report.results, lang="zh-Hant")
    assert summary and html.escape(summary, quote=False) in section, (summary, section)
    assert 'lang="zh-Hant"' in section and "供應商簽名" in section
    # Without a profile the page's own trust names no certification body: the recognition is
    # reported but not relied on (890), and the label is still genuine.
    section = _verdict_section(
        _chromium(f"{page_server.url}/page/supply-chain-hant.html", tmp_path)
    )
    assert 'data-verdict="VALID"' in section, section
    assert (
        'data-check="recognitions[0].recognition" data-status="SKIPPED" data-code="890"' in section
    )


def test_browser_screenshots(chromium: str, page_server: _PageServer, tmp_path: Path) -> None:
    """Phone-sized screenshots of each verdict, for a person to look at (test-artifacts/)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for name in ("valid", "tampered", "down", "supply-chain"):
        shot = SCREENSHOTS / f"browser-verify-{name}.png"
        shot.unlink(missing_ok=True)
        _chromium(f"{page_server.url}/page/{name}.html", tmp_path, screenshot=shot)
        assert shot.stat().st_size > 5000


# -- the registry itself ------------------------------------------------------------------------

REVOKED_WITHDRAWN = RevocationReason.WITHDRAWN


@contextmanager
def _serving(app: Any) -> Iterator[str]:
    """The registry app under uvicorn on a loopback port (lifespan on: the anchoring loop runs)."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), lifespan="on", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(60)


def _wait(client: httpx.Client, path: str, key: str) -> None:
    deadline = time.monotonic() + 120
    while client.get(path).json().get(key) != "anchored":
        assert time.monotonic() < deadline, f"{path}: {key} never became anchored"
        time.sleep(0.1)


def test_browser_verifies_a_label_issued_by_the_registry(chromium: str, tmp_path: Path) -> None:
    """A label issued and anchored by the registry (embedded chain, its own /rpc) reads Genuine
    in the browser, and Not genuine once the certifier revokes it."""
    # Imported here: the other tests in this module need only registry/static, not the app.
    from registry.app import create_app
    from registry.config import load_settings
    from tests.registry.factories import bearer, footprint, make_orgs

    settings = load_settings(
        data_dir=tmp_path / "data",
        batch_max_wait_seconds=0,
        poll_interval_seconds=0.05,
        base_url="https://tanji.test",
    )
    app = create_app(settings)
    with _serving(app) as url, httpx.Client(base_url=url, timeout=60) as c:
        orgs = make_orgs(app.state.engine)
        r = c.post("/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise))
        assert r.status_code == 201, r.text
        r = c.post(
            "/api/v1/labels",
            json={
                "footprint_id": r.json()["id"],
                "valid_from": "2026-01-01",
                "valid_until": "2028-12-31",
            },
            headers=bearer(orgs.certifier),
        )
        assert r.status_code == 201, r.text
        label_id = r.json()["id"]
        _wait(c, f"/api/v1/labels/{label_id}", "anchor_status")

        # What the label page's server side puts on the element: its own trust, not the bundle's.
        trust = app.state.chain.trust_document(rpc_url="/rpc", name="registry")
        chain = trust["chains"][0]
        page = _page(
            f"/api/v1/labels/{label_id}/bundle",
            rpc_url="/rpc",
            chain_id=chain["chainId"],
            contracts=chain["contracts"],
            issuers=[i["address"] for i in trust["issuers"]],
        )
        with _PageServer(f"{url}/rpc", {"label.html": page}, {}, api_upstream=url) as pages:
            section = _verdict_section(_chromium(f"{pages.url}/page/label.html", tmp_path))
            assert 'data-verdict="VALID"' in section, section
            for check in ("integrity", "inclusion", "anchored", "not_revoked", "issuer"):
                assert f'data-check="{check}" data-status="VALID"' in section, section

            r = c.post(
                f"/api/v1/labels/{label_id}/revoke",
                json={"reason_code": REVOKED_WITHDRAWN, "note": "withdrawn in a browser test"},
                headers=bearer(orgs.certifier),
            )
            assert r.status_code == 200, r.text
            _wait(c, f"/api/v1/labels/{label_id}", "revocation_status")
            section = _verdict_section(_chromium(f"{pages.url}/page/label.html", tmp_path))
            assert 'data-verdict="INVALID"' in section, section
            assert 'data-check="not_revoked" data-status="INVALID" data-code="501"' in section
            assert "发证方已撤回" in section and "withdrawn by the issuer" in section
