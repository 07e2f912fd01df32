"""Client of the TanjiAnchorRegistry contract over any EVM JSON-RPC node (web3.py).

Transactions are signed locally (eth-account) and sent raw; the node never holds a key.
For crash safety the write path is split into ``sign_*`` (pure, returns the raw transaction to
persist), :meth:`AnchorClient.send_raw` (idempotent) and :meth:`AnchorClient.wait_receipt`.
"""

from __future__ import annotations

import ast
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from eth_abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import TransactionFailed
from eth_utils import ValidationError, function_abi_to_4byte_selector, to_checksum_address
from web3 import Web3
from web3._utils.http import DEFAULT_HTTP_TIMEOUT
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import (
    BlockNotFound,
    ContractLogicError,
    TransactionNotFound,
    Web3RPCError,
)
from web3.providers.rpc.utils import check_if_retry_on_failure

from anchoring.artifacts import load_anchor_artifact
from anchoring.errors import (
    REVERT_ERRORS,
    AnchoringError,
    ChainTimeoutError,
    ChainUnavailableError,
    ContractRevertError,
    NonceConsumedError,
    UnderpricedError,
)
from verifier.redaction import redacted_url

T = TypeVar("T")

#: How a revert surfaces: JSON-RPC nodes give web3's ContractLogicError (with the revert data);
#: the in-process eth-tester provider raises eth-tester's TransactionFailed.
REVERTS = (ContractLogicError, TransactionFailed)

#: How nodes say they already have a transaction (geth, Besu/Nethermind, Hardhat/Ganache).
KNOWN_TX_PHRASES = ("already known", "alreadyknown", "known transaction", "already imported")
#: How nodes say a transaction's nonce is used (geth, Hardhat, py-evm/eth-tester, Besu).
NONCE_USED_PHRASES = (
    "nonce too low",
    "invalid transaction nonce",
    "nonce has already been used",
    "nonce is too low",
)

#: Gas estimates are multiplied by this (as a fraction) so that a state change between estimate
#: and inclusion (e.g. a deeper proof path in storage) does not run the transaction out of gas.
GAS_MARGIN_NUM, GAS_MARGIN_DEN = 5, 4
#: Tip offered on EIP-1559 chains when the node cannot suggest one.
DEFAULT_PRIORITY_FEE = 1_000_000_000
#: How nodes refuse a transaction for its fees (geth, Besu, Anvil, Hardhat).
UNDERPRICED_PHRASES = (
    "less than block base fee",
    "underpriced",
    "lower than the base fee",
    "gas price too low",
    "max fee per gas less than",
)
#: A replacement transaction (same nonce) must raise both fees by at least 10 % to be accepted
#: (geth, Besu, Anvil); it raises them by 1/8, the base fee's largest step per block.
REPLACEMENT_BUMP_NUM, REPLACEMENT_BUMP_DEN = 9, 8
#: Seconds to wait for a receipt before looking whether the transaction was dropped or is stuck.
DEFAULT_RESEND_AFTER = 30.0
ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True)
class AnchorReceipt:
    """Where and when a transaction was included."""

    tx_hash: str
    block_number: int
    timestamp: int
    gas_used: int


@dataclass(frozen=True)
class AnchorInfo:
    """What the contract stores about an anchored root (``anchorOf``)."""

    block_number: int
    timestamp: int
    record_count: int
    revoked_reason: int


@dataclass(frozen=True)
class LeafStatus:
    """The contract's answer to ``check(root, leaf, proof)``."""

    anchored: bool
    included: bool
    active: bool
    block_number: int
    timestamp: int
    root_revoked_reason: int
    leaf_revoked_reason: int


