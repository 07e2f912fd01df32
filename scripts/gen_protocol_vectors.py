"""Generate docs/PROTOCOL.md's worked test vectors into tests/assets/protocol_vectors.json.

Commitments and leaves come from ``verifier.protocol.leaf`` / ``verifier.protocol.merkle``; the
tree root and proofs
come from ``@openzeppelin/merkle-tree`` itself (run with Node), and the script fails if the two
disagree. The attestation is a supplier's EIP-712 statement signed with a key derived from a public
seed, as a record of the shape the registry stores (``registry.crud.attestations.push``: the seven
signed members and the ``supplierName`` annotation); its EIP-712 hashing is spelt out step by step
here and must agree with eth-account's. Run from the repository root:
``python scripts/gen_protocol_vectors.py``.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eth_account import Account  # noqa: E402

from verifier._internal.verifier import Verdict, verify_offline  # noqa: E402
from verifier.protocol import records  # noqa: E402
from verifier.protocol.attestation import (  # noqa: E402
    ATTESTATION_STRUCT,
    attestation_record,
    attestation_typed_data,
    verify_attestation_record,
)
from verifier.protocol.canonical import canonicalize  # noqa: E402
from verifier.protocol.codes import Code  # noqa: E402
from verifier.protocol.contract_abi import ROOT_ANCHORED_TOPIC  # noqa: E402
from verifier.protocol.eip712 import typed_data_digest  # noqa: E402
from verifier.protocol.hashing import keccak  # noqa: E402
from verifier.protocol.leaf import (  # noqa: E402
    commitments_digest,
    field_commitment,
    field_salt,
    jcs_order,
    record_leaf_value,
)
from verifier.protocol.merkle import leaf_hash, process_proof  # noqa: E402
from verifier.protocol.recognition import RECOGNITION_STRUCT, WITHDRAWAL_STRUCT  # noqa: E402
from verifier.protocol.records import (  # noqa: E402
    BUNDLE_FORMAT,
    LEAF_ENCODING,
    TRUST_FORMAT,
)
from verifier.protocol.signature import recover_address  # noqa: E402

OUT = ROOT / "tests" / "assets" / "protocol_vectors.json"
# Vector salts are derived from public strings so anyone can reproduce them; real salts are random.
LABEL_SALT = keccak(b"tanji protocol vector: label salt")

LABEL: dict[str, Any] = {
    "type": records.LABEL,
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
CHAIN_ID = 31337
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"


def vector_key(label: str) -> bytes:
    """A test key from a public seed (docs/ATTESTATIONS.md, section 5): worthless outside tests."""
    return keccak(f"tanji/vectors/{label}".encode())


def signed_attestations() -> list[dict[str, Any]]:
    """A1 (a cell supplier) and A2 (the pack maker citing A1 upstream) as registry records."""
    cell_key, pack_key = vector_key("cell-supplier"), vector_key("pack-supplier")
    cell_message = {
        "supplier": Account.from_key(cell_key).address,
        "componentId": "CQ-CELL-21700-A",
        "productId": "BSH-LT14-2026",
        "declaredUnit": "unit",
        "kgCo2ePerUnit": "0.482",
        "systemBoundary": "cradle-to-gate",
        "periodStart": 1735689600,
        "periodEnd": 1767225600,
        "upstream": [],
        "nonce": "0x" + keccak(b"tanji/vectors/nonce/1").hex(),
        "expiry": 1798761600,
    }
    records = []
    for key, message, name in (
        (cell_key, cell_message, "重庆电芯有限公司"),
        (pack_key, None, "重庆某电池有限公司"),
    ):
        if message is None:
            message = {
                **cell_message,
                "supplier": Account.from_key(pack_key).address,
                "componentId": "CQ-PACK-56WH",
                "kgCo2ePerUnit": "31.07",
                "upstream": [records[0]["id"]],
                "nonce": "0x" + keccak(b"tanji/vectors/nonce/2").hex(),
            }
        typed = attestation_typed_data(message, chain_id=CHAIN_ID, contract=CONTRACT)
        signature = Account.sign_typed_data(key, full_message=typed).signature
        records.append(attestation_record(typed, bytes(signature), supplier_name=name))
    return records


def _word(kind: str, value: Any) -> bytes:
    """EIP-712 ``encodeData`` of one member of an atomic, string or bytes32[] type."""
    if kind == "address":
        return bytes(12) + bytes.fromhex(value[2:])
    if kind == "string":
        return keccak(value.encode("utf-8"))
    if kind == "bytes32":
        return bytes.fromhex(value[2:])
    if kind == "bytes32[]":
        return keccak(b"".join(bytes.fromhex(v[2:]) for v in value))
    if kind.startswith("uint"):
        return int(value).to_bytes(32, "big")
    raise ValueError(f"no encoding for {kind}")


def encode_type(primary: str, struct: tuple[dict[str, str], ...]) -> str:
    """EIP-712 ``encodeType`` of a struct without nested struct members."""
    return f"{primary}(" + ",".join(f"{m['type']} {m['name']}" for m in struct) + ")"


def contract_vector() -> dict[str, dict[str, str]]:
    """Selectors (functions, errors) and topics 0 (events) of every entry of the compiled anchor
    contract, by signature (docs/PROTOCOL.md section 8.2)."""
    artifact = ROOT / "anchoring" / "artifacts" / "TanjiAnchorRegistry.json"
    out: dict[str, dict[str, str]] = {"functions": {}, "events": {}, "errors": {}}
    for entry in json.loads(artifact.read_text("utf-8"))["abi"]:
        if entry["type"] not in ("function", "event", "error"):
            continue
        signature = f"{entry['name']}({','.join(p['type'] for p in entry['inputs'])})"
        digest = keccak(signature.encode("ascii"))
        out[entry["type"] + "s"][signature] = hx(digest if entry["type"] == "event" else digest[:4])
    # ERC-165 interface ids (supportsInterface): the XOR of the selectors of their functions.
    interface = (ROOT / "contracts" / "ITanjiAnchorRegistry.sol").read_text("utf-8")
    members = {
        "ITanjiAnchorRegistry": re.findall(r"\bfunction\s+(\w+)\s*\(", interface),
        "IAccessControl": ["hasRole", "getRoleAdmin", "grantRole", "revokeRole", "renounceRole"],
        "IERC165": ["supportsInterface"],
    }
    out["interfaces"] = {}
    for name, functions in members.items():
        value = 0
        for signature, selector in out["functions"].items():
            if signature.split("(")[0] in functions:
                value ^= int(selector, 16)
        out["interfaces"][name] = f"0x{value:08x}"
    return {kind: dict(sorted(entries.items())) for kind, entries in out.items()}


def domain_vector() -> dict[str, Any]:
    """The domain separator of chain 31337 and contract 0x5FbDB2315678..., word by word."""
    words = [
        ("typeHash", DOMAIN_TYPE, keccak(DOMAIN_TYPE.encode())),
        ("name", "Tanji", keccak(b"Tanji")),
        ("version", "1", keccak(b"1")),
        ("chainId", CHAIN_ID, _word("uint256", CHAIN_ID)),
        ("verifyingContract", CONTRACT, _word("address", CONTRACT)),
    ]
    return {
        "encodeType": DOMAIN_TYPE,
        "typeHash": hx(keccak(DOMAIN_TYPE.encode())),
        "domain": {
            "name": "Tanji",
            "version": "1",
            "chainId": CHAIN_ID,
            "verifyingContract": CONTRACT,
        },
        "encodeData": [{"member": m, "value": v, "word": hx(w)} for m, v, w in words],
        "separator": hx(keccak(b"".join(w for _, _, w in words))),
    }


def statement_vector(record: dict[str, Any], separator: str) -> dict[str, Any]:
    """Every step from an attestation record to its EIP-712 digest (= id) and its signer."""
    message = record["message"]
    type_string = encode_type("Attestation", ATTESTATION_STRUCT)
    type_hash = keccak(type_string.encode())
    words = [type_hash] + [_word(m["type"], message[m["name"]]) for m in ATTESTATION_STRUCT]
    struct_hash = keccak(b"".join(words))
    signed = b"\x19\x01" + bytes.fromhex(separator[2:]) + struct_hash
    digest = keccak(signed)
    typed = attestation_typed_data(message, chain_id=record["chainId"], contract=CONTRACT)
    assert hx(digest) == hx(typed_data_digest(typed)) == record["id"], "EIP-712 digest differs"
    signature = bytes.fromhex(record["signature"][2:])
    assert recover_address(digest, signature) == record["signer"] == message["supplier"]
    assert verify_attestation_record(record) == record["signer"]
    return {
        "record": record,
        "typedData": typed,
        "encodeType": type_string,
        "typeHash": hx(type_hash),
        "encodeData": [{"member": "typeHash", "type": "bytes32", "word": hx(type_hash)}]
        + [
            {"member": m["name"], "type": m["type"], "word": hx(w)}
            for m, w in zip(ATTESTATION_STRUCT, words[1:], strict=True)
        ],
        "structHash": hx(struct_hash),
        "signingInput": hx(signed),
        "digest": hx(digest),
        "signature": {
            "r": hx(signature[:32]),
            "s": hx(signature[32:64]),
            "v": signature[64],
        },
        "signer": record["signer"],
    }


ATTESTATIONS = signed_attestations()
OTHERS: list[dict[str, Any]] = [
    # A plain record with confidential fields: the generic redaction example (PROTOCOL.md 13.3).
    {
        "type": records.FOOTPRINT,
        "id": "CQ-FP-2026-000045",
        "supplier": "重庆某电池有限公司",
        "component": "battery pack 56 Wh",
        "footprint": {"value": 18.42, "unit": "kg CO2e"},
        "unitCostCny": 182.5,
        "process": "NMC cell assembly, line 3",
    },
    # A2, the record the registry stores for a pack maker's signed statement (PROTOCOL.md 13.4).
    ATTESTATIONS[1],
    {"type": "revocation", "id": "CQ-REV-2026-000002", "target": "CQ-LBL-2026-000099", "reason": 1},
]
COMPONENT, ATTESTATION = 1, 2  # their places in the tree's records
ANCHOR = {
    "chainId": 31337,
    "contract": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
    "txHash": "0x" + keccak(b"tanji protocol vector: tx").hex(),
    "blockNumber": 2,
    "timestamp": 1764000000,
}
HIDDEN = ["process", "unitCostCny"]
# What ``GET /api/v1/labels/{id}/bundle?hide=supplierName`` hides: the unsigned annotation, so the
# signature still checks; hiding ``message`` too makes it uncheckable for that reader.
HIDDEN_ANNOTATION = ["supplierName"]
HIDDEN_MESSAGE = ["message", "supplierName"]

# Numbers are judged by value, not spelling (PROTOCOL.md section 2, "Numbers"): each group spells
# one accepted value several ways (one digest for all); each refused spelling is out of range.
NUMBER_RECORD: dict[str, Any] = {
    "type": records.FOOTPRINT,
    "id": "CQ-FP-2026-NUMBERS",
    "footprint": {"value": None, "unit": "kg CO2e"},
}
NUMBER_SALT = keccak(b"tanji protocol vector: number salt")
NUMBER_ACCEPTED: tuple[tuple[str, ...], ...] = (
    ("1.5", "1.50", "15e-1", "0.15E+1", "1.5e0"),
    ("100", "1e2", "1E2", "100.0", "1.00e+2"),
    ("0", "-0", "0.0", "-0.0", "0e10", "1e-400"),
    ("0.1", "1e-1", "0.10", "1.0E-1"),
    ("1e-7", "0.0000001", "1E-7"),
    ("4503599627370495.5", "45035996273704955e-1"),
    ("9007199254740991", "9.007199254740991e15", "9007199254740991.0"),
    ("-9007199254740991", "-9.007199254740991E+15"),
)
NUMBER_REFUSED: tuple[str, ...] = (
    "1e20",
    "1E20",
    "1.0e20",
    "100000000000000000000",
    "9007199254740992",
    "9.007199254740992e15",
    "-9007199254740992",
    "9007199254740993",
    "1e21",
    "1.7976931348623157e308",
    "1e400",
    "-1e400",
)
# Numbers outside the record are held to the same rule: the anchor's block number and timestamp.
NUMBER_ANCHOR_ACCEPTED: tuple[tuple[str, str], ...] = (
    ("blockNumber", "2.0"),
    ("blockNumber", "2e0"),
)
NUMBER_ANCHOR_REFUSED: tuple[tuple[str, str], ...] = (
    ("timestamp", "1e20"),
    ("timestamp", "100000000000000000000"),
)
_SPELT = "@@number@@"

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


def _spelt(bundle: dict[str, Any], spelling: str) -> str:
    """The bundle as JSON text with the placeholder number written as ``spelling``."""
    text = json.dumps(bundle, ensure_ascii=False)
    assert text.count(f'"{_SPELT}"') == 1
    return text.replace(f'"{_SPELT}"', spelling)


def _format_result(text: str) -> tuple[str, int, Any]:
    report = verify_offline(text)
    result = next(r for r in report.results if r.name == "format")
    return report.status.value, int(result.code), result.data.get("field")


def number_vectors() -> dict[str, Any]:
    """Bundles (as JSON text) that spell one value several ways, and spellings refused."""

    def one_leaf_bundle(value: Any) -> dict[str, Any]:
        record = copy.deepcopy(NUMBER_RECORD)
        record["footprint"]["value"] = value
        leaf_value = record_leaf_value(record, NUMBER_SALT)
        root = hx(leaf_hash(LEAF_ENCODING, leaf_value))
        # A one-leaf StandardMerkleTree: the root is the leaf hash and the proof is empty.
        assert oz_tree([leaf_value])["root"] == root, "one-leaf root differs from OpenZeppelin"
        return {
            "format": BUNDLE_FORMAT,
            "record": record,
            "salt": hx(NUMBER_SALT),
            "leafEncoding": list(LEAF_ENCODING),
            "leafValue": leaf_value,
            "proof": [],
            "root": root,
            "anchor": dict(ANCHOR),
            "attestations": [],
            "recognitions": [],
        }

    accepted = []
    for spellings in NUMBER_ACCEPTED:
        value = json.loads(spellings[0])
        bundle = one_leaf_bundle(value)
        template = copy.deepcopy(bundle)
        template["record"]["footprint"]["value"] = _SPELT
        texts = [{"spelling": s, "json": _spelt(template, s)} for s in spellings]
        for t in texts:
            assert _format_result(t["json"]) == (Verdict.VALID.value, 0, None), t
        accepted.append(
            {
                "jcs": canonicalize(value).decode(),
                "fieldJcs": canonicalize(["footprint", bundle["record"]["footprint"]]).decode(),
                "digest": bundle["leafValue"][2],
                "bundles": texts,
            }
        )
    base = one_leaf_bundle(1.5)
    template = copy.deepcopy(base)
    template["record"]["footprint"]["value"] = _SPELT
    refused = [
        {"spelling": s, "field": "record.footprint.value", "json": _spelt(template, s)}
        for s in NUMBER_REFUSED
    ]
    for member, s in NUMBER_ANCHOR_ACCEPTED:
        anchored = copy.deepcopy(base)
        anchored["anchor"][member] = _SPELT
        text = _spelt(anchored, s)
        assert _format_result(text) == (Verdict.VALID.value, 0, None), text
        accepted[0]["bundles"].append({"spelling": f"anchor.{member} {s}", "json": text})
    for member, s in NUMBER_ANCHOR_REFUSED:
        anchored = copy.deepcopy(base)
        anchored["anchor"][member] = _SPELT
        refused.append({"spelling": s, "field": f"anchor.{member}", "json": _spelt(anchored, s)})
    code = int(Code.FORMAT_NUMBER_OUT_OF_RANGE)
    for r in refused:
        assert _format_result(r["json"]) == (Verdict.INVALID.value, code, r["field"]), r
        r["code"] = code
    return {
        "record": NUMBER_RECORD,
        "masterSalt": hx(NUMBER_SALT),
        "accepted": accepted,
        "refused": refused,
    }


# Signed statements under a label (PROTOCOL.md sections 10.7 and 10.7a): a label naming a battery
# pack attestation (which cites its cells upstream) and recognised by partner certification bodies,
# each case with the trust and time it is judged under and the Python verifier's results.
STATEMENT_NOW = 1_780_000_000
STATEMENT_SCHEME = "SG-CFP-MRA-2026"
OTHER_CONTRACT = "0x" + "66" * 20
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
STATEMENT_LABEL: dict[str, Any] = {
    "type": records.LABEL,
    "id": "CQ-LBL-2026-000777",
    "certificate_number": "CQ-CFL-2026-000777",
    "product": {"name": "笔记本电脑 ThinkBook 14", "category": "laptop"},
    "footprint": {"value": 312.5, "unit": "kg CO2e"},
    "grade": "A",
}


def _one_leaf_bundle(record: dict[str, Any], tag: str) -> dict[str, Any]:
    """A bundle of ``record`` alone in its tree (root = leaf hash, empty proof)."""
    salt = keccak(f"tanji protocol vector: statement salt {tag}".encode())
    value = record_leaf_value(record, salt)
    return {
        "format": BUNDLE_FORMAT,
        "record": copy.deepcopy(record),
        "salt": hx(salt),
        "leafEncoding": list(LEAF_ENCODING),
        "leafValue": value,
        "proof": [],
        "root": hx(leaf_hash(LEAF_ENCODING, value)),
        "anchor": dict(ANCHOR),
        "attestations": [],
        "recognitions": [],
    }


def _redacted_bundle(bundle: dict[str, Any], hide: list[str]) -> dict[str, Any]:
    """``bundle`` with the fields ``hide`` shown only as commitments."""
    from verifier.protocol.leaf import record_commitments

    out = copy.deepcopy(bundle)
    master = bytes.fromhex(out.pop("salt")[2:])
    commitments = record_commitments(out["record"], master)
    out["disclosure"] = {
        "salts": {n: hx(field_salt(master, n)) for n in out["record"] if n not in hide},
        "hidden": {n: hx(commitments[n]) for n in hide},
    }
    out["record"] = {k: v for k, v in out["record"].items() if k not in hide}
    return out


def _twin_signature(record: dict[str, Any]) -> dict[str, Any]:
    """The same statement with its signature's high-s twin (recovers the same key; EIP-2)."""
    sig = bytes.fromhex(record["signature"][2:])
    s = SECP256K1_N - int.from_bytes(sig[32:64], "big")
    v = 55 - sig[64]  # 27 <-> 28
    return {**record, "signature": hx(sig[:32] + s.to_bytes(32, "big") + bytes([v]))}


