"""Signer recovery of EIP-712 attestation digests per second, on one core: coincurve vs eth-account.

    python bench/attestation_signatures.py [--count 2500] [--keys 50]

Signs ``count`` attestations (fresh keys, random nonces) and then, in the same run, over the same
digests and signatures, times:

- ``verifier.protocol.signature.recover_address`` (libsecp256k1 through coincurve, EIP-2 checks);
- eth-account's ``Account._recover_hash`` with its default eth-keys backend (whatever eth-keys
  picks here; it prefers coincurve when installed) — the baseline the ratio is taken against;
- the same eth-keys path forced onto its pure-Python ``NativeECCBackend`` (what a verifier
  without coincurve gets);
- end to end ``verify_attestation`` (strict typed-data checks + EIP-712 hashing + recovery).

All methods must return the same address for every signature, or the run fails.
"""

import argparse
import os
import secrets
import sys
import time
from collections.abc import Callable

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

from eth_account import Account
from eth_keys.backends import NativeECCBackend
from eth_keys.datatypes import Signature

from verifier.protocol.attestation import attestation_typed_data, verify_attestation
from verifier.protocol.eip712 import typed_data_digest
from verifier.protocol.signature import recover_address

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def _pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def _corpus(count: int, keys: int) -> list[tuple[dict[str, object], bytes, bytes, str]]:
    accounts = [Account.create() for _ in range(keys)]
    corpus = []
    for i in range(count):
        account = accounts[i % keys]
        data = attestation_typed_data(
            {
                "supplier": account.address,
                "componentId": f"CQ-CELL-{i:06d}",
                "productId": "BSH-LT14-2026",
                "declaredUnit": "unit",
                "kgCo2ePerUnit": f"{i % 1000}.{i % 9 + 1}",
                "systemBoundary": "cradle-to-gate",
                "periodStart": 1735689600,
                "periodEnd": 1767225600,
                "upstream": [],
                "nonce": "0x" + secrets.token_hex(32),
                "expiry": 1798761600,
            },
            chain_id=31337,
            contract=CONTRACT,
        )
        digest = typed_data_digest(data)
        signature = bytes(Account.unsafe_sign_hash(digest, account.key).signature)
        corpus.append((data, digest, signature, account.address))
    return corpus


def _rate(label: str, fn: Callable[[bytes, bytes], str], corpus: list, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _data, digest, signature, address in corpus:
            if fn(digest, signature) != address:
                sys.exit(f"{label}: wrong address recovered")
        best = min(best, time.perf_counter() - start)
    rate = len(corpus) / best
    print(f"{label:<52} {rate:>10,.0f} /s   ({best * 1e6 / len(corpus):7.1f} µs each)")
    return rate


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2500, help="signatures (default 2500)")
    parser.add_argument("--keys", type=int, default=50, help="distinct signing keys (default 50)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; best is kept")
    args = parser.parse_args(argv)

    print(f"{_pin_one_core()}; {args.count} signatures by {args.keys} keys; best of {args.repeat}")
    corpus = _corpus(args.count, args.keys)
    native = NativeECCBackend()

    def eth_account_default(digest: bytes, signature: bytes) -> str:
        return Account._recover_hash(digest, signature=signature)

    def eth_keys_native(digest: bytes, signature: bytes) -> str:
        # The backend must be passed explicitly: a KeyAPI(NativeECCBackend()) still builds its
        # Signature objects on the default (coincurve) backend.
        standard = Signature(signature[:64] + bytes((signature[64] - 27,)), backend=native)
        return native.ecdsa_recover(digest, standard).to_checksum_address()

    ours = _rate(
        "coincurve (verifier.protocol.signature.recover_address)",
        recover_address,
        corpus,
        args.repeat,
    )
    default_name = type(Account._keys.backend).__name__
    baseline = _rate(
        f"eth-account _recover_hash ({default_name})", eth_account_default, corpus, args.repeat
    )
    slow = _rate("eth-keys NativeECCBackend (pure Python)", eth_keys_native, corpus, 1)

    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        for data, _digest, signature, address in corpus:
            if verify_attestation(data, signature) != address:
                sys.exit("verify_attestation: wrong address")
        best = min(best, time.perf_counter() - start)
    e2e = len(corpus) / best
    print(f"{'verify_attestation (typed data + EIP-712 hash + recover)':<52} {e2e:>10,.0f} /s")

    print(f"ratio coincurve / eth-account default ({default_name}): {ours / baseline:.2f}x")
    print(f"ratio coincurve / pure-Python eth-keys: {ours / slow:.1f}x")
    target = 2000
    print(f"target >= {target}/s with coincurve: {'met' if ours >= target else 'NOT met'}")
    return 0 if ours >= target else 1


if __name__ == "__main__":
    raise SystemExit(main())
