"""The ABI entries embedded in the verifier match the compiled contract in anchoring/artifacts."""

import json
from pathlib import Path

import pytest

from verifier.protocol.contract_abi import ANCHOR_REGISTRY_ABI, ROOT_ANCHORED_TOPIC
from verifier.protocol.hashing import keccak

ARTIFACT = (
    Path(__file__).resolve().parents[2] / "anchoring" / "artifacts" / "TanjiAnchorRegistry.json"
)


@pytest.mark.parametrize("entry", ANCHOR_REGISTRY_ABI, ids=lambda e: e["name"])
def test_embedded_entry_equals_artifact(entry: dict[str, object]) -> None:
    compiled = json.loads(ARTIFACT.read_text())["abi"]
    matches = [e for e in compiled if e.get("name") == entry["name"] and e["type"] == entry["type"]]
    assert matches == [entry]


def test_root_anchored_topic() -> None:
    assert keccak(b"RootAnchored(bytes32,bytes32,uint64,uint64)") == ROOT_ANCHORED_TOPIC