@dataclass(frozen=True)
class Fees:
    """A transaction's fee fields: EIP-1559 (``max_fee``, ``tip``) or legacy (``gas_price``)."""

    max_fee: int | None = None
    tip: int | None = None
    gas_price: int | None = None

    def fields(self) -> dict[str, int]:
        """The transaction fields these fees set."""
        if self.gas_price is not None:
            return {"gasPrice": self.gas_price}
        assert self.max_fee is not None and self.tip is not None
        return {"maxFeePerGas": self.max_fee, "maxPriorityFeePerGas": self.tip}

    @property
    def ceiling(self) -> int:
        """The most a unit of gas may cost under these fees."""
        return int(self.gas_price if self.gas_price is not None else self.max_fee or 0)

    def bumped(self) -> Fees:
        """Fees a replacement of a transaction with these fees must at least offer."""

        def up(value: int | None) -> int | None:
            return (
                None
                if value is None
                else -(-value * REPLACEMENT_BUMP_NUM // REPLACEMENT_BUMP_DEN) + 1
            )

        return Fees(max_fee=up(self.max_fee), tip=up(self.tip), gas_price=up(self.gas_price))


@dataclass(frozen=True)
class PendingTx:
    """A transaction the node holds but has not mined, and what it offers for gas."""

    tx_hash: str
    nonce: int
    fees: Fees


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction ready to be (re)sent: persist it before sending."""

    raw: bytes
    tx_hash: str
    nonce: int

    def __repr__(self) -> str:
        return f"SignedTx(tx_hash={self.tx_hash!r}, nonce={self.nonce})"


class AnchorClient:
    """Anchor, revoke and read roots on one deployed TanjiAnchorRegistry."""

    def __init__(
        self,
        w3: Web3,
        address: str,
        account: LocalAccount,
        *,
        confirmations: int = 0,
        receipt_timeout: float = 120,
        poll_interval: float = 0.1,
        max_fee_per_gas: int | None = None,
        resend_after: float = DEFAULT_RESEND_AFTER,
    ) -> None:
        """``confirmations``: blocks on top of a transaction's block before it counts as final;
        ``max_fee_per_gas``: the most (wei) any transaction may offer per gas, whatever the base
        fee does (``None``: no cap); ``resend_after``: seconds without a receipt after which the
        batcher looks whether its transaction was dropped or is priced out."""
        if confirmations < 0:
            raise ValueError("confirmations must be >= 0")
        if max_fee_per_gas is not None and max_fee_per_gas < 1:
            raise ValueError("max_fee_per_gas must be >= 1 wei")
        self.w3 = w3
        self.account = account
        self.confirmations = confirmations
        self.receipt_timeout = receipt_timeout
        self.poll_interval = poll_interval
        self.max_fee_per_gas = max_fee_per_gas
        self.resend_after = resend_after
        artifact = load_anchor_artifact()
        self.contract: Contract = w3.eth.contract(
            address=to_checksum_address(address), abi=artifact.abi
        )
        self._errors = _error_decoders(artifact.abi)
        self._nonce_lock = threading.Lock()
        self._next_nonce: int | None = None
        self._chain_id: int | None = None

    def __repr__(self) -> str:
        return f"AnchorClient(address={self.address!r}, signer={self.account.address!r})"

    # -- deployment ---------------------------------------------------------------------------

    @classmethod
    def deploy(
        cls,
        w3: Web3,
        account: LocalAccount,
        *,
        admin: str | None = None,
        confirmations: int = 0,
        receipt_timeout: float = 120,
        poll_interval: float = 0.1,
        max_fee_per_gas: int | None = None,
        resend_after: float = DEFAULT_RESEND_AFTER,
    ) -> AnchorClient:
        """Deploy a new registry (``admin`` defaults to the deploying account) and connect to it."""
        artifact = load_anchor_artifact()
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        ctor = factory.constructor(to_checksum_address(admin or account.address))
        # A client bound to no contract yet: it signs, sends and waits like any other.
        sender = cls(
            w3,
            ZERO_ADDRESS,
            account,
            confirmations=confirmations,
            receipt_timeout=receipt_timeout,
            poll_interval=poll_interval,
            max_fee_per_gas=max_fee_per_gas,
            resend_after=resend_after,
        )
        with _chain_errors(w3, "deploying TanjiAnchorRegistry"):
            nonce = int(w3.eth.get_transaction_count(account.address, "pending"))
            tx: dict[str, Any] = {
                "from": account.address,
                "nonce": nonce,
                "chainId": sender.chain_id,
                "data": ctor.data_in_transaction,
            }
            gas = sender._call(
                lambda: w3.eth.estimate_gas(tx),  # type: ignore[arg-type]
                "deployment gas estimate",
            )
            tx["gas"] = gas * GAS_MARGIN_NUM // GAS_MARGIN_DEN
            tx.update(sender.fees().fields())
        signed = account.sign_transaction(tx)
        tx_hash = sender.send_raw(SignedTx(bytes(signed.raw_transaction), _hex(signed.hash), nonce))
        receipt = sender.wait_receipt(tx_hash)
        address = receipt["contractAddress"]
        if not address:
            raise AnchoringError(f"deployment transaction {tx_hash} created no contract")
        return cls(
            w3,
            address,
            account,
            confirmations=confirmations,
            receipt_timeout=receipt_timeout,
            poll_interval=poll_interval,
            max_fee_per_gas=max_fee_per_gas,
            resend_after=resend_after,
        )

    # -- identity -----------------------------------------------------------------------------

    @property
    def address(self) -> str:
        """Checksummed address of the registry contract."""
        return str(self.contract.address)

    @property
    def chain_id(self) -> int:
        """Chain id of the node (read once)."""
        if self._chain_id is None:
            with _chain_errors(self.w3):
                self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    # -- one-call writes ------------------------------------------------------------------------

    def anchor(self, root: bytes, record_count: int, batch_ref: bytes) -> AnchorReceipt:
        """Anchor ``root`` and wait for its receipt (and confirmations)."""
        return self._transact(self.sign_anchor(root, record_count, batch_ref))

    def revoke_root(self, root: bytes, reason: int) -> AnchorReceipt:
        """Revoke a whole anchored root with a non-zero reason code."""
        return self._transact(self.sign_revoke_root(root, reason))

    def revoke_leaf(
        self, root: bytes, leaf: bytes, proof: Sequence[bytes], reason: int
    ) -> AnchorReceipt:
        """Revoke one leaf of an anchored root (the contract checks the proof)."""
        return self._transact(self.sign_revoke_leaf(root, leaf, proof, reason))

    def _transact(self, signed: SignedTx) -> AnchorReceipt:
        tx_hash = self.send_raw(signed)
        receipt = self.wait_receipt(tx_hash)
        return self.anchor_receipt(receipt)

    def anchor_receipt(self, receipt: Any) -> AnchorReceipt:
        """Summarise a receipt, with its block's timestamp."""
        block_number = int(receipt["blockNumber"])
        with _chain_errors(self.w3, f"block {block_number} of the receipt"):
            block = self.w3.eth.get_block(block_number)
        return AnchorReceipt(
            tx_hash=_hex(receipt["transactionHash"]),
            block_number=block_number,
            timestamp=int(block["timestamp"]),
            gas_used=int(receipt["gasUsed"]),
        )

    # -- signing --------------------------------------------------------------------------------

    def sign_anchor(
        self,
        root: bytes,
        record_count: int,
        batch_ref: bytes,
        *,
        nonce: int | None = None,
        fee_floor: Fees | None = None,
    ) -> SignedTx:
        """Sign ``anchor(root, recordCount, batchRef)``; reverts found by gas estimation raise.

        ``fee_floor``: the least fees to offer (a replacement's, :meth:`Fees.bumped`).
        """
        call = self.contract.functions.anchor(root, record_count, batch_ref)
        return self._sign(call, nonce, fee_floor)

    def sign_revoke_root(self, root: bytes, reason: int, *, nonce: int | None = None) -> SignedTx:
        """Sign ``revokeRoot(root, reason)``."""
        return self._sign(self.contract.functions.revokeRoot(root, reason), nonce)

    def sign_revoke_leaf(
        self,
        root: bytes,
        leaf: bytes,
        proof: Sequence[bytes],
        reason: int,
        *,
        nonce: int | None = None,
    ) -> SignedTx:
        """Sign ``revokeLeaf(root, leaf, proof, reason)``."""
        call = self.contract.functions.revokeLeaf(root, leaf, list(proof), reason)
        return self._sign(call, nonce)

    def fees(self, floor: Fees | None = None) -> Fees:
        """The fees to offer now: EIP-1559 when the chain has a base fee, else a legacy gas
        price; at least ``floor``; never more than ``max_fee_per_gas`` per gas."""
        with _chain_errors(self.w3, "fee estimate"):
            fees = _fees(self.w3)
        return _capped(_at_least(fees, floor), self.max_fee_per_gas)

    def _sign(
        self, call: ContractFunction, nonce: int | None, fee_floor: Fees | None = None
    ) -> SignedTx:
        sender = self.account.address
        with self._nonce_lock, _chain_errors(self.w3, f"signing {call.fn_name}"):
            if nonce is None:
                # The node's pending count can lag behind transactions we just sent; the local
                # counter keeps back-to-back signing from reusing a nonce.
                nonce = int(self.w3.eth.get_transaction_count(sender, "pending"))
                if self._next_nonce is not None:
                    nonce = max(nonce, self._next_nonce)
            gas = self._call(
                lambda: call.estimate_gas({"from": sender}), f"{call.fn_name} gas estimate"
            )
            params: Any = {
                "from": sender,
                "nonce": nonce,
                "gas": gas * GAS_MARGIN_NUM // GAS_MARGIN_DEN,
                "chainId": self.chain_id,
                **self.fees(fee_floor).fields(),
            }
            tx: Any = call.build_transaction(params)
            signed = self.account.sign_transaction(tx)
            self._next_nonce = max(self._next_nonce or 0, nonce + 1)
        return SignedTx(raw=bytes(signed.raw_transaction), tx_hash=_hex(signed.hash), nonce=nonce)

    def forget_nonce(self) -> None:
        """Drop the local nonce counter (after a signed transaction was abandoned)."""
        with self._nonce_lock:
            self._next_nonce = None

    # -- sending and waiting --------------------------------------------------------------------

    def send_raw(self, signed: SignedTx) -> str:
        """Send a signed transaction; sending one the node already has or has mined is a no-op.

        Raises :class:`NonceConsumedError` when the nonce was used by a different transaction.
        """
        try:
            with _chain_errors(self.w3, f"sending {signed.tx_hash}"):
                self.w3.eth.send_raw_transaction(signed.raw)
        except (Web3RPCError, ValueError, ValidationError) as exc:
            message = str(exc).lower()
            if any(phrase in message for phrase in KNOWN_TX_PHRASES):
                return signed.tx_hash
            if any(phrase in message for phrase in NONCE_USED_PHRASES):
                if self._receipt_or_none(signed.tx_hash) is not None:
                    return signed.tx_hash
                raise NonceConsumedError(
                    f"nonce {signed.nonce} of transaction {signed.tx_hash} was used by another "
                    "transaction",
                    tx_hash=signed.tx_hash,
                    nonce=signed.nonce,
                ) from exc
            if any(phrase in message for phrase in UNDERPRICED_PHRASES):
                raise UnderpricedError(
                    f"node refused transaction {signed.tx_hash} for its fees: {exc}",
                    tx_hash=signed.tx_hash,
                    nonce=signed.nonce,
                ) from exc
            if "revert" in message and self._receipt_or_none(signed.tx_hash) is not None:
                # Hardhat (automine) mines a failing transaction and reports the revert as a
                # send error; wait_receipt() replays it and decodes the custom error.
                return signed.tx_hash
            raise AnchoringError(f"node refused transaction {signed.tx_hash}: {exc}") from exc
        except REVERTS as exc:
            # Some in-process backends execute on send and raise the revert right away.
            raise self._decode_revert(exc, tx_hash=signed.tx_hash) from exc
        return signed.tx_hash

    def wait_receipt(
        self, tx_hash: str, *, timeout: float | None = None, confirmations: int | None = None
    ) -> Any:
        """Wait until ``tx_hash`` is mined and ``confirmations`` blocks deep (default: the
        client's); return its receipt.

        A reverted transaction is replayed as a call at its block to decode the custom error,
        raised as a :class:`ContractRevertError`.
        """
        depth = self.confirmations if confirmations is None else confirmations
        limit = self.receipt_timeout if timeout is None else timeout
        started = time.monotonic()
        receipt = self._receipt_or_none(tx_hash)
        while receipt is None:
            waited = time.monotonic() - started
            if waited >= limit:
                raise ChainTimeoutError(
                    f"transaction {tx_hash} was not mined: no receipt after {waited:.1f}s "
                    f"(timeout {limit:g}s)",
                    tx_hash=tx_hash,
                    waited=waited,
                )
            time.sleep(self.poll_interval)
            receipt = self._receipt_or_none(tx_hash)
        if int(receipt["status"]) != 1:
            raise self._replay_revert(tx_hash, receipt)
        target = int(receipt["blockNumber"]) + depth
        while depth:
            with _chain_errors(self.w3, f"confirmations of {tx_hash}"):
                head = int(self.w3.eth.block_number)
            if head >= target:
                # A reorg may have dropped the transaction while we waited.
                receipt = self._receipt_or_none(tx_hash)
                if receipt is not None and int(receipt["blockNumber"]) + depth <= head:
                    break
                if receipt is None:
                    left = max(0.0, limit - (time.monotonic() - started))
                    return self.wait_receipt(tx_hash, timeout=left, confirmations=depth)
                target = int(receipt["blockNumber"]) + depth
            waited = time.monotonic() - started
            if waited >= limit:
                raise ChainTimeoutError(
                    f"transaction {tx_hash} mined in block {receipt['blockNumber']} but waiting "
                    f"for {depth} confirmations timed out after {waited:.1f}s "
                    f"(head {head}, need {target})",
                    tx_hash=tx_hash,
                    waited=waited,
                )
            time.sleep(self.poll_interval)
        return receipt

    def receipt(self, tx_hash: str) -> Any:
        """The receipt of ``tx_hash`` on the node's canonical chain now, or ``None``."""
        return self._receipt_or_none(tx_hash)

    def head(self) -> int:
        """The node's latest block number."""
        with _chain_errors(self.w3, "head block"):
            return int(self.w3.eth.block_number)

    def pending(self, tx_hash: str) -> PendingTx | None:
        """The transaction if the node holds it unmined; ``None`` when it does not know it
        (dropped from its pool, or never received) or has mined it."""
        try:
            with _chain_errors(self.w3, f"transaction {tx_hash}"):
                tx = self.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return None
        if tx.get("blockNumber") is not None:
            return None
        if tx.get("maxFeePerGas") is not None:
            fees = Fees(max_fee=int(tx["maxFeePerGas"]), tip=int(tx["maxPriorityFeePerGas"]))
        else:
            fees = Fees(gas_price=int(tx["gasPrice"]))
        return PendingTx(tx_hash=tx_hash, nonce=int(tx["nonce"]), fees=fees)

    def base_fee(self) -> int | None:
        """The base fee a transaction sent now must meet: the larger of the latest block's and
        the pending block's (``None`` on a chain without EIP-1559)."""
        with _chain_errors(self.w3, "latest block"):
            value = self.w3.eth.get_block("latest").get("baseFeePerGas")
            if value is None:
                return None
            try:
                pending = self.w3.eth.get_block("pending").get("baseFeePerGas")
            except (Web3RPCError, ValueError, BlockNotFound):
                pending = None
        return max(int(value), int(pending or 0))

    def _receipt_or_none(self, tx_hash: str) -> Any:
        try:
            with _chain_errors(self.w3, f"receipt of {tx_hash}"):
                return self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return None

    def _replay_revert(self, tx_hash: str, receipt: Any) -> ContractRevertError:
        with _chain_errors(self.w3, f"replaying reverted {tx_hash}"):
            tx = self.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
            call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]}
            try:
                self.w3.eth.call(call, block_identifier=receipt["blockNumber"])  # type: ignore[arg-type]
            except REVERTS as exc:
                return self._decode_revert(exc, tx_hash=tx_hash)
        return ContractRevertError("", {"data": "0x"}, tx_hash=tx_hash)

    # -- reads ----------------------------------------------------------------------------------

    def anchor_of(self, root: bytes) -> AnchorInfo | None:
        """The anchor of ``root``, or ``None`` when it was never anchored."""
        block, timestamp, count, reason = self._call(
            lambda: self.contract.functions.anchorOf(root).call(), "anchorOf(root)"
        )
        if block == 0:
            return None
        return AnchorInfo(
            block_number=block, timestamp=timestamp, record_count=count, revoked_reason=reason
        )

    def check(self, root: bytes, leaf: bytes, proof: Sequence[bytes]) -> LeafStatus:
        """Ask the contract whether ``leaf`` is in an anchored, unrevoked ``root``."""
        values = self._call(
            lambda: self.contract.functions.check(root, leaf, list(proof)).call(),
            "check(root, leaf, proof)",
        )
        return LeafStatus(*values)

    def leaf_revoked_reason(self, root: bytes, leaf: bytes) -> int:
        """Reason code of a leaf's revocation (0 when not revoked)."""
        return int(
            self._call(
                lambda: self.contract.functions.leafRevokedReason(root, leaf).call(),
                "leafRevokedReason(root, leaf)",
            )
        )

    def has_role(self, role: str, account: str) -> bool:
        """Whether ``account`` holds ``role`` (``"ANCHORER_ROLE"``, ``"REVOKER_ROLE"``, ...)."""

        def read() -> bool:
            role_id = getattr(self.contract.functions, role)().call()
            return bool(self.contract.functions.hasRole(role_id, account).call())

        return self._call(read, f"hasRole({role})")

    def _call(self, fn: Callable[[], T], call: str) -> T:
        try:
            with _chain_errors(self.w3, call):
                return fn()
        except REVERTS as exc:
            raise self._decode_revert(exc) from exc

    # -- revert decoding ------------------------------------------------------------------------

    def _decode_revert(self, exc: Exception, *, tx_hash: str | None = None) -> ContractRevertError:
        data = _revert_data(exc)
        decoder = self._errors.get(data[:4]) if data is not None else None
        if data is None or decoder is None:
            shown = "0x" + data.hex() if data else str(exc)
            return ContractRevertError("", {"data": shown}, tx_hash=tx_hash)
        name, names, types = decoder
        values = abi_decode(types, data[4:])
        cls = REVERT_ERRORS.get(name, ContractRevertError)
        return cls(name, dict(zip(names, values, strict=True)), tx_hash=tx_hash)


