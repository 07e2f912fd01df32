"""EIP-712 digests of attestations: the one compiled struct hash against two baselines.

    python bench/eip712_struct_hash.py [--count 10000] [--repeat 5]

Over the same ``count`` validated ``Attestation`` messages (every tenth cites one upstream
attestation, as in ``bench/attestation_push.py``), each measured in the same run, best of
``repeat``:

- ``ATTESTATION.digest_of_normal``: the verifier's one encoder
(``verifier.protocol.eip712.StructType``,
  compiled from ``ATTESTATION_STRUCT``), what the registry's bulk intake calls per item;
- baseline 1, the hand-written encoder ``registry/attestation_hash.py`` held until issue 8 (the
  eleven members listed by hand), copied below as it was;
- baseline 2, eth-account's generic ``encode_typed_data`` (the reference the tests compare with).

ratio = encoder time / baseline time (below 1: faster). Every digest is checked equal first.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_account import Account
from eth_account.messages import encode_typed_data

from verifier.protocol.attestation import (
    ATTESTATION,
    ATTESTATION_STRUCT,
    PRIMARY_TYPE,
    attestation_typed_data,
    validate_attestation,
)
from verifier.protocol.eip712 import DOMAIN_NAME, DOMAIN_VERSION, EIP712_DOMAIN_TYPE
from verifier.protocol.hashing import keccak

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CHAIN_ID = 31337


# --- baseline 1: registry/attestation_hash.py as it was before issue 8 ------------------------


def _encode_type(name: str, members: Any) -> bytes:
    inner = ",".join(f"{m['type']} {m['name']}" for m in members)
    return f"{name}({inner})".encode()


DOMAIN_TYPEHASH = keccak(_encode_type("EIP712Domain", EIP712_DOMAIN_TYPE))
ATTESTATION_TYPEHASH = keccak(_encode_type(PRIMARY_TYPE, ATTESTATION_STRUCT))


def _uint(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _address(value: str) -> bytes:
    return bytes(12) + bytes.fromhex(value[2:])


_SEPARATORS: dict[tuple[int, str], bytes] = {}


def hand_domain_separator(chain_id: int, contract: str) -> bytes:
    if (chain_id, contract) not in _SEPARATORS:  # the original used functools.lru_cache
        _SEPARATORS[chain_id, contract] = keccak(
            DOMAIN_TYPEHASH
            + keccak(DOMAIN_NAME.encode())
            + keccak(DOMAIN_VERSION.encode())
            + _uint(chain_id)
            + _address(contract)
        )
    return _SEPARATORS[chain_id, contract]


def hand_struct_hash(message: dict[str, Any]) -> bytes:
    return keccak(
        ATTESTATION_TYPEHASH
        + _address(message["supplier"])
        + keccak(message["componentId"].encode())
        + keccak(message["productId"].encode())
        + keccak(message["declaredUnit"].encode())
        + keccak(message["kgCo2ePerUnit"].encode())
        + keccak(message["systemBoundary"].encode())
        + _uint(message["periodStart"])
        + _uint(message["periodEnd"])
        + keccak(b"".join(bytes.fromhex(u[2:]) for u in message["upstream"]))
        + bytes.fromhex(message["nonce"][2:])
        + _uint(message["expiry"])
    )


def hand_digest(message: dict[str, Any], *, chain_id: int, contract: str) -> bytes:
    return keccak(
        b"\x19\x01" + hand_domain_separator(chain_id, contract) + hand_struct_hash(message)
    )


# --- baseline 2: eth-account ------------------------------------------------------------------


def eth_account_digest(message: dict[str, Any], *, chain_id: int, contract: str) -> bytes:
    data = attestation_typed_data(message, chain_id=chain_id, contract=contract)
    signable = encode_typed_data(full_message=data)
    return keccak(b"\x19\x01" + signable.header + signable.body)


# --- the run ----------------------------------------------------------------------------------


def corpus(count: int) -> list[dict[str, Any]]:
    """``count`` validated messages from 100 suppliers; every tenth cites one upstream."""
    suppliers = [Account.create().address for _ in range(100)]
    messages = []
    for i in range(count):
        upstream = ["0x" + secrets.token_hex(32)] if i % 10 == 9 else []
        messages.append(
            validate_attestation(
                {
                    "supplier": suppliers[i % len(suppliers)],
                    "componentId": f"CQ-CELL-{i:06d}",
                    "productId": "BSH-LT14-2026",
                    "declaredUnit": "unit",
                    "kgCo2ePerUnit": f"{i % 1000}.{i % 9 + 1}",
                    "systemBoundary": "cradle-to-gate",
                    "periodStart": 1735689600,
                    "periodEnd": 1767225600,
                    "upstream": upstream,
                    "nonce": "0x" + secrets.token_hex(32),
                    "expiry": 1893456000,
                }
            )
        )
    return messages


Digest = Callable[..., bytes]


def best_of(digest: Digest, messages: list[dict[str, Any]], repeat: int) -> float:
    """Fewest seconds to hash every message, over ``repeat`` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for message in messages:
            digest(message, chain_id=CHAIN_ID, contract=CONTRACT)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    messages = corpus(args.count)
    ours: Digest = ATTESTATION.digest_of_normal
    for message in messages:
        expected = ours(message, chain_id=CHAIN_ID, contract=CONTRACT)
        assert hand_digest(message, chain_id=CHAIN_ID, contract=CONTRACT) == expected
    for message in messages[:200]:
        expected = ours(message, chain_id=CHAIN_ID, contract=CONTRACT)
        assert eth_account_digest(message, chain_id=CHAIN_ID, contract=CONTRACT) == expected
    # Interleaved, so that a change in machine load hits both alike.
    times: dict[str, float] = {"ours": float("inf"), "hand": float("inf")}
    for _ in range(args.repeat):
        times["ours"] = min(times["ours"], best_of(ours, messages, 1))
        times["hand"] = min(times["hand"], best_of(hand_digest, messages, 1))
    sample = messages[: max(1, args.count // 10)]  # eth-account is slow: a tenth, scaled up
    times["eth"] = best_of(eth_account_digest, sample, args.repeat) * len(messages) / len(sample)
    rows = [
        ("verifier StructType (ATTESTATION.digest_of_normal)", times["ours"]),
        ("baseline 1: hand-written registry/attestation_hash.py", times["hand"]),
        ("baseline 2: eth-account encode_typed_data", times["eth"]),
    ]
    print(f"{args.count} Attestation digests, best of {args.repeat}")
    print(f"{'':<56}{'per s':>10}{'µs each':>10}")
    for name, seconds in rows:
        print(f"{name:<56}{args.count / seconds:>10.0f}{seconds / args.count * 1e6:>10.2f}")
    print(f"ratio ours/hand-written: {times['ours'] / times['hand']:.3f}")
    print(f"ratio ours/eth-account:  {times['ours'] / times['eth']:.3f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
