"""Verification against a real TanjiAnchorRegistry on a real `hardhat node`."""

from __future__ import annotations

import copy
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.nodes import HARDHAT_CHAIN_ID, free_port
from tests.verifier.factories import anchored_set, hx, make_bundle
from tests.verifier.onchain import Deployment, deploy, make_deployment, send
from verifier._internal.checks import CheckResult, Status
from verifier._internal.verifier import Verdict, VerificationReport, Verifier, verify_offline
from verifier.protocol.codes import Code

pytestmark = pytest.mark.hardhat


@pytest.fixture(scope="module")
def dep(hardhat_url: str) -> Deployment:
    d = make_deployment(hardhat_url)
    d.anchor("label")
    revoked_root = d.anchor("footprint")
    send(d.w3, d.issuer, d.contract.functions.revokeRoot(revoked_root.tree.root, 3))
    leaf_batch = d.anchor("attestation")
    b = leaf_batch.bundles[2]
    from verifier._internal.bundle import parse_bundle

    parsed = parse_bundle(b)
    send(
        d.w3,
        d.issuer,
        d.contract.functions.revokeLeaf(parsed.root, parsed.leaf, list(parsed.proof), 5),
    )
    return d


def result(report: VerificationReport, name: str) -> CheckResult:
    return next(r for r in report.results if r.qualified_name == name)


def codes(report: VerificationReport) -> dict[str, tuple[str, int]]:
    return {r.qualified_name: (r.status.value, int(r.code)) for r in report.results}


def test_anchored_bundle_is_valid(dep: Deployment) -> None:
    report = Verifier(trust=dep.trust()).verify(dep.batches["label"].bundles[1])
    assert report.status is Verdict.VALID, report.to_json()
    assert [r.name for r in report.results] == [
        "format",
        "integrity",
        "inclusion",
        "anchored",
        "not_revoked",
        "issuer",
    ]
    assert all(r.status is Status.VALID for r in report.results)
    assert result(report, "issuer").data["issuer"] == "Chongqing Carbon Label Center"
    assert (
        result(report, "anchored").data["blockNumber"]
        == dep.batches["label"].receipt["blockNumber"]
    )


def test_addresses_compare_checksum_insensitively(dep: Deployment) -> None:
    doc = dep.trust_json()
    doc["chains"][0]["contracts"] = [dep.address.upper().replace("0X", "0x")]
    doc["issuers"][0]["address"] = dep.issuer.address.lower()
    from verifier._internal.trust import parse_trust

    bundle = copy.deepcopy(dep.batches["label"].bundles[0])
    bundle["anchor"]["contract"] = dep.address.lower()
    assert Verifier(trust=parse_trust(doc)).verify(bundle).status is Verdict.VALID


def test_untrusted_contract_is_invalid_even_with_the_root_anchored_there(dep: Deployment) -> None:
    # An attacker deploys their own registry and anchors the same root on it.
    rogue = deploy(dep.w3, dep.outsider)
    batch = dep.batches["label"]
    receipt = send(dep.w3, dep.outsider, rogue.functions.anchor(batch.tree.root, 4, b"\x01" * 32))
    bundle = copy.deepcopy(batch.bundles[0])
    bundle["anchor"].update(
        contract=str(rogue.address),
        txHash=hx(bytes(receipt["transactionHash"])),
        blockNumber=receipt["blockNumber"],
    )
    bundle["anchor"].pop("timestamp")
    report = Verifier(trust=dep.trust()).verify(bundle)
    assert report.status is Verdict.INVALID
    assert codes(report)["anchored"] == ("INVALID", Code.ANCHORED_UNTRUSTED_CONTRACT)
    assert codes(report)["not_revoked"] == ("SKIPPED", Code.SKIPPED_ANCHOR_UNTRUSTED)
    assert codes(report)["issuer"] == ("SKIPPED", Code.SKIPPED_ANCHOR_UNTRUSTED)

    # Trusting the rogue contract is not enough either: its sender is no trusted issuer.
    doc = dep.trust_json()
    doc["chains"][0]["contracts"].append(str(rogue.address))
    from verifier._internal.trust import parse_trust

    report = Verifier(trust=parse_trust(doc)).verify(bundle)
    assert codes(report)["anchored"] == ("VALID", 0)
    assert codes(report)["issuer"] == ("INVALID", Code.ISSUER_UNTRUSTED)
    assert report.status is Verdict.INVALID


def test_untrusted_chain_id_is_invalid(dep: Deployment) -> None:
    bundle = copy.deepcopy(dep.batches["label"].bundles[0])
    bundle["anchor"]["chainId"] = 1
    report = Verifier(trust=dep.trust()).verify(bundle)
    assert codes(report)["anchored"] == ("INVALID", Code.ANCHORED_UNTRUSTED_CHAIN)
    assert report.status is Verdict.INVALID


