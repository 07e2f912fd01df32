"""Bulk push of supplier attestations: 10,000 in one request, accepted and durably stored.

    python bench/attestation_push.py [--count 10000] [--keys 100]

The service runs as ``tanji serve`` would (uvicorn, one process, SQLite in WAL mode, the embedded
chain open so the EIP-712 domain is this deployment's), in a subprocess with a temporary data dir.
The anchoring loop is running but told to wait (huge batch size and wait), so only intake is
timed: HTTP and JSON, per item the message rules, the EIP-712 digest, signer recovery
(libsecp256k1), key validity, expiry, nonce replay, unit and upstream checks, the salted record
and its leaf; then one transaction writes the attestation rows and their ledger rows. The timer
stops when the 200 answer arrives (after the commit); the rows are then counted through a separate
SQLite connection: durably stored. Every tenth attestation cites an earlier one upstream.

Baseline, measured in the same run over the same 10,000 digests and signatures: signer recovery
alone (``verifier.protocol.signature.recover_address``), the one step no intake can skip.
ratio = push time / baseline time. Target: 10,000 accepted and stored in < 10 s.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from coincurve import PrivateKey
from eth_account import Account
from eth_account.messages import encode_defunct
from registry_pages import server
from sqlmodel import Session

from registry.config import load_settings
from registry.crud.orgs import create_org
from registry.db import make_engine
from registry.models.orgs import OrgRole
from verifier.protocol.attestation import ATTESTATION, validate_attestation
from verifier.protocol.signature import recover_address

# registry_pages.server, with the anchoring loop told to wait (huge batch size and wait).
HOLD_BACK = {"TANJI_BATCH_MAX_SIZE": "100000", "TANJI_BATCH_MAX_WAIT_SECONDS": "3600"}


def sign_corpus(
    keys: list[PrivateKey], count: int, chain_id: int, contract: str
) -> list[tuple[dict[str, Any], bytes, bytes]]:
    """``count`` (message, digest, signature); every tenth cites the previous one upstream."""
    addresses = [Account.from_key(k.secret).address for k in keys]
    corpus: list[tuple[dict[str, Any], bytes, bytes]] = []
    expiry = int(time.time()) + 365 * 24 * 3600
    for i in range(count):
        k = i % len(keys)
        upstream = ["0x" + corpus[-1][1].hex()] if i % 10 == 9 else []
        message = validate_attestation(
            {
                "supplier": addresses[k],
                "componentId": f"CQ-CELL-{i:06d}",
                "productId": "BSH-LT14-2026",
                "declaredUnit": "unit",
                "kgCo2ePerUnit": f"{i % 1000}.{i % 9 + 1}",
                "systemBoundary": "cradle-to-gate",
                "periodStart": 1735689600,
                "periodEnd": 1767225600,
                "upstream": upstream,
                "nonce": "0x" + secrets.token_hex(32),
                "expiry": expiry,
            }
        )
        digest = ATTESTATION.digest_of_normal(message, chain_id=chain_id, contract=contract)
        raw = keys[k].sign_recoverable(digest, hasher=None)  # RFC 6979, low-s
        corpus.append((message, digest, raw[:64] + bytes([raw[64] + 27])))
    return corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=100)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    keys = [PrivateKey(secrets.token_bytes(32)) for _ in range(args.keys)]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        # The anchoring loop runs but holds back, so only intake is timed.
        with server(data_dir, env=HOLD_BACK) as url:
            engine = make_engine(load_settings(data_dir=data_dir))
            with Session(engine) as session:
                _, supplier = create_org(session, name="Bench cells", role=OrgRole.ENTERPRISE)
                _, pusher = create_org(session, name="Bench laptops", role=OrgRole.ENTERPRISE)
            engine.dispose()
            with httpx.Client(base_url=url, timeout=600) as client:
                eip712 = client.get("/api/v1/attestations/eip712").json()
                chain_id = eip712["domain"]["chainId"]
                contract = eip712["domain"]["verifyingContract"]
                for key in keys:
                    account = Account.from_key(key.secret)
                    challenge = client.get(
                        "/api/v1/suppliers/keys/challenge",
                        params={"address": account.address},
                        headers={"Authorization": f"Bearer {supplier}"},
                    ).json()["message"]
                    signature = account.sign_message(encode_defunct(text=challenge)).signature
                    client.post(
                        "/api/v1/suppliers/keys",
                        json={"address": account.address, "signature": "0x" + signature.hex()},
                        headers={"Authorization": f"Bearer {supplier}"},
                    ).raise_for_status()
                corpus = sign_corpus(keys, args.count, chain_id, contract)
                items = [{"message": m, "signature": "0x" + s.hex()} for m, _, s in corpus]
                start = time.perf_counter()
                reply = client.post(
                    "/api/v1/attestations/bulk",
                    json={"items": items},
                    headers={"Authorization": f"Bearer {pusher}"},
                )
                push_seconds = time.perf_counter() - start
                reply.raise_for_status()
                body = reply.json()
                if body["created"] != args.count:
                    errors = [r for r in body["results"] if r["status"] != "created"][:3]
                    raise RuntimeError(f"{body['created']} created; first problems: {errors}")
        # Durably stored: counted after the server has stopped, through another connection.
        conn = sqlite3.connect(data_dir / "registry.sqlite3")
        stored = conn.execute("SELECT count(*) FROM attestation").fetchone()[0]
        queued = conn.execute(
            "SELECT count(*) FROM anchor_record WHERE record_type = 'attestation'"
        ).fetchone()[0]
        conn.close()
        if stored != args.count or queued != args.count:
            raise RuntimeError(f"stored {stored}, queued {queued}, expected {args.count}")
    start = time.perf_counter()
    for message, digest, signature in corpus:
        if recover_address(digest, signature) != message["supplier"]:
            raise RuntimeError("recovery disagrees with the signer")
    base_seconds = time.perf_counter() - start
    print(f"{args.count} attestations from {args.keys} supplier keys, one request")
    print(f"{'':<46}{'per s':>10}{'seconds':>10}")
    print(
        f"{'API POST /api/v1/attestations/bulk (stored)':<46}"
        f"{args.count / push_seconds:>10.0f}{push_seconds:>10.2f}"
    )
    print(
        f"{'baseline: signer recovery alone (coincurve)':<46}"
        f"{args.count / base_seconds:>10.0f}{base_seconds:>10.2f}"
    )
    print(f"ratio push/baseline: {push_seconds / base_seconds:.1f}x the time of recovery alone")
    print(f"rows stored {stored}, ledger rows queued {queued}")
    verdict = "meets" if push_seconds < 10 else "MISSES"
    print(f"target {args.count} accepted and stored in < 10 s: {verdict} ({push_seconds:.2f} s)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
