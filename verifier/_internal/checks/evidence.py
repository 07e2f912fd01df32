"""What the chain says about one bundle's anchor, asked lazily and at most once per question."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from verifier._internal.bundle import Bundle
from verifier._internal.chain import AnchoringTransaction, AnchorStatus, ChainReader
from verifier._internal.trust import TrustConfig, TrustedChain

__all__ = ["ChainEvidence", "NoRpcUrlError"]

_T = TypeVar("_T")


class NoRpcUrlError(Exception):
    """The trust file names no node for a chain and none was given on the command line."""


class ChainEvidence:
    """What the chain says about one bundle's anchor, fetched lazily and at most once per question.

    Failures are remembered too, so that a dead node costs one timeout, not one per check.
    """

    def __init__(
        self,
        bundle: Bundle,
        trust: TrustConfig,
        reader_for: Callable[[str], ChainReader],
        rpc_url_override: str | None = None,
    ) -> None:
        """Gather evidence for ``bundle`` (which must not be pending) under ``trust``."""
        if bundle.anchor is None or bundle.root is None:
            raise ValueError("a pending bundle has no anchor to gather evidence for")
        self.anchor = bundle.anchor
        self.root = bundle.root
        self.bundle = bundle
        self.trust = trust
        self.trusted_chain: TrustedChain | None = trust.chain(self.anchor.chain_id)
        self.contract_trusted = trust.trusts_contract(self.anchor.chain_id, self.anchor.contract)
        self._reader_for = reader_for
        self._override = rpc_url_override
        self._memo: dict[str, tuple[bool, Any]] = {}

    @property
    def rpc_url(self) -> str | None:
        """The node to ask: the command line's ``--rpc-url`` first, else the trust file's."""
        if self._override:
            return self._override
        return self.trusted_chain.rpc_url if self.trusted_chain else None

    def node_chain_id(self) -> int:
        """The chain id the node reports."""
        return self._once("chain_id", lambda: self._reader().chain_id())

    def status(self) -> AnchorStatus:
        """The contract's ``check(root, leaf, proof)`` answer."""
        return self._once(
            "status",
            lambda: self._reader().check(
                self.anchor.contract, self.root, self.bundle.leaf, self.bundle.proof
            ),
        )

    def transaction(self) -> AnchoringTransaction | None:
        """The anchoring transaction named by the bundle, or None if the node has none."""
        return self._once("tx", lambda: self._reader().transaction(self.anchor.tx_hash))

    def head(self) -> int:
        """The node's latest block (for the anchor's confirmations)."""
        return self._once("head", lambda: self._reader().head())

    @property
    def required_confirmations(self) -> int:
        """Confirmations the trust file requires on the anchor's chain (0: none)."""
        return self.trusted_chain.confirmations if self.trusted_chain else 0

    def prefetch(self) -> None:
        """Ask the node now what the checks will ask (answers and failures are remembered).

        Lets a verifier put the questions about many nested bundles to the node concurrently.
        Nothing is asked about an anchor the trust file does not trust (the checks will not).
        """
        if self.trusted_chain is None or not self.contract_trusted:
            return
        for question in (self.node_chain_id, self.status, self.transaction):
            try:
                question()
            except Exception:
                return  # remembered by _once: the checks report it as they would have

    def anchor_trusted(self) -> bool:
        """Chain and contract are in the trust file and the node really serves that chain."""
        return (
            self.trusted_chain is not None
            and self.contract_trusted
            and self.node_chain_id() == self.anchor.chain_id
        )

    def _reader(self) -> ChainReader:
        url = self.rpc_url
        if not url:
            raise NoRpcUrlError(f"no RPC URL for chain {self.anchor.chain_id}")
        return self._reader_for(url)

    def _once(self, key: str, fn: Callable[[], _T]) -> _T:
        if key not in self._memo:
            try:
                self._memo[key] = (True, fn())
            except Exception as exc:
                self._memo[key] = (False, exc)
        ok, value = self._memo[key]
        if not ok:
            raise value
        return cast(_T, value)