def _error_decoders(abi: list[dict[str, Any]]) -> dict[bytes, tuple[str, list[str], list[str]]]:
    decoders = {}
    for item in abi:
        if item.get("type") == "error":
            inputs = item.get("inputs", [])
            selector = function_abi_to_4byte_selector(item)  # type: ignore[arg-type]
            decoders[bytes(selector)] = (
                item["name"],
                [i["name"] for i in inputs],
                [i["type"] for i in inputs],
            )
    return decoders


def _revert_data(exc: BaseException) -> bytes | None:
    """The raw revert data carried by an exception (or the exceptions it wraps)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ContractLogicError):
            data: Any = seen.data
            if isinstance(data, dict):
                data = data.get("data")
            if isinstance(data, str) and data.startswith("0x"):
                try:
                    return bytes.fromhex(data[2:])
                except ValueError:
                    return None
        elif seen.args and isinstance(seen.args[0], bytes):
            # eth-tester's own TransactionFailed holds the revert bytes.
            return seen.args[0]
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    marker = "execution reverted: b"
    if marker in text:
        # web3's eth-tester provider re-raises with the bytes' repr in the message.
        try:
            value = ast.literal_eval(text[text.index(marker) + len(marker) - 1 :])
        except (ValueError, SyntaxError):
            return None
        return value if isinstance(value, bytes) else None
    return None


def _fees(w3: Web3) -> Fees:
    """EIP-1559 fees when the latest block has a base fee, a legacy gas price otherwise.

    The base fee is the larger of the latest block's and the pending block's (the next block's,
    where the node tells it): a spike already decided must not price the transaction out.
    """
    latest = w3.eth.get_block("latest")
    base_fee = latest.get("baseFeePerGas")
    if base_fee is None:
        return Fees(gas_price=int(w3.eth.gas_price))
    try:
        pending = w3.eth.get_block("pending").get("baseFeePerGas")
    except (Web3RPCError, ValueError, BlockNotFound):
        pending = None
    next_base_fee = max(int(base_fee), int(pending or 0))
    try:
        tip = int(w3.eth.max_priority_fee)
    except (Web3RPCError, ValueError, NotImplementedError):
        tip = DEFAULT_PRIORITY_FEE
    # Twice the base fee survives several full blocks of base-fee growth (12.5% each).
    return Fees(max_fee=2 * next_base_fee + tip, tip=tip)


def _at_least(fees: Fees, floor: Fees | None) -> Fees:
    """``fees`` raised to ``floor`` field by field (a replacement must outbid its original)."""
    if floor is None:
        return fees
    if fees.gas_price is not None:
        return Fees(gas_price=max(fees.gas_price, floor.gas_price or floor.max_fee or 0))
    assert fees.max_fee is not None and fees.tip is not None
    tip = max(fees.tip, floor.tip or 0)
    return Fees(max_fee=max(fees.max_fee, floor.max_fee or floor.gas_price or 0, tip), tip=tip)


def _capped(fees: Fees, cap: int | None) -> Fees:
    """``fees`` held to ``cap`` wei per gas (the tip never above the max fee)."""
    if cap is None:
        return fees
    if fees.gas_price is not None:
        return Fees(gas_price=min(fees.gas_price, cap))
    assert fees.max_fee is not None and fees.tip is not None
    max_fee = min(fees.max_fee, cap)
    return Fees(max_fee=max_fee, tip=min(fees.tip, max_fee))


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value)
    return text if text.startswith("0x") else "0x" + text


@contextmanager
def _chain_errors(w3: Web3, call: str | None = None) -> Iterator[None]:
    """Turn transport failures into :class:`ChainUnavailableError`.

    The message names the node (without credentials), the JSON-RPC method that failed, what the
    client was doing (``call``: a contract call, a transaction) and, for a timeout, the limit.
    """
    try:
        yield
    except (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError) as exc:
        uri = getattr(w3.provider, "endpoint_uri", None)
        endpoint = redacted_url(str(uri)) if uri else type(w3.provider).__name__
        method = _rpc_method(exc)
        what = method or "a request"
        if call:
            what = f"{what} ({call})"
        if isinstance(exc, requests.Timeout | TimeoutError):
            raise ChainUnavailableError(
                f"chain node {endpoint} did not answer {what} within {_timeout_of(w3, method)} "
                f"(timed out: {type(exc).__name__})"
            ) from exc
        raise ChainUnavailableError(
            f"chain node {endpoint} is unreachable ({what}): {type(exc).__name__}"
        ) from exc


def _rpc_method(exc: BaseException) -> str | None:
    """The JSON-RPC method(s) of the request that failed, read from the request requests sent."""
    body = getattr(getattr(exc, "request", None), "body", None)
    if not body:
        return None
    try:
        payload = json.loads(body)
    except (TypeError, ValueError):
        return None
    calls = payload if isinstance(payload, list) else [payload]
    methods = [c.get("method") for c in calls if isinstance(c, dict)]
    named = [m for m in methods if isinstance(m, str)]
    return ", ".join(named) if named else None


def _timeout_of(w3: Web3, method: str | None) -> str:
    """The provider's HTTP time limit as text ("10 s"), with web3's retries when they apply."""
    provider = w3.provider
    kwargs = getattr(provider, "get_request_kwargs", None)
    limit: Any = dict(kwargs()).get("timeout", DEFAULT_HTTP_TIMEOUT) if kwargs else None
    if isinstance(limit, tuple) and len(limit) == 2:
        text = f"{limit[0]:g} s to connect, {limit[1]:g} s to read"
    elif isinstance(limit, int | float):
        text = f"{limit:g} s"
    else:
        return "its time limit"
    # web3's HTTPProvider retries read methods by default: the wait was that many times longer.
    retry = getattr(provider, "exception_retry_configuration", None)
    if (
        retry is not None
        and method is not None
        and any(issubclass(requests.Timeout, e) for e in retry.errors or ())
        and check_if_retry_on_failure(method, retry.method_allowlist)  # type: ignore[arg-type]
    ):
        text += f" per attempt, {retry.retries} attempts"
    return text
