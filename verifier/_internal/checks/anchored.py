"""``anchored``: the root is anchored on a trusted contract of a trusted chain, by the named
transaction (codes 4xx)."""

from __future__ import annotations

from typing import Final

from verifier._internal.chain import AnchoringTransaction, AnchorStatus
from verifier._internal.checks.base import (
    CheckResult,
    Results,
    Target,
    hex_text,
    skip_unparsed_or_pending,
)
from verifier._internal.checks.evidence import ChainEvidence
from verifier.protocol.codes import Code
from verifier.protocol.finality import confirmations, is_final

__all__ = ["AnchoredCheck"]


class AnchoredCheck:
    """``anchored``: the root is anchored on a trusted contract of a trusted chain, by that tx."""

    name: Final = "anchored"

    def skip(self, target: Target) -> CheckResult | None:
        """Skipped for malformed and pending bundles."""
        return skip_unparsed_or_pending(self.name, target)

    def run(self, target: Target) -> CheckResult:
        """Check trust, node chain id, ``check()`` and the anchoring transaction's receipt."""
        make = Results(self.name, target.path)
        ev = target.evidence
        assert ev is not None
        anchor = ev.anchor
        failed = _untrusted(make, ev)
        if failed is not None:
            return failed
        # 4. The contract says the root is anchored and the proof holds.
        status = ev.status()
        if not status.anchored:
            return make.invalid(Code.ANCHORED_ROOT_NOT_ANCHORED, root=hex_text(ev.root))
        if not status.included:
            return make.invalid(Code.ANCHORED_NOT_INCLUDED)
        tx = ev.transaction()
        failed = _unconfirmed(make, ev, tx, status)
        if failed is not None:
            return failed
        # 7. The block is deep enough for the trust file: else not final yet (PENDING).
        required = ev.required_confirmations
        if required:
            head = ev.head()
            if not is_final(status.block_number, head, required):
                return make.skipped(
                    Code.ANCHORED_NOT_FINAL,
                    blockNumber=status.block_number,
                    confirmations=confirmations(status.block_number, head),
                    required=required,
                )
        return make.valid(
            chainId=anchor.chain_id,
            contract=anchor.contract,
            blockNumber=status.block_number,
            timestamp=status.timestamp,
            txHash=hex_text(anchor.tx_hash),
        )


def _untrusted(make: Results, ev: ChainEvidence) -> CheckResult | None:
    """Steps 1 to 3: chain, contract and node are the ones the trust file names."""
    anchor = ev.anchor
    # 1. The claimed chain is one the verifier trusts (the bundle's word counts for nothing).
    if ev.trusted_chain is None:
        return make.invalid(Code.ANCHORED_UNTRUSTED_CHAIN, chainId=anchor.chain_id)
    # 2. The claimed contract is trusted on that chain.
    if not ev.contract_trusted:
        return make.invalid(
            Code.ANCHORED_UNTRUSTED_CONTRACT, contract=anchor.contract, chainId=anchor.chain_id
        )
    # 3. The node really serves that chain.
    node_chain = ev.node_chain_id()
    if node_chain != anchor.chain_id:
        return make.invalid(
            Code.ANCHORED_CHAIN_ID_MISMATCH, nodeChainId=node_chain, chainId=anchor.chain_id
        )
    return None


def _unconfirmed(
    make: Results, ev: ChainEvidence, tx: AnchoringTransaction | None, status: AnchorStatus
) -> CheckResult | None:
    """Steps 5 and 6: the named transaction anchored this root, in the block the bundle says."""
    anchor = ev.anchor
    tx_hash = hex_text(anchor.tx_hash)
    # 5. The named transaction emitted RootAnchored(root) from that contract.
    if tx is None or not tx.succeeded:
        return make.invalid(Code.ANCHORED_TX_NOT_FOUND, txHash=tx_hash)
    if tx.root_anchored(anchor.contract, ev.root) is None:
        return make.invalid(Code.ANCHORED_NO_EVENT, txHash=tx_hash)
    # 6. Block and time agree between bundle, receipt and contract.
    if (
        tx.block_number != status.block_number
        or anchor.block_number != status.block_number
        or (anchor.timestamp is not None and anchor.timestamp != status.timestamp)
    ):
        return make.invalid(
            Code.ANCHORED_BLOCK_MISMATCH,
            blockNumber=status.block_number,
            timestamp=status.timestamp,
            bundleBlockNumber=anchor.block_number,
            bundleTimestamp=anchor.timestamp,
        )
    return None
