"""The verifier fuzzed with hypothesis: a mutated bundle never verifies VALID, nothing ever raises.

Genuine bundles are anchored on a real chain (the embedded py-evm chain, in this process, served
over real HTTP by the read-only JSON-RPC handler) and verified online through the public API
(:class:`verifier._internal.verifier.Verifier`, as ``tanji verify`` calls it): a footprint bundle, a
redacted label bundle, and a label carrying a supplier attestation hop (a battery pack citing a
cell) and a Singapore body's recognition. Each verifies VALID as it is.

Then one mutation at a time: a record value (any JSON value, unicode, numbers), a proof element
(bit flip, drop, add, reorder), the root, an anchor member, a signature byte, ``leafValue``, the
structure itself (deleted members, wrong types, deep nesting, huge numbers) and the bundle's text
(byte flips, respelt numbers, duplicate keys). A mutation that is no change at all (equal RFC 8785
form, e.g. ``1.0`` for ``1``) is skipped; any other must not verify VALID, and verification must
return a report (INVALID or ERROR with a code) rather than raise.

Signed statements are also mutated and then *re-sealed* (new leaf, new tree), so that integrity
and inclusion hold and only the signature checks stand between the change and a VALID verdict.
``tanji verify --offline`` (the CLI, human and JSON output) gets mutated bundle text as well.

``derandomize=True``: CI runs the same examples every time; ``TANJI_FUZZ_EXAMPLES`` runs more.
"""

from __future__ import annotations

import copy
import http.server
import io
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, assume, event, given, reject, settings
from hypothesis import strategies as st