def test_node_serving_another_chain_is_invalid(dep: Deployment) -> None:
    bundle = copy.deepcopy(dep.batches["label"].bundles[0])
    bundle["anchor"]["chainId"] = 1
    trust = dep.trust(chains=[{"chainId": 1, "rpcUrl": dep.url, "contracts": [dep.address]}])
    report = Verifier(trust=trust).verify(bundle)
    assert codes(report)["anchored"] == ("INVALID", Code.ANCHORED_CHAIN_ID_MISMATCH)
    assert result(report, "anchored").data["nodeChainId"] == HARDHAT_CHAIN_ID


def test_revoked_leaf_is_invalid_with_reason_code(dep: Deployment) -> None:
    batch = dep.batches["attestation"]
    report = Verifier(trust=dep.trust()).verify(batch.bundles[2])
    r = result(report, "not_revoked")
    assert (r.status, r.code) == (Status.INVALID, Code.REVOKED_LEAF)
    assert r.data["reasonCode"] == 5 and r.data["reasonName"] == "fraud"
    assert "reason 5" in r.reason and "原因 5" in r.message("zh-Hans")
    assert report.status is Verdict.INVALID
    # Its siblings in the same batch are unaffected.
    assert Verifier(trust=dep.trust()).verify(batch.bundles[1]).status is Verdict.VALID


def test_revoked_root_is_invalid_for_every_leaf(dep: Deployment) -> None:
    for bundle in dep.batches["footprint"].bundles:
        report = Verifier(trust=dep.trust()).verify(bundle)
        r = result(report, "not_revoked")
        assert (r.status, r.code, r.data["reasonCode"]) == (Status.INVALID, Code.REVOKED_ROOT, 3)
        assert codes(report)["anchored"] == ("VALID", 0)  # anchored, then revoked
        assert report.status is Verdict.INVALID


def test_untrusted_issuer_is_invalid(dep: Deployment) -> None:
    trust = dep.trust(issuers=[{"address": dep.outsider.address, "name": "someone else"}])
    report = Verifier(trust=trust).verify(dep.batches["label"].bundles[0])
    r = result(report, "issuer")
    assert (r.status, r.code) == (Status.INVALID, Code.ISSUER_UNTRUSTED)
    assert r.data["sender"] == dep.issuer.address.lower()


def test_no_issuers_listed_skips_issuer_check(dep: Deployment) -> None:
    report = Verifier(trust=dep.trust(issuers=[])).verify(dep.batches["label"].bundles[0])
    assert codes(report)["issuer"] == ("SKIPPED", Code.ISSUER_NONE_CONFIGURED)
    assert report.status is Verdict.VALID


def test_root_never_anchored_is_invalid(dep: Deployment) -> None:
    tree, records, salts = anchored_set(2, record_type="recognition")
    bundle = make_bundle(
        records[0],
        salts[0],
        tree,
        0,
        contract=dep.address,
        tx_hash=bytes(dep.batches["label"].receipt["transactionHash"]),
        block_number=dep.batches["label"].receipt["blockNumber"],
    )
    report = Verifier(trust=dep.trust()).verify(bundle)
    assert verify_offline(bundle).status is Verdict.VALID  # consistent, but never anchored
    assert codes(report)["anchored"] == ("INVALID", Code.ANCHORED_ROOT_NOT_ANCHORED)


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda b, d: b["anchor"].update(txHash=hx(b"\x42" * 32)), Code.ANCHORED_TX_NOT_FOUND),
        (
            lambda b, d: b["anchor"].update(
                txHash=hx(bytes(d.batches["footprint"].receipt["transactionHash"]))
            ),
            Code.ANCHORED_NO_EVENT,
        ),
        (
            lambda b, d: b["anchor"].update(blockNumber=b["anchor"]["blockNumber"] + 1),
            Code.ANCHORED_BLOCK_MISMATCH,
        ),
        (
            lambda b, d: b["anchor"].update(timestamp=b["anchor"]["timestamp"] - 1),
            Code.ANCHORED_BLOCK_MISMATCH,
        ),
    ],
)
def test_wrong_anchor_reference_is_invalid(dep: Deployment, mutate: Any, code: Code) -> None:
    bundle = copy.deepcopy(dep.batches["label"].bundles[0])
    mutate(bundle, dep)
    report = Verifier(trust=dep.trust()).verify(bundle)
    assert codes(report)["anchored"] == ("INVALID", code)
    assert report.status is Verdict.INVALID


