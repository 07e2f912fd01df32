"""Our EIP-712 digests and recovery against ethers v6, which most wallets and back offices use.

The same typed data is signed by ethers in Node (scripts/sign-eip712.js) and by eth-account in
Python, with a fresh key each time; both signatures must recover, through our coincurve path, to the
same address, and our digest must equal ethers' ``TypedDataEncoder.hash``.
"""

import json
import os
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from tests.nodes import require_tool
from verifier.protocol.attestation import attestation_typed_data, verify_attestation
from verifier.protocol.eip712 import typed_data_digest
from verifier.protocol.recognition import (
    RECOGNITION,
    WITHDRAWAL,
    recognition_typed_data,
    scheme_subject,
    withdrawal_typed_data,
)
from verifier.protocol.signature import recover_address

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


@pytest.fixture(autouse=True)
def _node() -> None:
    require_tool("node")
    if not (ROOT / "node_modules" / "ethers").exists():
        require_tool("npx")  # same message: `npm ci` is needed


def sign_with_ethers(data: dict[str, Any], key: bytes) -> dict[str, str]:
    env = {**os.environ, "TANJI_SIGNER_KEY": "0x" + key.hex()}
    out = subprocess.run(
        ["node", str(ROOT / "scripts" / "sign-eip712.js")],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def attestation_messages(supplier: str) -> list[dict[str, Any]]:
    upstream = sorted("0x" + os.urandom(32).hex() for _ in range(3))
    base = {
        "supplier": supplier,
        "componentId": "CQ-CELL-21700-A",
        "productId": "BSH-LT14-2026",
        "declaredUnit": "kWh",
        "kgCo2ePerUnit": "61.8",
        "systemBoundary": "cradle-to-gate",
        "periodStart": 1735689600,
        "periodEnd": 1767225600,
        "upstream": [],
        "expiry": 1798761600,
    }
    return [
        {**base, "nonce": "0x" + secrets.token_hex(32)},
        {
            **base,
            "componentId": "电芯-21700 «A»",
            "productId": "笔记本电脑 14″",
            "kgCo2ePerUnit": "-0.000000000001",
            "systemBoundary": "gate-to-gate",
            "upstream": upstream,
            "nonce": "0x" + secrets.token_hex(32),
        },
        {
            **base,
            "kgCo2ePerUnit": "999999999999999999.999999999999",
            "periodStart": 0,
            "periodEnd": 2**53 - 1,
            "expiry": 2**53 - 1,
            "nonce": "0x" + "ff" * 32,
        },
    ]


def test_attestations_signed_by_ethers_and_eth_account_agree() -> None:
    for chain_id in (31337, 1):
        account = Account.create()
        for message in attestation_messages(account.address):
            data = attestation_typed_data(message, chain_id=chain_id, contract=CONTRACT)
            ours = typed_data_digest(data)
            ethers = sign_with_ethers(data, bytes(account.key))
            assert ethers["address"] == account.address
            assert ethers["digest"] == "0x" + ours.hex()
            py_signature = bytes(Account.sign_typed_data(account.key, full_message=data).signature)
            js_signature = bytes.fromhex(ethers["signature"][2:])
            # RFC 6979 deterministic nonces: the two libraries produce the very same bytes.
            assert js_signature == py_signature
            assert recover_address(ours, js_signature) == account.address
            assert recover_address(ours, py_signature) == account.address
            assert verify_attestation(data, ethers["signature"]) == account.address


def test_recognition_and_withdrawal_digests_match_ethers() -> None:
    account = Account.create()
    rec = recognition_typed_data(
        {
            "recognizer": account.address,
            "scheme": "SG-CFP-MRA-2026",
            "subjectType": "scheme",
            "subject": scheme_subject("CQ-CFL", "laptop"),
            "category": "laptop",
            "scope": "Chongqing carbon footprint labels for laptops, recognised in Singapore",
            "validFrom": 1767225600,
            "validUntil": 0,
            "nonce": "0x" + secrets.token_hex(32),
        },
        chain_id=31337,
        contract=CONTRACT,
    )
    ethers = sign_with_ethers(rec, bytes(account.key))
    assert ethers["digest"] == "0x" + typed_data_digest(rec).hex()
    record = RECOGNITION.record(rec, ethers["signature"])
    assert record["signer"] == account.address
    wd = withdrawal_typed_data(
        {
            "recognizer": account.address,
            "recognition": record["id"],
            "reason": 2,
            "time": 1800000000,
        },
        chain_id=31337,
        contract=CONTRACT,
    )
    ethers = sign_with_ethers(wd, bytes(account.key))
    assert ethers["digest"] == "0x" + typed_data_digest(wd).hex()
    assert WITHDRAWAL.verify(wd, ethers["signature"]) == account.address


def test_scheme_subject_matches_ethers_abi_encoding() -> None:
    script = (
        "const { AbiCoder, keccak256 } = require('ethers');"
        "const [s, c] = JSON.parse(process.argv[1]);"
        "console.log(keccak256(AbiCoder.defaultAbiCoder().encode(['string','string'], [s, c])));"
    )
    for scheme, category in [("CQ-CFL", "laptop"), ("HK-CL", ""), ("SG-CFP-MRA-2026", "水泥")]:
        out = subprocess.run(
            ["node", "-e", script, json.dumps([scheme, category])],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=True,
        )
        assert out.stdout.strip() == scheme_subject(scheme, category)


def test_sign_script_refuses_to_run_without_a_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TANJI_SIGNER_KEY"}
    out = subprocess.run(
        ["node", str(ROOT / "scripts" / "sign-eip712.js")],
        input="{}",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 1
    assert "TANJI_SIGNER_KEY" in out.stderr