def _flipped_signature(record: dict[str, Any]) -> dict[str, Any]:
    """The statement with one bit of its signature's ``r`` changed."""
    sig = bytearray(bytes.fromhex(record["signature"][2:]))
    sig[31] ^= 1
    return {**record, "signature": hx(bytes(sig))}


def statement_vectors() -> dict[str, Any]:
    """Supply-chain hops and recognitions, genuine and not, with the Python verifier's results."""
    from verifier._internal.checks import OFFLINE_CHECKS, RecognitionCheck
    from verifier._internal.trust import parse_trust
    from verifier._internal.verifier import Verifier
    from verifier.protocol.attestation import attestation_record as make_attestation
    from verifier.protocol.recognition import RECOGNITION, recognition_typed_data, scheme_subject

    cell, pack = copy.deepcopy(ATTESTATIONS)
    bodies = {name: vector_key(f"{name}-body") for name in ("sg", "hk", "stranger")}

    def address(name: str) -> str:
        return str(Account.from_key(bodies[name]).address)

    trust: dict[str, Any] = {
        "format": TRUST_FORMAT,
        "name": "protocol vectors: a partner's profile",
        "chains": [{"chainId": CHAIN_ID, "contracts": [CONTRACT]}],
        "certificationBodies": [
            {
                "address": address("sg"),
                "name": "Singapore body (vector)",
                "schemes": [STATEMENT_SCHEME],
                "categories": ["laptop"],
            },
            {"address": address("hk"), "name": "Hong Kong body (vector)"},
        ],
    }
    label = {
        **STATEMENT_LABEL,
        "components": [{"attestation_id": pack["id"], "component_id": "CQ-PACK-56WH"}],
    }
    label_leaf = _one_leaf_bundle(label, "label")["root"]

    def recognition(body: str = "sg", contract: str = CONTRACT, **changes: Any) -> dict[str, Any]:
        message = {
            "recognizer": address(body),
            "scheme": STATEMENT_SCHEME,
            "subjectType": "label",
            "subject": label_leaf,
            "category": "laptop",
            "scope": "Chongqing carbon labels for laptops, recognised in Singapore",
            "validFrom": STATEMENT_NOW - 86_400,
            "validUntil": 0,
            "nonce": hx(keccak(f"tanji/vectors/recognition/{body}".encode())),
            **changes,
        }
        typed = recognition_typed_data(message, chain_id=CHAIN_ID, contract=contract)
        signature = Account.sign_typed_data(bodies[body], full_message=typed).signature
        return RECOGNITION.record(typed, bytes(signature), annotations={"recognizerName": body})

    def hop(record: dict[str, Any], tag: str, *upstream: dict[str, Any]) -> dict[str, Any]:
        return {**_one_leaf_bundle(record, tag), "attestations": list(upstream)}

    def labelled(
        hops: list[dict[str, Any]] | None = None,
        recognitions: tuple[dict[str, Any], ...] = (),
        record: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        bundle = _one_leaf_bundle(record or label, "label")
        bundle["attestations"] = [hop(pack, "pack", hop(cell, "cell"))] if hops is None else hops
        bundle["recognitions"] = [
            _one_leaf_bundle(r, f"recognition {i}") for i, r in enumerate(recognitions)
        ]
        return bundle

    def forged(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
        # A signed member changed after signing; the leaf is re-derived, so only the signature
        # (the id is the digest of the message) can catch it.
        return {**record, "message": {**record["message"], **changes}}

    other_typed = attestation_typed_data(
        cell["message"], chain_id=CHAIN_ID, contract=OTHER_CONTRACT
    )
    other_signature = Account.sign_typed_data(vector_key("cell-supplier"), full_message=other_typed)
    other_domain_cell = make_attestation(other_typed, bytes(other_signature.signature))
    genuine = recognition()
    hk_scheme = recognition(
        "hk",
        scheme="HK-CFL-MRA-2026",
        subjectType="scheme",
        subject=scheme_subject("CQ-CFL", "laptop"),
    )
    no_bodies = {k: v for k, v in trust.items() if k != "certificationBodies"}
    attestation_cases: list[tuple[str, dict[str, Any], dict[str, Any], list[int]]] = [
        ("a supply chain of two signed hops", labelled(), trust, [0, 0]),
        (
            "a hop whose signature was changed",
            labelled([hop(_flipped_signature(pack), "pack", hop(cell, "cell"))]),
            trust,
            [700, 0],
        ),
        (
            "a hop carrying its signature's high-s twin",
            labelled([hop(pack, "pack", hop(_twin_signature(cell), "cell"))]),
            trust,
            [0, 700],
        ),
        (
            "a hop whose signed message was changed",
            labelled([hop(forged(pack, kgCo2ePerUnit="3.107"), "pack", hop(cell, "cell"))]),
            trust,
            [700, 0],
        ),
        (
            "a hop signed for another registry's contract",
            labelled([hop(pack, "pack", hop(other_domain_cell, "cell"))]),
            trust,
            [0, 707],
        ),
        (
            "a hop its label does not name",
            labelled(record={**label, "components": [{"attestation_id": cell["id"]}]}),
            trust,
            [704, 0],
        ),
        (
            "a hop under a label whose components are hidden",
            _redacted_bundle(labelled(), ["components"]),
            trust,
            [0, 0],
        ),
        (
            "a hop whose signed message is hidden",
            labelled([hop(pack, "pack", _redacted_bundle(hop(cell, "cell"), ["message"]))]),
            trust,
            [0, 790],
        ),
    ]
    recognition_cases: list[tuple[str, dict[str, Any], dict[str, Any], list[int]]] = [
        ("a recognition of this label by a trusted body", labelled([], (genuine,)), trust, [0]),
        ("a recognition of this label's scheme", labelled([], (hk_scheme,)), trust, [0]),
        (
            "a recognition whose signature was changed",
            labelled([], (_flipped_signature(genuine),)),
            trust,
            [800],
        ),
        (
            "a recognition signed for another registry's contract",
            labelled([], (recognition(contract=OTHER_CONTRACT),)),
            trust,
            [807],
        ),
        (
            "a forged copy reusing a genuine recognition's id",
            labelled([], (genuine, forged(genuine, scope="every product, everywhere"))),
            trust,
            [0, 800],
        ),
        (
            "the same recognition listed twice",
            labelled([], (genuine, genuine)),
            trust,
            [0, 892],
        ),
        (
            "an expired recognition",
            labelled([], (recognition(validFrom=STATEMENT_NOW - 99, validUntil=STATEMENT_NOW),)),
            trust,
            [806],
        ),
        (
            "a recognition not yet in force",
            labelled([], (recognition(validFrom=STATEMENT_NOW + 60),)),
            trust,
            [805],
        ),
        (
            "a recognition of another label",
            labelled([], (recognition(subject="0x" + "33" * 32),)),
            trust,
            [804],
        ),
        (
            "a recognition for another category",
            labelled([], (recognition(category="cement"),)),
            trust,
            [804],
        ),
        (
            "a recognition of another scheme",
            labelled(
                [],
                (
                    recognition(
                        "hk", subjectType="scheme", subject=scheme_subject("HK-CFL", "laptop")
                    ),
                ),
            ),
            trust,
            [804],
        ),
        (
            "a recognition whose signed message is hidden",
            _redacted_recognitions(labelled([], (genuine,)), ["message"]),
            trust,
            [808],
        ),
        (
            "a recognition by a body the trust does not list",
            labelled([], (recognition("stranger"),)),
            trust,
            [891],
        ),
        (
            "a stranger's recognition listed twice",
            labelled([], (recognition("stranger"), recognition("stranger"))),
            trust,
            [891, 892],
        ),
        (
            "a trust that lists no certification bodies",
            labelled([], (genuine,)),
            no_bodies,
            [890],
        ),
        (
            "a scheme the trust does not accept",
            labelled([], (genuine,)),
            {**trust, "acceptedSchemes": ["HK-CFL-MRA-2026"]},
            [802],
        ),
        (
            "a blanket recognition from a body trusted for laptops only",
            labelled(
                [],
                (
                    recognition(
                        subjectType="scheme", subject=scheme_subject("CQ-CFL", ""), category=""
                    ),
                ),
            ),
            trust,
            [803],
        ),
    ]
    statuses = {0: "VALID", 790: "SKIPPED", 890: "SKIPPED", 891: "SKIPPED", 892: "SKIPPED"}
    cases = []
    for why, bundle, profile, codes in attestation_cases + recognition_cases:
        checks = [*OFFLINE_CHECKS, RecognitionCheck(clock=lambda: STATEMENT_NOW)]
        report = Verifier(trust=parse_trust(profile), checks=checks).verify(bundle)
        results = [r for r in report.results if r.name in ("attestation_signature", "recognition")]
        others = {r.qualified_name: r.status.value for r in report.results if r not in results}
        assert set(others.values()) == {"VALID"}, (why, others)
        expected = [
            {"name": r.qualified_name, "status": r.status.value, "code": int(r.code)}
            for r in results
        ]
        assert [(e["code"], e["status"]) for e in expected] == [
            (c, statuses.get(c, "INVALID")) for c in codes
        ], (why, expected)
        cases.append(
            {
                "why": why,
                "bundle": bundle,
                "trust": profile,
                "now": STATEMENT_NOW,
                "expected": expected,
            }
        )
    return {"now": STATEMENT_NOW, "cases": cases}


def _redacted_recognitions(bundle: dict[str, Any], hide: list[str]) -> dict[str, Any]:
    """``bundle`` with the fields ``hide`` of each of its recognitions shown only as commitments."""
    return {**bundle, "recognitions": [_redacted_bundle(r, hide) for r in bundle["recognitions"]]}


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
        # The members and their order as anchoring.bundle.build_bundle writes them.
        return {
            "format": BUNDLE_FORMAT,
            "record": copy.deepcopy(records[i]),
            "salt": hx(salts[i]),
            "leafEncoding": list(LEAF_ENCODING),
            "leafValue": values[i],
            "proof": oz["proofs"][i],
            "root": oz["root"],
            "anchor": ANCHOR,
            "attestations": [],
            "recognitions": [],
        }

    def redacted(i: int, hide: list[str]) -> dict[str, Any]:
        full, fields = bundle(i), vectors[i]["fields"]
        return {
            "format": full["format"],
            "record": {k: v for k, v in full["record"].items() if k not in hide},
            # No master salt: a salt for each disclosed field, a commitment for each hidden one.
            "disclosure": {
                "salts": {f["name"]: f["salt"] for f in fields if f["name"] not in hide},
                "hidden": {f["name"]: f["commitment"] for f in fields if f["name"] in hide},
            },
            **{k: v for k, v in full.items() if k not in ("format", "record", "salt")},
        }

    domain = domain_vector()
    return {
        "description": "Tanji protocol test vectors (docs/PROTOCOL.md); generated by "
        "scripts/gen_protocol_vectors.py; tree from @openzeppelin/merkle-tree",
        "constants": {
            "keccak256Empty": hx(keccak(b"")),
            "checkSelector": hx(keccak(b"check(bytes32,bytes32,bytes32[])")[:4]),
            "rootAnchoredTopic": hx(ROOT_ANCHORED_TOPIC),
            "contract": contract_vector(),
            "typeHashes": {
                "EIP712Domain": hx(keccak(DOMAIN_TYPE.encode())),
                **{
                    primary: hx(keccak(encode_type(primary, struct).encode()))
                    for primary, struct in (
                        ("Attestation", ATTESTATION_STRUCT),
                        ("Recognition", RECOGNITION_STRUCT),
                        ("Withdrawal", WITHDRAWAL_STRUCT),
                    )
                },
            },
        },
        "records": vectors,
        "tree": {
            "format": "standard-v1",
            "leafEncoding": list(LEAF_ENCODING),
            "values": values,
            "root": oz["root"],
            "proofs": oz["proofs"],
        },
        "eip712": {
            "domain": domain,
            "attestations": [statement_vector(r, domain["separator"]) for r in ATTESTATIONS],
        },
        "bundles": {
            "full": bundle(0),
            "redacted": redacted(COMPONENT, HIDDEN),
            "attestation": bundle(ATTESTATION),
            "attestationRedacted": redacted(ATTESTATION, HIDDEN_ANNOTATION),
            "attestationHiddenMessage": redacted(ATTESTATION, HIDDEN_MESSAGE),
        },
        "numbers": number_vectors(),
        "statements": statement_vectors(),
    }


def main() -> None:
    """Write the vectors file."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
