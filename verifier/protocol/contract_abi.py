"""The few entries of the TanjiAnchorRegistry ABI a verifier needs (docs/PROTOCOL.md, "Contract").

Embedded rather than loaded from ``anchoring/artifacts`` so that the verifier installs and runs
on its own; ``tests/verifier/test_contract_abi.py`` keeps these entries identical to the
compiled artifact.
"""

from typing import Any, Final

from verifier.protocol.hashing import keccak

_BYTES32: Final = {"internalType": "bytes32", "type": "bytes32"}

CHECK_ABI: Final[dict[str, Any]] = {
    "inputs": [
        {**_BYTES32, "name": "root"},
        {**_BYTES32, "name": "leaf"},
        {"internalType": "bytes32[]", "name": "proof", "type": "bytes32[]"},
    ],
    "name": "check",
    "outputs": [
        {
            "components": [
                {"internalType": "bool", "name": "anchored", "type": "bool"},
                {"internalType": "bool", "name": "included", "type": "bool"},
                {"internalType": "bool", "name": "active", "type": "bool"},
                {"internalType": "uint64", "name": "blockNumber", "type": "uint64"},
                {"internalType": "uint64", "name": "timestamp", "type": "uint64"},
                {"internalType": "uint16", "name": "rootRevokedReason", "type": "uint16"},
                {"internalType": "uint16", "name": "leafRevokedReason", "type": "uint16"},
            ],
            "internalType": "struct ITanjiAnchorRegistry.Status",
            "name": "s",
            "type": "tuple",
        }
    ],
    "stateMutability": "view",
    "type": "function",
}

ANCHOR_OF_ABI: Final[dict[str, Any]] = {
    "inputs": [{**_BYTES32, "name": "root"}],
    "name": "anchorOf",
    "outputs": [
        {
            "components": [
                {"internalType": "uint64", "name": "blockNumber", "type": "uint64"},
                {"internalType": "uint64", "name": "timestamp", "type": "uint64"},
                {"internalType": "uint64", "name": "recordCount", "type": "uint64"},
                {"internalType": "uint16", "name": "revokedReason", "type": "uint16"},
            ],
            "internalType": "struct ITanjiAnchorRegistry.Anchor",
            "name": "",
            "type": "tuple",
        }
    ],
    "stateMutability": "view",
    "type": "function",
}

ROOT_ANCHORED_ABI: Final[dict[str, Any]] = {
    "anonymous": False,
    "inputs": [
        {**_BYTES32, "indexed": True, "name": "root"},
        {**_BYTES32, "indexed": True, "name": "batchRef"},
        {"indexed": False, "internalType": "uint64", "name": "recordCount", "type": "uint64"},
        {"indexed": False, "internalType": "uint64", "name": "timestamp", "type": "uint64"},
    ],
    "name": "RootAnchored",
    "type": "event",
}

ANCHOR_REGISTRY_ABI: Final[list[dict[str, Any]]] = [CHECK_ABI, ANCHOR_OF_ABI, ROOT_ANCHORED_ABI]

# Topic 0 of RootAnchored: the event signature's keccak256.
ROOT_ANCHORED_TOPIC: Final[bytes] = keccak(b"RootAnchored(bytes32,bytes32,uint64,uint64)")
