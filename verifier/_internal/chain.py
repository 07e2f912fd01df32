"""Read-only access to an anchor contract over Ethereum JSON-RPC (web3 ``HTTPProvider``).

Every failure to get a well-formed answer (refused connection, timeout, HTTP error, JSON-RPC error,
undecodable result) raises ``ChainUnavailableError`` or its leaf ``ChainResponseError``, which the
checks report as ERROR: a node that does not answer says nothing about a label. The message names
the node (without credentials, see ``redacted_url``), the JSON-RPC method or contract call that
failed and, for a timeout, the time limit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import requests
from eth_abi import decode as abi_decode
from hexbytes import HexBytes

from verifier._internal.defaults import DEFAULT_TIMEOUT
from verifier.errors import ChainResponseError, ChainUnavailableError
from verifier.protocol.contract_abi import ANCHOR_REGISTRY_ABI, ROOT_ANCHORED_TOPIC
from verifier.redaction import redacted_url

_T = TypeVar("_T")
_CHECK_CALL: Final = "eth_call check(bytes32,bytes32,bytes32[])"


@dataclass(frozen=True, slots=True)
class AnchorStatus:
    """The contract's answer to ``check(root, leaf, proof)``."""

    anchored: bool
    included: bool
    active: bool
    block_number: int
    timestamp: int
    root_revoked_reason: int
    leaf_revoked_reason: int


@dataclass(frozen=True, slots=True)
class RootAnchoredEvent:
    """A ``RootAnchored`` log found in a transaction receipt."""

    contract: str  # lower-case address of the emitter
    root: bytes
    batch_ref: bytes
    record_count: int
    timestamp: int


@dataclass(frozen=True, slots=True)
class AnchoringTransaction:
    """A mined transaction as far as verification needs it."""

    tx_hash: bytes
    sender: str  # lower-case
    block_number: int
    succeeded: bool
    events: tuple[RootAnchoredEvent, ...]

    def root_anchored(self, contract: str, root: bytes) -> RootAnchoredEvent | None:
        """The ``RootAnchored(root)`` event emitted by ``contract`` in this transaction, if any."""
        contract = contract.lower()
        return next((e for e in self.events if e.contract == contract and e.root == root), None)


