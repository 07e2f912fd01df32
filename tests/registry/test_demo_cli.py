"""``tanji demo`` through the CLI entry (``registry.cli.main``), as a user runs it.

On a hardhat node started by the tests (``--rpc-url`` without ``--anchor-address``: the CLI deploys
the contract first, signing with ``TANJI_SIGNER_KEY``) and on the embedded chain. Every bundle
written then passes ``tanji verify`` against the node, and ``StandardMerkleTree.verify`` of
``@openzeppelin/merkle-tree``: the bundles the real registry path produces, not test-built ones.
Each demo runs once per module; the tests share its output.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from eth_account import Account
from eth_utils import to_checksum_address

from registry.cli import main
from tests.nodes import HARDHAT_CHAIN_ID, HARDHAT_KEY_1, rpc
from tests.verifier.test_oz_interop import all_bundles, oz
from verifier.cli import main as verify_main

pytestmark = pytest.mark.slow

# Key 1, not key 0: the deployer must be the signer the CLI read from the environment, and no
# other default (a keystore, key 0 of the node) may be mistaken for it.
SIGNER = Account.from_key(HARDHAT_KEY_1).address


@dataclass(frozen=True, slots=True)
class DemoRun:
    """What one ``tanji demo`` wrote and printed."""

    out: Path
    code: int
    lines: list[str]
    summary: dict[str, Any]
    trust: dict[str, Any]
    bundles: dict[Path, dict[str, Any]]


def _demo(tmp: Path, *extra: str) -> DemoRun:
    out = tmp / "out"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(["demo", "--out", str(out), "--data-dir", str(tmp / "data"), *extra])
    summary = json.loads((out / "summary.json").read_text("utf-8")) if code == 0 else {}
    trust = json.loads((out / "trust.json").read_text("utf-8")) if code == 0 else {}
    bundles = {
        path: json.loads(path.read_text("utf-8")) for path in sorted(out.glob("bundles/*.json"))
    }
    return DemoRun(out, code, stdout.getvalue().splitlines(), summary, trust, bundles)


def _clean_env(mp: pytest.MonkeyPatch) -> None:
    # Settings read TANJI_*: nothing from the caller's shell may pick another chain or key.
    for name in ("TANJI_RPC_URL", "TANJI_ANCHOR_ADDRESS", "TANJI_DATA_DIR", "TANJI_BASE_URL"):
        mp.delenv(name, raising=False)


@pytest.fixture(scope="module")
def hardhat_demo(hardhat_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    tmp = tmp_path_factory.mktemp("demo-hardhat")
    with pytest.MonkeyPatch.context() as mp:
        _clean_env(mp)
        mp.delenv("TANJI_KEYSTORE", raising=False)
        mp.setenv("TANJI_SIGNER_KEY", HARDHAT_KEY_1)
        yield _demo(tmp, "--rpc-url", hardhat_url)


@pytest.fixture(scope="module")
def embedded_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    tmp = tmp_path_factory.mktemp("demo-embedded")
    with pytest.MonkeyPatch.context() as mp:
        _clean_env(mp)
        yield _demo(tmp)


def _assert_written(run: DemoRun) -> None:
    assert run.code == 0
    labels = run.summary["labels"]
    assert run.summary["format"] == "tanji-demo-summary/1"
    assert len(labels) >= 12
    # What the CLI prints: the count and contract first, the summary file's path last.
    assert run.lines[0] == (
        f"{len(labels)} labels on chain {run.summary['chain_id']}"
        f" at {run.summary['contract']}: {len(labels) - 1} anchored, 1 pending"
    )
    assert run.lines[-1] == str(run.out / "summary.json")
    assert run.trust["format"] == "tanji-trust/1"
    assert run.trust["chains"][0]["contracts"] == [run.summary["contract"]]
    assert run.trust["issuers"][0]["address"] == run.summary["issuer"]
    assert sorted(run.bundles) == sorted(run.out / label["bundle_file"] for label in labels)
    for label in labels:
        bundle = run.bundles[run.out / label["bundle_file"]]
        assert bundle["record"]["id"] == label["label_id"]
        if label["state"] == "pending":  # issued after the demo's last batch
            assert (bundle["status"], bundle["anchor"]) == ("pending", None)
            continue
        assert bundle["anchor"]["contract"] == run.summary["contract"]
        assert bundle["anchor"]["chainId"] == run.summary["chain_id"]
        if label["qr_file"] is None:  # refused only for a label no longer valid
            assert label["state"] != "valid"
            continue
        png = run.out / label["qr_file"]
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert png.parent.name == "qr"


def test_cli_demo_on_hardhat_deploys_with_the_env_signer(
    hardhat_demo: DemoRun, hardhat_url: str
) -> None:
    _assert_written(hardhat_demo)
    summary = hardhat_demo.summary
    assert summary["chain_id"] == HARDHAT_CHAIN_ID
    assert summary["rpc_url"] == hardhat_url
    assert summary["issuer"] == SIGNER
    assert hardhat_demo.trust["chains"][0]["rpcUrl"] == hardhat_url
    contract = summary["contract"]
    assert rpc(hardhat_url, "eth_getCode", [contract, "latest"]) not in ("0x", None)
    # The demo deployed this contract itself, from TANJI_SIGNER_KEY's account.
    deployers = []
    for number in range(int(str(rpc(hardhat_url, "eth_blockNumber")), 16) + 1):
        block = cast(dict[str, Any], rpc(hardhat_url, "eth_getBlockByNumber", [hex(number), True]))
        for tx in block["transactions"]:
            if tx["to"] is None:
                receipt = cast(
                    dict[str, Any], rpc(hardhat_url, "eth_getTransactionReceipt", [tx["hash"]])
                )
                if (receipt["contractAddress"] or "").lower() == contract.lower():
                    deployers.append(to_checksum_address(receipt["from"]))
    assert deployers == [SIGNER]


def test_every_hardhat_demo_bundle_verifies_with_tanji_verify(
    hardhat_demo: DemoRun, hardhat_url: str
) -> None:
    assert hardhat_demo.bundles
    trust = str(hardhat_demo.out / "trust.json")
    # The valid labels (test_demo_mission checks the revoked, superseded and pending ones).
    valid = [
        hardhat_demo.out / label["bundle_file"]
        for label in hardhat_demo.summary["labels"]
        if label["state"] == "valid"
    ]
    assert len(valid) == len(hardhat_demo.bundles) - 3
    for path in valid:
        report = io.StringIO()
        code = verify_main(
            [str(path), "--trust", trust, "--rpc-url", hardhat_url, "--json"], out=report
        )
        document = json.loads(report.getvalue())
        assert (code, document["status"], document["mode"]) == (0, "VALID", "online"), path
        statuses = {check["check"]: check["status"] for check in document["checks"]}
        # Online means checked on chain, not skipped: the verdict rests on these.
        for check in ("integrity", "inclusion", "anchored", "not_revoked", "issuer"):
            assert statuses.get(check) == "VALID", (path, check, statuses)

    # The same verifier says INVALID for a tampered copy, so the VALIDs above are not vacuous.
    path, bundle = next(iter(hardhat_demo.bundles.items()))
    tampered = json.loads(json.dumps(bundle))
    tampered["leafValue"][2] = "0x" + "11" * 32
    bad = hardhat_demo.out.parent / "tampered.json"
    bad.write_text(json.dumps(tampered), "utf-8")
    code = verify_main([str(bad), "--trust", trust, "--rpc-url", hardhat_url], out=io.StringIO())
    assert code == 1, path


def test_cli_demo_on_the_embedded_chain_writes_summary_trust_and_qr(
    embedded_demo: DemoRun,
) -> None:
    _assert_written(embedded_demo)
    # No node was given: the trust file points at the embedded chain as `tanji serve` serves it.
    assert embedded_demo.trust["chains"][0]["rpcUrl"] == embedded_demo.summary["base_url"] + "/rpc"
    labels = embedded_demo.summary["labels"]
    assert len(list(embedded_demo.out.glob("qr/*.png"))) == sum(
        label["qr_file"] is not None for label in labels
    )
    paths = [
        str(embedded_demo.out / label["bundle_file"])
        for label in labels
        if label["state"] == "valid"
    ]
    assert verify_main([*paths, "--offline"], out=io.StringIO()) == 0


def test_every_demo_bundle_verifies_with_standard_merkle_tree(
    hardhat_demo: DemoRun, embedded_demo: DemoRun
) -> None:
    bundles = [
        nested
        for run in (hardhat_demo, embedded_demo)
        for bundle in run.bundles.values()
        for nested in all_bundles(bundle)
        if "root" in nested  # anchored: a pending bundle has no proof yet
    ]
    assert len(bundles) >= 24
    for bundle in bundles:
        assert bundle["leafEncoding"] == ["string", "string", "bytes32"]
    # Tampered copies of each are refused by the same call, so a True cannot come from a check
    # that accepts anything.
    tampered = []
    for bundle in bundles:
        copy = json.loads(json.dumps(bundle))
        copy["leafValue"][2] = "0x" + ("22" if copy["leafValue"][2][-2:] != "22" else "33") * 32
        tampered.append(copy)
    result = oz(bundles + tampered, [])
    assert result["verified"] == [True] * len(bundles) + [False] * len(tampered)
