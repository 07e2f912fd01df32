"""A real TanjiAnchorRegistry on a real `hardhat node`, deployed with plain web3 (no anchoring)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from tests.nodes import HARDHAT_CHAIN_ID, HARDHAT_KEY_0, HARDHAT_KEY_1
from tests.verifier.factories import Tree, anchored_set, make_bundle
from verifier._internal.trust import TrustConfig, parse_trust

ARTIFACT = (
    Path(__file__).resolve().parents[2] / "anchoring" / "artifacts" / "TanjiAnchorRegistry.json"
)


def send(w3: Web3, account: LocalAccount, call: Any) -> dict[str, Any]:
    """Sign and send a contract call or deployment; return the mined receipt."""
    tx = call.build_transaction(
        {
            "from": account.address,
            "nonce": w3.eth.get_transaction_count(account.address, "pending"),
            "chainId": HARDHAT_CHAIN_ID,
        }
    )
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = dict(w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30))
    assert receipt["status"] == 1, receipt
    return receipt


def deploy(w3: Web3, admin: LocalAccount) -> Contract:
    """Deploy a fresh registry with ``admin`` holding every role."""
    artifact = json.loads(ARTIFACT.read_text())
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = send(w3, admin, factory.constructor(admin.address))
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])


@dataclass
class AnchoredBatch:
    """A tree anchored on chain, and bundles for its records."""

    tree: Tree
    bundles: list[dict[str, Any]]
    receipt: dict[str, Any]


@dataclass
class Deployment:
    """The registry, its issuer and a few anchored batches."""

    url: str
    w3: Web3
    contract: Contract
    issuer: LocalAccount
    outsider: LocalAccount
    batches: dict[str, AnchoredBatch] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def anchor(self, name: str, count: int = 4, *, by: LocalAccount | None = None) -> AnchoredBatch:
        """Build a tree of ``count`` fresh records, anchor its root, return bundles for them."""
        tree, records, salts = anchored_set(count, record_type=name)
        receipt = send(
            self.w3,
            by or self.issuer,
            self.contract.functions.anchor(
                tree.root, count, b"\x00" * 31 + bytes([len(self.batches)])
            ),
        )
        block = self.w3.eth.get_block(receipt["blockNumber"])
        bundles = [
            make_bundle(
                records[i],
                salts[i],
                tree,
                i,
                chain_id=HARDHAT_CHAIN_ID,
                contract=self.address,
                tx_hash=bytes(receipt["transactionHash"]),
                block_number=receipt["blockNumber"],
                timestamp=int(block["timestamp"]),
            )
            for i in range(count)
        ]
        batch = AnchoredBatch(tree, bundles, receipt)
        self.batches[name] = batch
        return batch

    def trust(self, **overrides: Any) -> TrustConfig:
        """A parsed trust file for this deployment (``overrides`` replace top-level members)."""
        return parse_trust(self.trust_json(**overrides))

    def trust_json(self, **overrides: Any) -> dict[str, Any]:
        """The trust file document for this deployment."""
        doc: dict[str, Any] = {
            "format": "tanji-trust/1",
            "chains": [
                {"chainId": HARDHAT_CHAIN_ID, "rpcUrl": self.url, "contracts": [self.address]}
            ],
            "issuers": [{"address": self.issuer.address, "name": "Chongqing Carbon Label Center"}],
        }
        doc.update(overrides)
        return doc


def make_deployment(url: str) -> Deployment:
    """Deploy a registry on the node at ``url`` with Hardhat's first dev account as issuer."""
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    issuer = Account.from_key(HARDHAT_KEY_0)
    outsider = Account.from_key(HARDHAT_KEY_1)
    return Deployment(url, w3, deploy(w3, issuer), issuer, outsider)