class ChainReader:
    """Reads chain id, anchor status and anchoring transactions from one JSON-RPC node."""

    def __init__(self, rpc_url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Connect lazily to ``rpc_url``; every request gives up after ``timeout`` seconds."""
        # web3 (about 1.5 s to import) is loaded by the first reader, not by importing this
        # module: ``tanji verify --offline`` and the registry's offline checks never need it.
        from web3 import HTTPProvider, Web3

        self.rpc_url = rpc_url
        self.timeout = timeout
        self._shown_url = redacted_url(rpc_url)
        # No retries: a verifier must answer promptly, and ERROR is the honest answer to an outage.
        provider = HTTPProvider(
            rpc_url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None
        )
        self._w3 = Web3(provider)
        # A read-only reader needs none of the write-side middleware; "validation" in particular
        # asks eth_chainId before every eth_call, doubling the round trips of a verification.
        for name in ("validation", "gas_price_strategy", "gas_estimate", "ens_name_to_address"):
            self._w3.middleware_onion.remove(name)
        self._chain_id: int | None = None
        self._contracts: dict[str, Any] = {}

    def chain_id(self) -> int:
        """The node's chain id (``eth_chainId``), asked once per reader."""
        if self._chain_id is None:
            value = self._call("eth_chainId", lambda: self._w3.eth.chain_id)
            if not isinstance(value, int):
                raise ChainResponseError(f"{self._shown_url}: eth_chainId answered {value!r}")
            self._chain_id = value
        return self._chain_id

    def check(
        self, contract: str, root: bytes, leaf: bytes, proof: Sequence[bytes]
    ) -> AnchorStatus:
        """Call the contract's ``check(root, leaf, proof)`` view at the latest block."""
        registry = self._contracts.get(contract)
        if registry is None:  # building a contract object parses the ABI: once per address
            from web3 import Web3

            registry = self._w3.eth.contract(
                address=Web3.to_checksum_address(contract), abi=ANCHOR_REGISTRY_ABI
            )
            self._contracts[contract] = registry
        answer = self._call(
            f"{_CHECK_CALL} on {contract}",
            lambda: registry.functions.check(root, leaf, list(proof)).call(),
        )
        try:
            anchored, included, active, block, timestamp, root_reason, leaf_reason = answer
        except (TypeError, ValueError) as exc:
            raise ChainResponseError(f"{self._shown_url}: check() answered {answer!r}") from exc
        return AnchorStatus(
            anchored=bool(anchored),
            included=bool(included),
            active=bool(active),
            block_number=int(block),
            timestamp=int(timestamp),
            root_revoked_reason=int(root_reason),
            leaf_revoked_reason=int(leaf_reason),
        )

    def transaction(self, tx_hash: bytes) -> AnchoringTransaction | None:
        """The mined transaction ``tx_hash`` with its RootAnchored events; None if unknown."""
        try:
            tx = self._call(
                f"eth_getTransactionByHash 0x{tx_hash.hex()}",
                lambda: self._w3.eth.get_transaction(HexBytes(tx_hash)),
            )
            # web3's TxReceipt type says blockNumber is a number; a node answers null while the
            # transaction is still in the mempool.
            receipt: Mapping[str, Any] = self._call(
                f"eth_getTransactionReceipt 0x{tx_hash.hex()}",
                lambda: self._w3.eth.get_transaction_receipt(HexBytes(tx_hash)),
            )
        except _NotFound:
            return None
        try:
            block_number = receipt["blockNumber"]
            if block_number is None:  # still in the mempool
                return None
            return AnchoringTransaction(
                tx_hash=tx_hash,
                sender=str(tx["from"]).lower(),
                block_number=int(block_number),
                succeeded=int(receipt["status"]) == 1,
                events=tuple(e for e in map(_root_anchored, receipt["logs"]) if e is not None),
            )
        except Exception as exc:  # missing keys, wrong types, undecodable log data
            raise ChainResponseError(
                f"{self._shown_url}: malformed transaction or receipt"
            ) from exc

    def head(self) -> int:
        """The node's latest block number (``eth_blockNumber``)."""
        value = self._call("eth_blockNumber", lambda: self._w3.eth.block_number)
        if not isinstance(value, int):
            raise ChainResponseError(f"{self._shown_url}: eth_blockNumber answered {value!r}")
        return value

    def _call(self, what: str, fn: Callable[[], _T]) -> _T:
        # ``what`` names the JSON-RPC method (and contract call) in every message: "timed out"
        # alone does not tell an operator which request or which limit to look at.
        from web3.exceptions import ProviderConnectionError, TimeExhausted, TransactionNotFound

        try:
            return fn()
        except TransactionNotFound as exc:
            raise _NotFound from exc
        except (requests.Timeout, TimeExhausted, TimeoutError) as exc:
            raise ChainUnavailableError(
                f"{self._shown_url}: {what} timed out (no answer within {self.timeout:g} s)"
            ) from exc
        except (requests.RequestException, ProviderConnectionError, OSError) as exc:
            raise ChainUnavailableError(
                f"{self._shown_url}: {what}: node unreachable ({_describe(exc)})"
            ) from exc
        except Exception as exc:  # JSON-RPC errors, undecodable answers: the node is no use to us
            raise ChainResponseError(
                f"{self._shown_url}: {what}: bad answer ({_describe(exc)})"
            ) from exc


class _NotFound(Exception):
    pass


def _root_anchored(log: Any) -> RootAnchoredEvent | None:
    topics = [bytes(t) for t in log["topics"]]
    if len(topics) != 3 or topics[0] != ROOT_ANCHORED_TOPIC:
        return None
    record_count, timestamp = abi_decode(["uint64", "uint64"], bytes(log["data"]))
    return RootAnchoredEvent(
        contract=str(log["address"]).lower(),
        root=topics[1],
        batch_ref=topics[2],
        record_count=int(record_count),
        timestamp=int(timestamp),
    )


def _describe(exc: BaseException) -> str:
    # requests' messages run to several lines of pool internals (and the URL with its credentials);
    # say what happened in a few words.
    if isinstance(exc, requests.ConnectionError):
        return "connection refused" if "Errno 111" in str(exc) else "connection failed"
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, requests.RequestException):  # its text names the URL as given
        return type(exc).__name__
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
