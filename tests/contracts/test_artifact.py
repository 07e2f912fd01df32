"""The committed contract artifact (anchoring/artifacts/) equals a fresh compile of contracts/.

A pip user deploys and calls the contract from this copy without Node, so CI must catch a contract
change that was not re-exported, and an accidental change of the interface other packages use.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.nodes import ROOT, require_tool

ARTIFACT = ROOT / "anchoring" / "artifacts" / "TanjiAnchorRegistry.json"
EXPORT_SCRIPT = "scripts/export-artifact.js"

# The published interface (contracts/ITanjiAnchorRegistry.sol, docs/ARCHITECTURE.md): the Python
# client and the verifier are built against these exact signatures.
ANCHOR = "(uint64,uint64,uint64,uint16)"
STATUS = "(bool,bool,bool,uint64,uint64,uint16,uint16)"
FUNCTIONS = {
    "anchor(bytes32,uint64,bytes32)": "()",
    "revokeRoot(bytes32,uint16)": "()",
    "revokeLeaf(bytes32,bytes32,bytes32[],uint16)": "()",
    "anchorOf(bytes32)": f"({ANCHOR})",
    "leafRevokedReason(bytes32,bytes32)": "(uint16)",
    "check(bytes32,bytes32,bytes32[])": f"({STATUS})",
    "ANCHORER_ROLE()": "(bytes32)",
    "REVOKER_ROLE()": "(bytes32)",
    "DEFAULT_ADMIN_ROLE()": "(bytes32)",
    "hasRole(bytes32,address)": "(bool)",
    "grantRole(bytes32,address)": "()",
    "revokeRole(bytes32,address)": "()",
}
EVENTS = {
    "RootAnchored(bytes32,bytes32,uint64,uint64)": [True, True, False, False],
    "RootRevoked(bytes32,uint16)": [True, False],
    "LeafRevoked(bytes32,bytes32,uint16)": [True, True, False],
}
ERRORS = {
    "TanjiZeroRoot()",
    "TanjiRootAlreadyAnchored(bytes32,uint64)",
    "TanjiRootNotAnchored(bytes32)",
    "TanjiRootAlreadyRevoked(bytes32,uint16)",
    "TanjiLeafAlreadyRevoked(bytes32,bytes32,uint16)",
    "TanjiInvalidProof(bytes32,bytes32)",
    "TanjiInvalidReason(uint16)",
    "TanjiEmptyBatch()",
    "AccessControlUnauthorizedAccount(address,bytes32)",
}


def _type(param: dict[str, Any]) -> str:
    """Canonical ABI type of a parameter, tuples spelt out as in a signature."""
    abi_type: str = param["type"]
    if abi_type.startswith("tuple"):
        return (
            "(" + ",".join(_type(c) for c in param["components"]) + ")" + abi_type[len("tuple") :]
        )
    return abi_type


def _signature(entry: dict[str, Any]) -> str:
    return entry["name"] + "(" + ",".join(_type(p) for p in entry["inputs"]) + ")"


def _abi(kind: str) -> dict[str, dict[str, Any]]:
    abi = json.loads(ARTIFACT.read_text())["abi"]
    return {_signature(e): e for e in abi if e["type"] == kind}


def _run_export(*args: str) -> subprocess.CompletedProcess[str]:
    require_tool("node")
    require_tool("npx")  # also requires node_modules (hardhat, solc) to be installed
    node = shutil.which("node")
    assert node is not None
    return subprocess.run(
        [node, EXPORT_SCRIPT, "--check", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_committed_artifact_matches_a_fresh_compile() -> None:
    result = _run_export()
    assert result.returncode == 0, (
        f"{ARTIFACT.relative_to(ROOT)} is stale: run `node {EXPORT_SCRIPT}`\n{result.stderr}"
    )
    assert "matches a fresh compile" in result.stdout


def test_check_fails_on_an_artifact_that_differs(tmp_path: Path) -> None:
    artifact = json.loads(ARTIFACT.read_text())
    # One flipped byte of deployed code must be caught, like a contract edit not re-exported.
    code = artifact["deployedBytecode"]
    artifact["deployedBytecode"] = code[:-2] + ("00" if code[-2:] != "00" else "01")
    stale = tmp_path / "TanjiAnchorRegistry.json"
    stale.write_text(json.dumps(artifact, indent=2) + "\n")

    result = _run_export("--target", str(stale))
    assert result.returncode == 1
    assert "differs from a fresh compile" in result.stderr


@pytest.mark.parametrize("signature", sorted(FUNCTIONS))
def test_abi_has_the_interface_function(signature: str) -> None:
    functions = _abi("function")
    assert signature in functions, f"{signature} missing from the artifact ABI"
    outputs = "(" + ",".join(_type(p) for p in functions[signature]["outputs"]) + ")"
    assert outputs == FUNCTIONS[signature]


def test_abi_view_functions_are_views() -> None:
    functions = _abi("function")
    for signature in (
        "anchorOf(bytes32)",
        "leafRevokedReason(bytes32,bytes32)",
        "check(bytes32,bytes32,bytes32[])",
    ):
        assert functions[signature]["stateMutability"] == "view"


def test_abi_structs_keep_their_field_names() -> None:
    functions = _abi("function")
    (anchor,) = functions["anchorOf(bytes32)"]["outputs"]
    assert [c["name"] for c in anchor["components"]] == [
        "blockNumber",
        "timestamp",
        "recordCount",
        "revokedReason",
    ]
    (status,) = functions["check(bytes32,bytes32,bytes32[])"]["outputs"]
    assert [c["name"] for c in status["components"]] == [
        "anchored",
        "included",
        "active",
        "blockNumber",
        "timestamp",
        "rootRevokedReason",
        "leafRevokedReason",
    ]


def test_abi_events_and_indexed_topics() -> None:
    events = _abi("event")
    for signature, indexed in EVENTS.items():
        assert signature in events, f"{signature} missing from the artifact ABI"
        assert [p["indexed"] for p in events[signature]["inputs"]] == indexed


def test_abi_errors() -> None:
    missing = ERRORS - set(_abi("error"))
    assert not missing, f"errors missing from the artifact ABI: {sorted(missing)}"


def test_artifact_is_compiled_for_shanghai_with_bytecode() -> None:
    artifact = json.loads(ARTIFACT.read_text())
    assert artifact["contractName"] == "TanjiAnchorRegistry"
    assert artifact["compiler"]["settings"]["evmVersion"] == "shanghai"
    for key in ("bytecode", "deployedBytecode"):
        assert artifact[key].startswith("0x") and len(artifact[key]) > 2
        bytes.fromhex(artifact[key][2:])