from tests.verifier.factories import Tree, hx, make_bundle, make_record, redact, salt_for
from verifier._internal.bundle import MAX_JSON_DEPTH, NESTED_KEYS
from verifier._internal.checks import OFFLINE_CHECKS, RecognitionCheck, Status
from verifier._internal.trust import TrustConfig, parse_trust
from verifier._internal.verifier import Verdict, VerificationReport, Verifier
from verifier.cli import EXIT_ERROR, EXIT_INVALID, EXIT_VALID
from verifier.cli import main as cli_main
from verifier.errors import BundleFormatError
from verifier.protocol.attestation import attestation_record, attestation_typed_data
from verifier.protocol.canonical import canonicalize
from verifier.protocol.codes import Code
from verifier.protocol.eip712 import RECORD_MEMBERS
from verifier.protocol.hashing import keccak
from verifier.protocol.leaf import LEAF_ENCODING, record_leaf_value
from verifier.protocol.merkle import leaf_hash
from verifier.protocol.recognition import RECOGNITION, recognition_typed_data
from verifier.protocol.wire import json_depth_exceeds

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("TANJI_FUZZ_EXAMPLES", "250"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: For the examples that verify the whole supply-chain bundle online (four bundles each).
FUZZ_HEAVY = settings(FUZZ, max_examples=max(EXAMPLES // 2, 1))

ISSUER: LocalAccount = Account.from_key(keccak(b"tanji/tests/fuzz-issuer"))
CELL: LocalAccount = Account.from_key(keccak(b"tanji/tests/fuzz-cell"))
PACK: LocalAccount = Account.from_key(keccak(b"tanji/tests/fuzz-pack"))
SG_BODY: LocalAccount = Account.from_key(keccak(b"tanji/tests/fuzz-sg-body"))
SCHEME = "SG-CFP-MRA-2026"
CATEGORY = "laptop"

JsonPath = tuple[str | int, ...]


# --- the genuine world ---------------------------------------------------------------------


@dataclass
class World:
    """Genuine anchored bundles, the records they were built from, and a verifier trusting them."""

    bundles: dict[str, dict[str, Any]]
    records: list[dict[str, Any]]
    salts: list[bytes]
    chain_id: int
    contract: str
    trust: TrustConfig
    #: Real values of the other anchored batch (a root, its tx, its block) and the deploy tx.
    decoys: dict[str, Any]

    def verify(self, bundle: Any) -> VerificationReport:
        return Verifier(trust=self.trust, timeout=30).verify(bundle)


def _attestation(
    account: LocalAccount, component: str, upstream: list[str], chain_id: int, contract: str
) -> dict[str, Any]:
    message = {
        "supplier": account.address,
        "componentId": component,
        "productId": "BSN-LT14-2026",
        "declaredUnit": "unit",
        "kgCo2ePerUnit": "0.482",
        "systemBoundary": "cradle-to-gate",
        "periodStart": 1735689600,
        "periodEnd": 1767225600,
        "upstream": upstream,
        "nonce": hx(keccak(component.encode())),
        "expiry": 4102444800,
    }
    typed = attestation_typed_data(message, chain_id=chain_id, contract=contract)
    types = {k: v for k, v in typed["types"].items() if k != "EIP712Domain"}
    signature = account.sign_typed_data(typed["domain"], types, typed["message"]).signature
    return attestation_record(typed, bytes(signature), supplier_name=f"{component} 供应商")


def _recognition(label_leaf: bytes, chain_id: int, contract: str) -> dict[str, Any]:
    message = {
        "recognizer": SG_BODY.address,
        "scheme": SCHEME,
        "subjectType": "label",
        "subject": hx(label_leaf),
        "category": CATEGORY,
        "scope": "Chongqing carbon labels for laptops, recognised in Singapore",
        "validFrom": int(time.time()) - 86_400,
        "validUntil": 0,
        "nonce": "0x" + "ab" * 32,
    }
    typed = recognition_typed_data(message, chain_id=chain_id, contract=contract)
    signature = Account.sign_typed_data(SG_BODY.key, full_message=typed).signature
    return RECOGNITION.record(typed, bytes(signature), annotations={"recognizerName": "SG body"})


def build_records(chain_id: int, contract: str) -> tuple[list[dict[str, Any]], list[bytes]]:
    """footprint, label, pack attestation, cell attestation, recognition (in this order)."""
    footprint = make_record(1, "footprint")
    cell = _attestation(CELL, "CQ-CELL-21700-A", [], chain_id, contract)
    pack = _attestation(PACK, "CQ-PACK-56WH", [cell["id"]], chain_id, contract)
    label = make_record(2, "label")
    label["product"]["category"] = CATEGORY
    label["components"] = [
        {
            "component_id": "CQ-PACK-56WH",
            "quantity": 1,
            "unit": "unit",
            "attestation_id": pack["id"],
        }
    ]
    salts = [salt_for(f"fuzz-{i}") for i in range(5)]
    label_leaf = leaf_hash(LEAF_ENCODING, record_leaf_value(label, salts[1]))
    recognition = _recognition(label_leaf, chain_id, contract)
    return [footprint, label, pack, cell, recognition], salts


def assemble(
    records: list[dict[str, Any]], salts: list[bytes], **anchor: Any
) -> tuple[Tree, dict[str, dict[str, Any]]]:
    """The tree over ``records`` and the three bundles built from it."""
    tree = Tree.of([record_leaf_value(r, s) for r, s in zip(records, salts, strict=True)])
    footprint, label, pack, cell, recognition = (
        make_bundle(r, s, tree, i, **anchor)
        for i, (r, s) in enumerate(zip(records, salts, strict=True))
    )
    redacted = redact(label, ["grade", "issuedAt"])
    pack["attestations"] = [cell]
    supply_chain = {**label, "attestations": [pack], "recognitions": [recognition]}
    return tree, {"footprint": footprint, "redacted": redacted, "supply_chain": supply_chain}


def _serve_rpc(chain: Any) -> tuple[str, Callable[[], None]]:
    from anchoring.rpc import handle_rpc_body

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            data = json.dumps(handle_rpc_body(chain, body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_address[1]}/rpc", stop


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from anchoring.client import AnchorClient
    from anchoring.embedded import EmbeddedChain

    chain = EmbeddedChain.open(tmp_path_factory.mktemp("fuzz-chain"), fund=[ISSUER.address])
    url, stop = _serve_rpc(chain)
    try:
        client = AnchorClient.deploy(chain.w3, ISSUER)
        chain_id, contract = client.chain_id, client.address.lower()
        decoy_tree = Tree.of([record_leaf_value(make_record(9), salt_for("decoy"))])
        decoy = client.anchor(decoy_tree.root, 1, b"\x00" * 31 + b"\x01")
        records, salts = build_records(chain_id, contract)
        tree = Tree.of([record_leaf_value(r, s) for r, s in zip(records, salts, strict=True)])
        receipt = client.anchor(tree.root, len(records), b"\x00" * 31 + b"\x02")
        _, bundles = assemble(
            records,
            salts,
            chain_id=chain_id,
            contract=contract,
            tx_hash=bytes.fromhex(receipt.tx_hash[2:]),
            block_number=receipt.block_number,
            timestamp=receipt.timestamp,
        )
        deploy_block = chain.w3.eth.get_block(1, full_transactions=False)
        trust = parse_trust(
            {
                "format": "tanji-trust/1",
                "chains": [{"chainId": chain_id, "rpcUrl": url, "contracts": [contract]}],
                "issuers": [{"address": ISSUER.address, "name": "Chongqing Carbon Label Center"}],
                "certificationBodies": [
                    {
                        "address": SG_BODY.address,
                        "name": "Singapore body",
                        "schemes": [SCHEME],
                        "categories": [CATEGORY],
                    }
                ],
            }
        )
        decoys = {
            "root": hx(decoy_tree.root),
            "txHash": decoy.tx_hash,
            "blockNumber": decoy.block_number,
            "timestamp": decoy.timestamp,
            "deployTx": hx(cast(bytes, deploy_block["transactions"][0])),
        }
        yield World(bundles, records, salts, chain_id, contract, trust, decoys)
    finally:
        stop()
        chain.close()


def test_the_genuine_bundles_verify_valid_with_every_check(world: World) -> None:
    for name, bundle in world.bundles.items():
        report = world.verify(bundle)
        assert report.status is Verdict.VALID, (name, report.to_json())
        assert {r.status for r in report.results} == {Status.VALID}, (name, report.to_json())
    checks = {r.qualified_name for r in world.verify(world.bundles["supply_chain"]).results}
    assert {
        "attestations[0].attestation_signature",
        "attestations[0].attestations[0].attestation_signature",
        "recognitions[0].recognition",
        "recognitions[0].anchored",
    } <= checks


# --- paths into JSON -----------------------------------------------------------------------


def walk(value: Any, path: JsonPath = ()) -> Iterator[JsonPath]:
    """Every path in ``value``, containers before their members."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, (*path, index))


def get(value: Any, path: JsonPath) -> Any:
    for step in path:
        value = value[step]
    return value


def put(value: Any, path: JsonPath, new: Any) -> Any:
    """``value`` with the member at ``path`` replaced (the root itself when ``path`` is empty)."""
    if not path:
        return new
    get(value, path[:-1])[path[-1]] = new
    return value


def delete(value: Any, path: JsonPath) -> None:
    del get(value, path[:-1])[path[-1]]


def bundle_paths(bundle: Any, path: JsonPath = ()) -> Iterator[JsonPath]:
    """The paths of the bundle and of every bundle nested in it."""
    yield path
    for key in NESTED_KEYS:
        for index, child in enumerate(bundle.get(key, [])):
            yield from bundle_paths(child, (*path, key, index))


def same(a: Any, b: Any) -> bool:
    """Equal RFC 8785 forms, hex case aside: the mutation changed nothing a verifier may tell
    apart (``1.0`` for ``1``, ``0xAB`` for ``0xab`` in a hash outside the record)."""
    try:
        return canonicalize(hex_lowered(a)) == canonicalize(hex_lowered(b))
    except (BundleFormatError, RecursionError):
        return False


def hex_lowered(bundle: Any) -> Any:
    """``bundle`` with its hashes, salts and addresses outside the records in lower case."""

    def lower(value: Any) -> Any:
        return value.lower() if isinstance(value, str) and value[:2] in ("0x", "0X") else value

    out = copy.deepcopy(bundle)
    try:
        nodes = [get(out, path) for path in bundle_paths(out)]
    except (AttributeError, KeyError, IndexError, TypeError):
        return out
    for node in nodes:
        if not isinstance(node, dict):
            continue
        for key in ("root", "salt"):
            if key in node:
                node[key] = lower(node[key])
        if isinstance(node.get("proof"), list):
            node["proof"] = [lower(p) for p in node["proof"]]
        encoding, values = node.get("leafEncoding"), node.get("leafValue")
        if isinstance(encoding, list) and isinstance(values, list):
            node["leafValue"] = [
                lower(v) if i < len(encoding) and encoding[i] == "bytes32" else v
                for i, v in enumerate(values)
            ]
        for key in ("anchor", "disclosure"):
            member = node.get(key)
            if isinstance(member, dict):
                for name, item in member.items():
                    member[name] = (
                        {k: lower(v) for k, v in item.items()}
                        if isinstance(item, dict)
                        else lower(item)
                    )
    return out


def show(value: Any) -> str:
    """A short picture of a mutated bundle for a failure message."""
    try:
        return json.dumps(value, ensure_ascii=False)[:3000]
    except (ValueError, RecursionError):
        return repr(value)[:3000]


def flip_bit(hex_value: str, bit: int) -> str:
    data = bytearray(bytes.fromhex(hex_value[2:]))
    data[(bit // 8) % len(data)] ^= 1 << (bit % 8)
    return hx(bytes(data))


def well_formed(report: VerificationReport) -> None:
    """A report the CLI can print, in which no check met something it did not foresee."""
    report.to_json()
    for result in report.results:
        assert result.reason and result.message("zh-Hans")
        # 999: a check raised and ``run_check`` caught it; the node is up, so no 99x either.
        assert int(result.code) not in (Code.INTERNAL_ERROR, Code.CHAIN_UNAVAILABLE), result
        if result.status is not Status.VALID:
            event(f"{result.status.value} {result.name} {int(result.code)}")
    event(f"verdict {report.status.value}")


def assert_not_valid(world: World, original: Any, mutated: Any) -> None:
    """The verdict on ``mutated`` is a report, and never VALID unless nothing changed."""
    report = world.verify(mutated)
    well_formed(report)
    if same(original, mutated):
        event(f"no-op, {report.status.value}")
        return
    assert report.status is not Verdict.VALID, show(mutated)


# --- strategies ----------------------------------------------------------------------------

bundle_names = st.sampled_from(["footprint", "redacted", "supply_chain"])
huge_numbers = st.one_of(
    st.integers(min_value=2**53, max_value=2**1100),
    st.integers(min_value=-(2**1100), max_value=-(2**53)),
    st.sampled_from([2**256, 2**256 - 1, 2**63, -(2**63) - 1, 1e308, -1e308, 5e-324, 2**53 + 1]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8")),
    st.sampled_from(["", "\u202e", "\u200b", "\x00", "\x1b[31m", "0x", "0x00", "０", "é", "é"]),
    huge_numbers,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def deep(draw: st.DrawFn) -> Any:
    """A value nested far past every limit (lists or objects)."""
    depth = draw(st.integers(min_value=90, max_value=5000))
    value: Any = draw(scalars)
    as_object = draw(st.booleans())
    for _ in range(depth):
        value = {"a": value} if as_object else [value]
    return value


# --- targeted mutations: record, proof, root, anchor, signature, leafValue ------------------


@FUZZ
@given(data=st.data(), name=bundle_names)
def test_a_mutated_record_value_never_verifies(
    world: World, data: st.DataObject, name: str
) -> None:
    original = world.bundles[name]
    bundle = copy.deepcopy(original)
    where = data.draw(st.sampled_from(list(bundle_paths(bundle))))
    record_path = (*where, "record")
    path = data.draw(st.sampled_from(list(walk(get(bundle, record_path), record_path))))
    target = get(bundle, path)
    action = data.draw(st.sampled_from(["replace", "delete", "add", "rename", "number"]))
    if action == "delete" and len(path) > len(record_path):
        delete(bundle, path)
    elif action == "add" and isinstance(target, dict):
        target[data.draw(st.text(max_size=12))] = data.draw(json_values)
    elif action == "add" and isinstance(target, list):
        target.insert(data.draw(st.integers(0, len(target))), data.draw(json_values))
    elif action == "rename" and isinstance(target, dict) and target:
        key = data.draw(st.sampled_from(sorted(target)))
        target[data.draw(st.text(max_size=12))] = target.pop(key)
    elif action == "number" and isinstance(target, int | float) and not isinstance(target, bool):
        bundle = put(bundle, path, data.draw(st.sampled_from(_near(target))))
    else:
        bundle = put(bundle, path, data.draw(json_values))
    assert_not_valid(world, original, bundle)


def _near(number: float) -> list[Any]:
    """Numbers next to ``number``, and the same number spelt as another type."""
    return [number + 1, number - 1, -number, number * 10, float(number), str(number), number + 1e-9]


@FUZZ
@given(data=st.data(), name=bundle_names)
def test_a_mutated_proof_never_verifies(world: World, data: st.DataObject, name: str) -> None:
    original = world.bundles[name]
    bundle = copy.deepcopy(original)
    where = data.draw(st.sampled_from(list(bundle_paths(bundle))))
    proof: list[Any] = get(bundle, (*where, "proof"))
    action = data.draw(st.sampled_from(["flip", "drop", "add", "swap", "repeat", "replace"]))
    i = data.draw(st.integers(0, len(proof) - 1))
    if action == "flip":
        proof[i] = flip_bit(proof[i], data.draw(st.integers(0, 255)))
    elif action == "drop":
        del proof[i]
    elif action == "add":
        extra = data.draw(st.binary(min_size=32, max_size=32))
        proof.insert(data.draw(st.integers(0, len(proof))), hx(extra))
    elif action == "swap":
        j = data.draw(st.integers(0, len(proof) - 1))
        assume(proof[i] != proof[j])
        proof[i], proof[j] = proof[j], proof[i]
    elif action == "repeat":
        proof.insert(i, proof[i])
    else:
        proof[i] = data.draw(st.one_of(json_values, st.binary(max_size=40).map(hx)))
    assert_not_valid(world, original, bundle)


@FUZZ
@given(data=st.data(), name=bundle_names)
def test_a_mutated_root_or_anchor_never_verifies(
    world: World, data: st.DataObject, name: str
) -> None:
    original = world.bundles[name]
    bundle = copy.deepcopy(original)
    where = data.draw(st.sampled_from(list(bundle_paths(bundle))))
    node = get(bundle, where)
    anchor = node["anchor"]
    member = data.draw(
        st.sampled_from(["root", "chainId", "contract", "txHash", "blockNumber", "timestamp"])
    )
    decoys = world.decoys
    if member == "root":
        node["root"] = data.draw(
            st.one_of(
                st.integers(0, 255).map(lambda bit: flip_bit(node["root"], bit)),
                st.just(decoys["root"]),
                json_values,
            )
        )
    elif member == "chainId":
        anchor["chainId"] = data.draw(
            st.one_of(
                st.sampled_from([1, 31337, 0, -world.chain_id, world.chain_id + 1]),
                huge_numbers,
                json_values,
            )
        )
    elif member == "contract":
        anchor["contract"] = data.draw(
            st.one_of(
                st.integers(0, 159).map(lambda bit: flip_bit(world.contract, bit)),
                st.sampled_from([ISSUER.address, "0x" + "00" * 20, SG_BODY.address]),
                json_values,
            )
        )
    elif member == "txHash":
        anchor["txHash"] = data.draw(
            st.one_of(
                st.integers(0, 255).map(lambda bit: flip_bit(anchor["txHash"], bit)),
                st.sampled_from([decoys["txHash"], decoys["deployTx"]]),
                json_values,
            )
        )
    else:
        value = anchor[member]
        anchor[member] = data.draw(
            st.one_of(
                st.sampled_from([value + 1, value - 1, decoys[member], 0, 2**64]),
                huge_numbers,
                # A null timestamp is an absent one: the member is optional.
                json_values.filter(lambda v: v is not None),
            )
        )
    assert_not_valid(world, original, bundle)


@FUZZ
@given(data=st.data(), name=bundle_names)
def test_a_mutated_leaf_value_or_encoding_never_verifies(
    world: World, data: st.DataObject, name: str
) -> None:
    original = world.bundles[name]
    bundle = copy.deepcopy(original)
    where = data.draw(st.sampled_from(list(bundle_paths(bundle))))
    node = get(bundle, where)
    member = data.draw(st.sampled_from(["leafValue", "leafEncoding", "salt"]))
    if member == "salt" and "salt" not in node:
        member = "disclosure"
    values = node[member]
    if isinstance(values, list):
        i = data.draw(st.integers(0, len(values) - 1))
        action = data.draw(st.sampled_from(["replace", "drop", "add", "swap", "flip"]))
        if action == "flip" and isinstance(values[i], str) and values[i].startswith("0x"):
            values[i] = flip_bit(values[i], data.draw(st.integers(0, 255)))
        elif action == "drop":
            del values[i]
        elif action == "add":
            values.append(data.draw(json_values))
        elif action == "swap":
            values.reverse()
        else:
            values[i] = data.draw(st.one_of(json_values, st.sampled_from(["bytes32", "uint256"])))
    elif member == "salt":
        node["salt"] = flip_bit(values, data.draw(st.integers(0, 255)))
    else:
        path = data.draw(st.sampled_from([p for p in walk(values) if len(p) == 2]))
        put(values, path, flip_bit(get(values, path), data.draw(st.integers(0, 255))))
    assert_not_valid(world, original, bundle)


SIGNED = {("attestations", 0), ("attestations", 0, "attestations", 0), ("recognitions", 0)}


@FUZZ_HEAVY
@given(data=st.data())
def test_a_flipped_signature_byte_never_verifies(world: World, data: st.DataObject) -> None:
    original = world.bundles["supply_chain"]
    bundle = copy.deepcopy(original)
    where = data.draw(st.sampled_from(sorted(SIGNED, key=len)))
    record = get(bundle, (*where, "record"))
    record["signature"] = flip_bit(record["signature"], data.draw(st.integers(0, 519)))
    assert_not_valid(world, original, bundle)


# --- signed statements changed and re-sealed: only the signature checks can catch them -------


def _twin_v(signature: str) -> str:
    """The same signature with ``v`` in its other documented spelling (27/28 ↔ 0/1)."""
    data = bytearray(bytes.fromhex(signature[2:]))
    data[64] = {27: 0, 28: 1, 0: 27, 1: 28}.get(data[64], data[64])
    return hx(bytes(data))


@FUZZ
@given(data=st.data())
def test_a_changed_and_resealed_signed_statement_never_verifies(
    world: World, data: st.DataObject
) -> None:
    index = data.draw(st.sampled_from([2, 3, 4]))  # pack, cell, recognition
    records = copy.deepcopy(world.records)
    record = records[index]
    member = data.draw(st.sampled_from([m for m in RECORD_MEMBERS if m != "type"]))
    if member == "signature":
        flipped = flip_bit(record["signature"], data.draw(st.integers(0, 519)))
        assume(flipped.lower() != _twin_v(record["signature"]).lower())
        record["signature"] = flipped
    elif member == "message":
        message = record["message"]
        key = data.draw(st.sampled_from(sorted(message)))
        message[key] = data.draw(
            st.one_of(json_values, st.sampled_from([PACK.address, CELL.address, ISSUER.address]))
        )
    elif member in ("signer", "verifyingContract"):
        record[member] = data.draw(
            st.one_of(
                st.sampled_from([PACK.address, CELL.address, SG_BODY.address, ISSUER.address]),
                st.integers(0, 159).map(lambda bit: flip_bit(world.contract, bit)),
                json_values,
            )
        )
    else:
        record[member] = data.draw(
            st.one_of(
                st.sampled_from([1, 31337, world.chain_id + 1, hx(keccak(b"other"))]),
                json_values,
            )
        )
    assume(not same(record, world.records[index]))
    assume(str(record.get(member)).lower() != str(world.records[index].get(member)).lower())
    try:
        _, bundles = assemble(
            records, world.salts, chain_id=world.chain_id, contract=world.contract
        )
    except BundleFormatError:
        reject()  # no leaf can be made of it (not canonical JSON, an id that is no string)
    checks = [*OFFLINE_CHECKS, RecognitionCheck()]
    # The re-sealed root is anchored nowhere: the verdict is drawn from the signature checks.
    trust = parse_trust(
        {
            "format": "tanji-trust/1",
            "chains": [{"chainId": world.chain_id, "contracts": [world.contract]}],
            "certificationBodies": [{"address": SG_BODY.address, "schemes": [SCHEME]}],
        }
    )
    report = Verifier(trust=trust, checks=checks).verify(bundles["supply_chain"])
    well_formed(report)
    assert report.status is not Verdict.VALID, (member, json.dumps(record)[:2000])


@pytest.mark.parametrize(("index", "record_type"), [(2, "label"), (4, "label")])
def test_a_nested_bundle_of_another_record_type_is_not_valid(
    world: World, index: int, record_type: str
) -> None:
    records = copy.deepcopy(world.records)
    records[index]["type"] = record_type
    _, bundles = assemble(records, world.salts, chain_id=world.chain_id, contract=world.contract)
    checks = [*OFFLINE_CHECKS, RecognitionCheck()]
    report = Verifier(trust=world.trust, checks=checks).verify(bundles["supply_chain"])
    assert report.status is not Verdict.VALID


# --- whole-structure mutations ---------------------------------------------------------------


def _may_stay_valid(mutated: Any, path: JsonPath, action: str) -> bool:
    """Taking away what a bundle may go without (a nested bundle, the anchor's optional
    timestamp), or adding a member to a bundle object (the protocol allows further keys)."""
    if action == "delete" and path and path[-1] in (*NESTED_KEYS, "timestamp"):
        return True
    if action == "delete" and len(path) >= 2 and path[-2] in NESTED_KEYS:
        return True
    if action in ("empty", "type") and path and path[-1] in NESTED_KEYS:
        return bool(get(mutated, path) == [])
    if action == "type" and path and path[-1] == "timestamp":
        return get(mutated, path) is None
    is_bundle = path == () or (len(path) >= 2 and path[-2] in NESTED_KEYS)
    return action == "add" and is_bundle


@FUZZ
@given(data=st.data(), name=bundle_names)
def test_structural_mutations_never_raise_and_never_verify(
    world: World, data: st.DataObject, name: str
) -> None:
    original = world.bundles[name]
    bundle: Any = copy.deepcopy(original)
    path = data.draw(st.sampled_from(list(walk(bundle))))
    target = get(bundle, path)
    action = data.draw(st.sampled_from(["delete", "type", "deep", "huge", "add", "empty"]))
    if action == "delete" and path:
        delete(bundle, path)
    elif action == "add" and isinstance(target, dict):
        key = data.draw(st.one_of(st.text(max_size=12), st.sampled_from(["status", "anchor"])))
        assume(key not in target)
        target[key] = data.draw(json_values)
    elif action == "empty" and isinstance(target, list | dict):
        bundle = put(bundle, path, type(target)())
    elif action == "deep":
        bundle = put(bundle, path, data.draw(deep()))
    elif action == "huge":
        bundle = put(bundle, path, data.draw(huge_numbers))
    else:
        action = "type"
        bundle = put(bundle, path, data.draw(json_values))
    report = world.verify(bundle)
    well_formed(report)
    if report.status is Verdict.VALID:
        event(f"stayed VALID: {action} {path}")
    if not _may_stay_valid(bundle, path, action) and not same(original, bundle):
        assert report.status is not Verdict.VALID, (path, action, show(bundle))


# --- the bundle as text ----------------------------------------------------------------------


def _strict(text: bytes) -> Any:
    """Parse as the protocol reads JSON (no duplicate keys, no NaN); None when it is not JSON."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({k for k, _ in pairs}) != len(pairs):
            raise ValueError("duplicate key")
        return dict(pairs)

    def no_constant(name: str) -> Any:
        raise ValueError(name)

    if json_depth_exceeds(text, MAX_JSON_DEPTH):
        return None  # past the protocol's limit (and deep enough to crash a C JSON parser)
    try:
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constant)
    except (ValueError, RecursionError):
        return None


@st.composite
def text_mutation(draw: st.DrawFn, text: bytes) -> bytes:
    action = draw(st.sampled_from(["flip", "cut", "insert", "number", "duplicate", "nest"]))
    if action == "flip":
        i = draw(st.integers(0, len(text) - 1))
        return text[:i] + bytes([text[i] ^ draw(st.integers(1, 255))]) + text[i + 1 :]
    if action == "cut":
        return text[: draw(st.integers(0, len(text) - 1))]
    if action == "insert":
        i = draw(st.integers(0, len(text)))
        return text[:i] + draw(st.binary(min_size=1, max_size=8)) + text[i:]
    if action == "number":
        # Respell a number: the same value (1.0, 1e0, 10e-1) must verify as before; another
        # value (1e400 is infinity; 4,301 digits are past Python's int parsing limit) must not.
        spans = [i for i in range(len(text)) if text[i : i + 1].isdigit() and text[i - 1] in b":,["]
        assume(spans)
        start = draw(st.sampled_from(spans))
        end = start
        while end < len(text) and text[end : end + 1] in b"0123456789.eE+-":
            end += 1
        number = text[start:end]
        spelling = draw(
            st.sampled_from(
                [
                    number + b".0" if b"." not in number else number + b"0",
                    number + b"e0",
                    number + b"E+00",
                    number + b"e400",
                    b"0" + number,
                    b"1" * 4301,
                    b"-" + number,
                ]
            )
        )
        return text[:start] + spelling + text[end:]
    if action == "duplicate":
        key = draw(st.sampled_from([b'"root"', b'"record"', b'"txHash"', b'"signature"', b'"id"']))
        i = text.find(key + b":")
        assume(i >= 0)
        return text[:i] + key + b':"0x00",' + text[i:]
    depth = draw(st.integers(min_value=90, max_value=100_000))
    i = text.find(b'"record":{') + len(b'"record":{')
    return text[:i] + b'"deep":' + b"[" * depth + b"1" + b"]" * depth + b"," + text[i:]


@FUZZ
@given(data=st.data(), name=bundle_names)
def test_mutated_bundle_text_never_raises_and_never_verifies(
    world: World, data: st.DataObject, name: str
) -> None:
    original = world.bundles[name]
    text = json.dumps(original, ensure_ascii=False, separators=(",", ":")).encode()
    mutated = data.draw(text_mutation(text))
    report = world.verify(mutated)
    well_formed(report)
    parsed = _strict(mutated)
    if report.status is Verdict.VALID:
        event(f"stayed VALID: {mutated[:0]!r}{len(mutated) - len(text)} bytes longer")
    if parsed is None or not same(original, parsed):
        assert report.status is not Verdict.VALID, mutated[:3000]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-cli")


@FUZZ
@given(data=st.data(), name=bundle_names, verbose=st.booleans())
def test_the_cli_offline_never_raises_on_mutated_bundle_text(
    world: World, scratch: Path, data: st.DataObject, name: str, verbose: bool
) -> None:
    original = world.bundles[name]
    text = json.dumps(original, ensure_ascii=False, separators=(",", ":")).encode()
    mutated = data.draw(text_mutation(text))
    path = scratch / "bundle.json"
    path.write_bytes(mutated)
    out = io.StringIO()
    argv = [str(path), "--offline", "--lang", data.draw(st.sampled_from(["en", "zh"]))]
    code = cli_main(argv + (["--verbose"] if verbose else ["--json"]), out=out)
    assert code in (EXIT_VALID, EXIT_INVALID, EXIT_ERROR) and out.getvalue()
    parsed = _strict(mutated)
    if parsed is None or not same(original, parsed):
        assert code != EXIT_VALID, mutated[:3000]