def test_node_down_is_error_never_invalid(dep: Deployment) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    report = Verifier(trust=dep.trust(), rpc_url_override=closed, timeout=2).verify(
        dep.batches["label"].bundles[0]
    )
    assert report.status is Verdict.ERROR
    for name in ("anchored", "not_revoked", "issuer"):
        assert codes(report)[name] == ("ERROR", Code.CHAIN_UNAVAILABLE), name
    assert codes(report)["integrity"] == ("VALID", 0)


def test_node_down_does_not_hide_a_forgery(dep: Deployment) -> None:
    bundle = copy.deepcopy(dep.batches["label"].bundles[0])
    bundle["record"]["grade"] = "A+"
    closed = f"http://127.0.0.1:{free_port()}"
    report = Verifier(trust=dep.trust(), rpc_url_override=closed, timeout=2).verify(bundle)
    assert report.status is Verdict.INVALID


@pytest.fixture(scope="module")
def garbage_url() -> Iterator[str]:
    """A real HTTP server on loopback that answers every request with non-JSON."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"<html>not json-rpc</html>")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_garbage_answer_is_error(dep: Deployment, garbage_url: str) -> None:
    report = Verifier(trust=dep.trust(), rpc_url_override=garbage_url, timeout=5).verify(
        dep.batches["label"].bundles[0]
    )
    assert report.status is Verdict.ERROR
    assert codes(report)["anchored"][0] == "ERROR"
    assert codes(report)["anchored"][1] in (Code.CHAIN_BAD_ANSWER, Code.CHAIN_UNAVAILABLE)


def test_rpc_url_override_replaces_trust_file_url(dep: Deployment) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    trust = dep.trust(
        chains=[{"chainId": HARDHAT_CHAIN_ID, "rpcUrl": dead, "contracts": [dep.address]}]
    )
    bundle = dep.batches["label"].bundles[0]
    assert Verifier(trust=trust, timeout=2).verify(bundle).status is Verdict.ERROR
    assert Verifier(trust=trust, rpc_url_override=dep.url).verify(bundle).status is Verdict.VALID


def test_no_rpc_url_is_error(dep: Deployment) -> None:
    trust = dep.trust(chains=[{"chainId": HARDHAT_CHAIN_ID, "contracts": [dep.address]}])
    report = Verifier(trust=trust).verify(dep.batches["label"].bundles[0])
    assert codes(report)["anchored"] == ("ERROR", Code.ANCHORED_NO_RPC_URL)
    assert report.status is Verdict.ERROR


def test_nested_bundles_are_checked_on_chain(dep: Deployment) -> None:
    label = copy.deepcopy(dep.batches["label"].bundles[0])
    label["attestations"] = [
        dep.batches["attestation"].bundles[0],
        dep.batches["attestation"].bundles[2],  # its leaf is revoked
    ]
    report = Verifier(trust=dep.trust()).verify(label)
    assert report.status is Verdict.INVALID
    assert codes(report)["attestations[0].not_revoked"] == ("VALID", 0)
    assert codes(report)["attestations[1].not_revoked"] == ("INVALID", Code.REVOKED_LEAF)
    assert codes(report)["not_revoked"] == ("VALID", 0)

    label["attestations"] = [dep.batches["attestation"].bundles[0]]
    assert Verifier(trust=dep.trust()).verify(label).status is Verdict.VALID


def test_pending_bundle_is_pending(dep: Deployment) -> None:
    from tests.verifier.factories import make_record, pending_bundle, salt_for

    report = Verifier(trust=dep.trust()).verify(pending_bundle(make_record(99), salt_for("p")))
    assert report.status is Verdict.PENDING
    assert codes(report)["anchored"] == ("SKIPPED", Code.SKIPPED_PENDING)


def _hidden_name_spans(data: bytes, bundle: dict[str, Any]) -> set[int]:
    """Byte positions of the names inside ``disclosure.hidden`` (see the redacted test)."""
    start = data.index(b'"hidden": {')
    spans: set[int] = set()
    for name in bundle["disclosure"]["hidden"]:
        at = data.index(b'"' + name.encode() + b'"', start)
        spans.update(range(at + 1, at + 1 + len(name.encode())))
    return spans


@pytest.mark.parametrize("kind", ["full", "redacted"])
def test_every_single_byte_change_is_never_valid(dep: Deployment, kind: str) -> None:
    """Flip one bit at every position of a serialized bundle: no mutant may verify as VALID."""
    from tests.verifier.factories import redact

    bundle = dep.batches["label"].bundles[3]
    if kind == "redacted":
        bundle = redact(bundle, ["footprint", "product"])
    data = json.dumps(bundle, ensure_ascii=False).encode("utf-8")
    # The names of hidden fields are not committed to by the digest (only their commitments and
    # sort order are): docs/PROTOCOL.md says so, and verifiers never present them as verified.
    unauthenticated = _hidden_name_spans(data, bundle) if kind == "redacted" else set()
    verifier = Verifier(trust=dep.trust())
    assert verifier.verify(data).status is Verdict.VALID
    online = 0
    for position in range(len(data)):
        if position in unauthenticated:
            continue
        mutant = bytearray(data)
        mutant[position] ^= 0x01
        # Offline checks are a subset of the online ones: a mutant that fails them fails online.
        offline = verify_offline(bytes(mutant))
        if offline.status is Verdict.VALID:
            online += 1
            status = verifier.verify(bytes(mutant)).status
        else:
            status = offline.status
        assert status is not Verdict.VALID, (
            position,
            bytes(mutant[max(0, position - 20) : position + 20]),
        )
    assert online > 100  # the anchor object really went to the chain


def test_cli_exit_codes_and_json(
    dep: Deployment,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from verifier.cli import main

    monkeypatch.delenv("TANJI_TRUST_FILE", raising=False)
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(dep.trust_json()))
    good = tmp_path / "good.json"
    good.write_text(json.dumps(dep.batches["label"].bundles[0], ensure_ascii=False))
    bad = tmp_path / "bad.json"
    tampered = copy.deepcopy(dep.batches["label"].bundles[0])
    tampered["record"]["grade"] = "A+"
    bad.write_text(json.dumps(tampered, ensure_ascii=False))
    revoked = tmp_path / "revoked.json"
    revoked.write_text(json.dumps(dep.batches["footprint"].bundles[0]))

    assert main([str(good), "--trust", str(trust)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: ") and "issuer" in out and "VALID" in out

    assert main(["verify", str(bad), "--trust", str(trust)]) == 1
    assert capsys.readouterr().out.startswith("FAIL: ")

    assert main([str(revoked), "--trust", str(trust), "--lang", "zh"]) == 1
    assert "原因 3" in capsys.readouterr().out

    closed = f"http://127.0.0.1:{free_port()}"
    assert main([str(good), "--trust", str(trust), "--rpc-url", closed, "--timeout", "2"]) == 2
    assert capsys.readouterr().out.startswith("ERROR: ")

    assert main([str(good), "--trust", str(trust), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "VALID" and len(report["checks"]) == 6
    assert {c["name"] for c in report["checks"]} >= {"anchored", "not_revoked", "issuer"}

    # No trust file: a clear error, never the bundle's own anchor.
    assert main([str(good)]) == 2
    assert f"[{int(Code.CLI_NO_TRUST_FILE)}]" in capsys.readouterr().out
    monkeypatch.setenv("TANJI_TRUST_FILE", str(trust))
    assert main([str(good)]) == 0
    capsys.readouterr()

    assert main([str(tmp_path / "missing.json")]) == 2
    assert f"[{int(Code.CLI_BUNDLE_UNREADABLE)}]" in capsys.readouterr().out
    assert main([str(good), str(bad)]) == 1
    capsys.readouterr()
    assert main([str(good), "--offline"]) == 0
    assert "offline" in capsys.readouterr().out


def test_rpc_url_override_is_for_the_outer_bundles_chain_only(dep: Deployment) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    label = copy.deepcopy(dep.batches["label"].bundles[0])
    foreign = copy.deepcopy(dep.batches["attestation"].bundles[0])
    foreign["anchor"]["chainId"] = 65  # a partner's chain, whose node is down
    label["attestations"] = [foreign]
    trust = dep.trust(
        chains=[
            {"chainId": HARDHAT_CHAIN_ID, "rpcUrl": dead, "contracts": [dep.address]},
            {"chainId": 65, "rpcUrl": dead, "contracts": [dep.address]},
        ]
    )
    report = Verifier(trust=trust, rpc_url_override=dep.url, timeout=2).verify(label)
    assert codes(report)["anchored"] == ("VALID", 0)
    # Had --rpc-url been used for chain 65 too, the node would have answered 31337 (INVALID 401).
    assert codes(report)["attestations[0].anchored"] == ("ERROR", Code.CHAIN_UNAVAILABLE)
    assert report.status is Verdict.ERROR


def test_node_that_never_answers_times_out_as_error(dep: Deployment) -> None:
    import socket

    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        report = Verifier(trust=dep.trust(), rpc_url_override=url, timeout=1).verify(
            dep.batches["label"].bundles[0]
        )
    assert report.status is Verdict.ERROR
    anchored = result(report, "anchored")
    assert (anchored.status, anchored.code) == (Status.ERROR, Code.CHAIN_UNAVAILABLE)
    assert "eth_chainId timed out (no answer within 1 s)" in anchored.reason
