"""docs/PROTOCOL.md's worked vectors (tests/assets/protocol_vectors.json) hold for this verifier,
and the document prints what the vectors file holds.

The vectors' tree root and proofs came from @openzeppelin/merkle-tree when generated
(scripts/gen_protocol_vectors.py); here every value is recomputed and must match byte for byte.
The EIP-712 steps are recomputed by this file's own encoder, then compared with eth-account's
hashing and the verifier's signer recovery.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode
from eth_account.messages import encode_typed_data

from verifier._internal.bundle import parse_bundle
from verifier._internal.verifier import Verdict, verify_offline
from verifier.protocol.attestation import (
    ATTESTATION_STRUCT,
    attestation_typed_data,
    verify_attestation_record,
)
from verifier.protocol.canonical import canonicalize
from verifier.protocol.codes import Code
from verifier.protocol.contract_abi import ROOT_ANCHORED_TOPIC
from verifier.protocol.eip712 import RECORD_MEMBERS, typed_data_digest
from verifier.protocol.hashing import keccak
from verifier.protocol.leaf import (
    LEAF_ENCODING,
    commitments_digest,
    field_commitment,
    field_salt,
    jcs_order,
    record_leaf_value,
)
from verifier.protocol.merkle import leaf_hash, process_proof
from verifier.protocol.recognition import RECOGNITION_STRUCT, WITHDRAWAL_STRUCT
from verifier.protocol.signature import recover_address

ROOT = Path(__file__).resolve().parents[2]
VECTORS: dict[str, Any] = json.loads(
    (ROOT / "tests" / "assets" / "protocol_vectors.json").read_text("utf-8")
)
PROTOCOL = (ROOT / "docs" / "PROTOCOL.md").read_text("utf-8")
DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"


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


@pytest.mark.parametrize(
    ("kind", "signature"),
    [
        ("full", None),
        ("redacted", None),
        ("attestation", "VALID"),
        ("attestationRedacted", "VALID"),
        ("attestationHiddenMessage", "SKIPPED"),
    ],
)
def test_example_bundles_verify_offline(kind: str, signature: str | None) -> None:
    report = verify_offline(VECTORS["bundles"][kind])
    assert report.status is Verdict.VALID, report.to_json()
    checks = {r.name: (r.status.value, int(r.code)) for r in report.results}
    if signature is None:
        assert "attestation_signature" not in checks
    else:
        assert checks["attestation_signature"] == (signature, 0 if signature == "VALID" else 790)


def test_redacted_examples_hide_what_they_say() -> None:
    for kind, hidden in (
        ("redacted", {"process", "unitCostCny"}),
        ("attestationRedacted", {"supplierName"}),
        ("attestationHiddenMessage", {"message", "supplierName"}),
    ):
        red = VECTORS["bundles"][kind]
        assert "salt" not in red and set(red["disclosure"]["hidden"]) == hidden
        assert not set(red["disclosure"]["hidden"]) & set(red["record"])
        assert set(red["disclosure"]["salts"]) == set(red["record"])


# --- EIP-712 -----------------------------------------------------------------------------------


def encode_type(primary: str, struct: tuple[dict[str, str], ...]) -> str:
    return f"{primary}(" + ",".join(f"{m['type']} {m['name']}" for m in struct) + ")"


def word(kind: str, value: Any) -> bytes:
    """encodeData of one member (docs/PROTOCOL.md, section 16.2)."""
    if kind == "address":
        return bytes(12) + b(value)
    if kind == "string":
        return keccak(value.encode("utf-8"))
    if kind == "bytes32":
        return b(value)
    if kind == "bytes32[]":
        return keccak(b"".join(b(item) for item in value))
    assert kind in ("uint16", "uint64", "uint256"), kind
    return int(value).to_bytes(32, "big")


def test_constants() -> None:
    constants = VECTORS["constants"]
    assert b(constants["keccak256Empty"]) == keccak(b"")
    assert b(constants["checkSelector"]) == keccak(b"check(bytes32,bytes32,bytes32[])")[:4]
    assert b(constants["rootAnchoredTopic"]) == ROOT_ANCHORED_TOPIC
    assert constants["typeHashes"] == {
        "EIP712Domain": hx(keccak(DOMAIN_TYPE.encode())),
        "Attestation": hx(keccak(encode_type("Attestation", ATTESTATION_STRUCT).encode())),
        "Recognition": hx(keccak(encode_type("Recognition", RECOGNITION_STRUCT).encode())),
        "Withdrawal": hx(keccak(encode_type("Withdrawal", WITHDRAWAL_STRUCT).encode())),
    }


def hx(data: bytes) -> str:
    return "0x" + data.hex()


def test_domain_separator_vector() -> None:
    vector = VECTORS["eip712"]["domain"]
    dom = vector["domain"]
    words = [
        keccak(DOMAIN_TYPE.encode()),
        keccak(dom["name"].encode()),
        keccak(dom["version"].encode()),
        word("uint256", dom["chainId"]),
        word("address", dom["verifyingContract"]),
    ]
    assert [b(w["word"]) for w in vector["encodeData"]] == words
    separator = keccak(b"".join(words))
    assert b(vector["separator"]) == separator
    typed = VECTORS["eip712"]["attestations"][0]["typedData"]
    assert typed["domain"] == dom
    # eth-account's own EIP-712 encoder puts the domain separator in the signable's header.
    assert bytes(encode_typed_data(full_message=typed).header) == separator


@pytest.mark.parametrize("index", [0, 1], ids=["A1-cell", "A2-pack"])
def test_attestation_eip712_vector(index: int) -> None:
    vector = VECTORS["eip712"]["attestations"][index]
    record = vector["record"]
    message = record["message"]
    # The shape the registry stores: the seven signed members and the supplierName annotation.
    assert set(record) == {*RECORD_MEMBERS, "supplierName"}
    assert record["type"] == "attestation" and record["signer"] == message["supplier"]
    typed = attestation_typed_data(
        message, chain_id=record["chainId"], contract=record["verifyingContract"]
    )
    assert vector["typedData"] == typed
    assert vector["encodeType"] == encode_type("Attestation", ATTESTATION_STRUCT)
    type_hash = keccak(vector["encodeType"].encode())
    words = [type_hash] + [word(m["type"], message[m["name"]]) for m in ATTESTATION_STRUCT]
    assert [b(w["word"]) for w in vector["encodeData"]] == words
    assert [w["member"] for w in vector["encodeData"]] == [
        "typeHash",
        *(m["name"] for m in ATTESTATION_STRUCT),
    ]
    struct_hash = keccak(b"".join(words))
    assert b(vector["structHash"]) == struct_hash
    signing_input = b"\x19\x01" + b(VECTORS["eip712"]["domain"]["separator"]) + struct_hash
    assert b(vector["signingInput"]) == signing_input
    digest = keccak(signing_input)
    assert b(vector["digest"]) == digest == typed_data_digest(typed) == b(record["id"])
    sig = vector["signature"]
    raw = b(sig["r"]) + b(sig["s"]) + bytes([sig["v"]])
    assert hx(raw) == record["signature"]
    assert recover_address(digest, raw) == vector["signer"] == record["signer"]
    assert verify_attestation_record(record) == record["signer"]


def test_the_tree_attestation_is_the_pack_makers_signed_record_citing_its_cell_supplier() -> None:
    cell, pack = (v["record"] for v in VECTORS["eip712"]["attestations"])
    assert pack["message"]["upstream"] == [cell["id"]]
    assert VECTORS["records"][2]["record"] == pack
    assert VECTORS["bundles"]["attestation"]["record"] == pack


# --- docs/PROTOCOL.md prints the vectors ---------------------------------------------------------


def _hex_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value[2:].lower()] if value.startswith("0x") else []
    if isinstance(value, dict):
        return [h for v in value.values() for h in _hex_strings(v)]
    if isinstance(value, list):
        return [h for v in value for h in _hex_strings(v)]
    return []


def test_every_hex_value_printed_in_protocol_md_is_in_the_vectors() -> None:
    known = "\n".join(_hex_strings(VECTORS))
    # 0x-values of 4 bytes or more, but not addresses (the trust-file examples name accounts that
    # are configuration, not vectors); and the bare 32-byte words of the ABI encoding example.
    printed = [
        m.lower() for m in re.findall(r"0x([0-9a-fA-F]+)", PROTOCOL) if len(m) >= 8 and len(m) != 40
    ]
    printed += re.findall(r"^\s*([0-9a-f]{64})\s", PROTOCOL, flags=re.MULTILINE)
    assert len(printed) > 100
    missing = sorted({h for h in printed if h not in known})
    assert missing == [], f"hex values in docs/PROTOCOL.md not in protocol_vectors.json: {missing}"
    # And the values a foreign implementer checks first are printed.
    pack = VECTORS["eip712"]["attestations"][1]
    for value in (
        VECTORS["tree"]["root"],
        *(r["leafHash"] for r in VECTORS["records"]),
        VECTORS["eip712"]["domain"]["separator"],
        pack["structHash"],
        pack["digest"],
        pack["signature"]["r"],
        pack["signature"]["s"],
        VECTORS["records"][2]["digest"],
    ):
        assert value in PROTOCOL, value


def _member(path: str) -> Any:
    value: Any = VECTORS
    for name, index in re.findall(r"([A-Za-z0-9]+)|\[(\d+)\]", path):
        value = value[name] if name else value[int(index)]
    return value


def test_json_examples_marked_in_protocol_md_are_the_vectors() -> None:
    blocks = re.findall(r"<!-- vector: ([\w.\[\]]+) -->\n```json\n(.*?)\n```", PROTOCOL, re.S)
    assert {path for path, _ in blocks} >= {
        "eip712.attestations[1].typedData",
        "records[2].record",
        "bundles.redacted",
        "bundles.attestationRedacted",
        "bundles.attestationHiddenMessage.disclosure",
    }
    for path, text in blocks:
        assert json.loads(text) == _member(path), path


def test_attestations_md_prints_the_same_signed_statement_values() -> None:
    attestations_md = (ROOT / "docs" / "ATTESTATIONS.md").read_text("utf-8")
    values = [VECTORS["eip712"]["domain"]["separator"]]
    values += VECTORS["constants"]["typeHashes"].values()
    for vector in VECTORS["eip712"]["attestations"]:
        values += [vector["digest"], vector["record"]["signature"], vector["signer"]]
    for value in values:
        assert value in attestations_md, value


# --- numbers: judged by value, not spelling (docs/PROTOCOL.md section 2) -------------------------


@pytest.mark.parametrize("group", VECTORS["numbers"]["accepted"], ids=lambda g: g["jcs"])
def test_spellings_of_one_number_are_one_value_with_one_digest(group: dict[str, Any]) -> None:
    assert len(group["bundles"]) >= 2
    for spelt in group["bundles"]:
        text = spelt["json"]
        report = verify_offline(text)
        assert report.status is Verdict.VALID, (spelt["spelling"], report.to_json())
        integrity = next(r for r in report.results if r.name == "integrity")
        assert integrity.data["digest"] == group["digest"], spelt["spelling"]
        record = parse_bundle(text).record
        assert canonicalize(record["footprint"]["value"]).decode() == group["jcs"]
        assert canonicalize(["footprint", record["footprint"]]).decode() == group["fieldJcs"]
        assert json.loads(text)["leafValue"][2] == group["digest"]


@pytest.mark.parametrize(
    "refused", VECTORS["numbers"]["refused"], ids=lambda r: f"{r['field']}={r['spelling']}"
)
def test_numbers_out_of_range_are_refused_however_written(refused: dict[str, Any]) -> None:
    assert refused["code"] == Code.FORMAT_NUMBER_OUT_OF_RANGE
    report = verify_offline(refused["json"])
    assert report.status is Verdict.INVALID
    fmt = next(r for r in report.results if r.name == "format")
    assert (fmt.status.value, fmt.code, fmt.data["field"]) == (
        "INVALID",
        Code.FORMAT_NUMBER_OUT_OF_RANGE,
        refused["field"],
    )
    # The same value handed over already decoded (a dict, not text) is refused the same way.
    decoded = json.loads(refused["json"])
    fmt = next(r for r in verify_offline(decoded).results if r.name == "format")
    assert (fmt.code, fmt.data["field"]) == (Code.FORMAT_NUMBER_OUT_OF_RANGE, refused["field"])


def test_number_vectors_cover_the_spellings_the_protocol_names() -> None:
    refused = {r["spelling"] for r in VECTORS["numbers"]["refused"]}
    assert {
        "1e20",
        "1E20",
        "1.0e20",
        "100000000000000000000",
        "9007199254740992",
        "1e400",
    } <= refused
    spellings = {s["spelling"] for g in VECTORS["numbers"]["accepted"] for s in g["bundles"]}
    assert {"1.5", "1.50", "15e-1", "100", "1e2", "100.0", "-0", "9007199254740991"} <= spellings
