"""The durable embedded EVM chain: py-evm on SQLite in the data dir, behind a web3 provider.

``EmbeddedChain.open(data_dir)`` gives ``tanji serve`` / ``tanji demo`` a real EVM chain with
nothing else running. It lives in ``data_dir/chain/``:

- ``chain.sqlite`` — py-evm's key-value store (:class:`anchoring.chaindb.SqliteChainDB`, WAL):
  state trie, headers, blocks, receipts and the transaction index, plus a ``meta`` table holding
  the chain id. Each block is one SQLite commit, so after ``close()`` or ``kill -9`` the chain
  reopens at the last block whose commit completed, with the same state root and storage.
  The chain is reopened from its canonical head, never replayed (replaying raw transactions
  does not reproduce it: block mix hashes are random and timestamps differ).
- ``LOCK`` — ``fcntl.flock``-ed by the one process that has the chain open; it holds that
  process's PID and command line so a second opener gets :class:`ChainLockedError` naming it.

Transactions are mined one block each (eth-tester auto-mine; with auto-mine off eth-tester does
not batch them anyway). Transaction and receipt lookups use py-evm's canonical
``tx hash -> (block number, index)`` lookup key, which py-evm writes inside the same atomic batch
— hence the same SQLite commit — as the block itself; eth-tester's own lookup scans every block
from the head down (0.47 s at height 1,000 here), :class:`IndexedPyEVMBackend` never does.

Funding: ``fund`` addresses get a large genesis balance when the chain is first created. The
embedded chain holds no private keys, so it cannot fund an address later: reopening with a
``fund`` address that has no balance raises :class:`ChainFundingError` (start a new data dir, or
sign with an address that was funded at genesis).

Thread safety: one re-entrant lock per chain (``chain.lock``) guards every use of the writer's
py-evm chain and its SQLite connection: each request through ``.w3`` (the provider takes it)
and :meth:`EmbeddedChain.close`. The background anchoring thread and the registry's own reads
share it; their requests run one at a time.

The read-only view (``chain.view``, :class:`ChainView`) serves the anonymous JSON-RPC endpoint
(:mod:`anchoring.rpc`) without ever taking that lock, so a call, however long, cannot delay
anchoring (before the view, 5 looping calls of 30M gas held the lock for 37 s and delayed a
batch by 26 s). The view has its own SQLite connection to the same file, opened read-only, its
own py-evm chain object and backend (:class:`CappedCallBackend`) and its own lock. This is
sound because of how the chain is stored:

- SQLite in WAL mode lets one connection read while another commits. Each request on the view
  runs in one read transaction (``BEGIN`` ... ``COMMIT``), so it sees one committed snapshot,
  never half a block, and it never blocks the writer (nor does the writer block it).
- The writer commits a block's state before the header and canonical head that point at it,
  each py-evm batch in one SQLite transaction, and everything a call reads (trie nodes,
  headers, bodies, receipts) is addressed by hash and never rewritten (one node: no reorgs).
- At the start of each request the view builds its pending block on the head committed then
  (``ensure_header``), so ``latest`` and ``pending`` follow the writer. Calls run in a
  py-evm snapshot that is reverted; nothing is ever written through the view (its connection
  is ``mode=ro``, a write raises).

The view's lock lets one request read at a time: at most one call competes with anchoring for
the interpreter (py-evm is pure Python and holds the GIL; the anchoring thread still gets its
share, and the gas cap bounds each call to a fraction of a second). A request waits a bounded
time for the view and is told the server is busy after that (:class:`ChainBusyError`).

Durability is against power loss too (SQLite ``synchronous=FULL``); about 40 anchors a second
through web3 here (``bench/embedded_chain.py``). Block timestamps must rise by at least one
second per block, so they run ahead of the wall clock while more than one block a second is
mined, and fall back to it when mining slows.
"""

from __future__ import annotations

import copy
import fcntl
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final, NoReturn, Self, cast

from eth.abc import BlockAPI, BlockHeaderAPI, ComputationAPI, SignedTransactionAPI
from eth.chains.base import MiningChain
from eth.exceptions import CanonicalHeadNotFound, OutOfGas, Revert
from eth.exceptions import TransactionNotFound as EVMTransactionNotFound
from eth.vm.forks import PragueVM
from eth.vm.spoof import SpoofTransaction
from eth_abi import abi
from eth_abi.exceptions import DecodingError
from eth_tester import EthereumTester
from eth_tester.backends.pyevm.main import (
    PyEVMBackend,
    _get_block_by_number,
    get_default_genesis_params,
)
from eth_tester.backends.pyevm.serializers import (
    serialize_transaction,
    serialize_transaction_receipt,
)
from eth_tester.exceptions import TransactionFailed, TransactionNotFound
from eth_typing import Address, BlockNumber, Hash32
from eth_utils import encode_hex, is_hex_address, to_canonical_address, to_checksum_address
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider
from web3.providers.eth_tester.defaults import API_ENDPOINTS
from web3.types import RPCEndpoint, RPCResponse

from anchoring.chaindb import SqliteChainDB
from anchoring.errors import AnchoringError, ChainLockedError
from anchoring.finality import EMBEDDED_CHAIN_ID as EMBEDDED_CHAIN_ID

#: Genesis balance of each funded address: one million ether (eth-tester's default).
GENESIS_BALANCE_WEI: Final = 10**24

#: ``from`` of an ``eth_call`` / ``eth_estimateGas`` that names none, as nodes default it.
ZERO_ADDRESS: Final = "0x" + "00" * 20
_ERROR_STRING_SELECTOR: Final = bytes.fromhex("08c379a0")
_FEE_FIELDS: Final = ("gas_price", "max_fee_per_gas", "max_priority_fee_per_gas")

_CHAIN_FILE = "chain.sqlite"
_LOCK_FILE = "LOCK"
#: ``web3_clientVersion`` of the embedded chain.
CLIENT_VERSION: Final = f"Tanji-embedded/py-evm-{version('py-evm')}"


class EmbeddedChainError(AnchoringError):
    """The embedded chain cannot be opened or used as asked."""

    code = "embedded_chain_error"


class ChainFundingError(EmbeddedChainError):
    """An address asked to be funded on reopen has no balance (funding happens at genesis only)."""

    code = "chain_funding"


class ChainClosedError(EmbeddedChainError):
    """The embedded chain was closed; open it again to use it."""

    code = "chain_closed"


class CallReverted(EmbeddedChainError):
    """An ``eth_call`` / ``eth_estimateGas`` reverted; ``data`` is the raw revert data.

    The provider turns it into the JSON-RPC error nodes send (code 3, ``data``), so web3 raises
    ``ContractCustomError`` / ``ContractLogicError`` with the revert data as against any node
    (eth-tester's own provider flattens it into a message string).
    """

    code = "call_reverted"

    def __init__(self, data: bytes) -> None:
        self.data = data
        reason = ""
        if data[:4] == _ERROR_STRING_SELECTOR:
            try:
                reason = ": " + str(abi.decode(["string"], data[4:])[0])
            except DecodingError:
                reason = ""
        super().__init__("execution reverted" + reason)


class CallFailed(EmbeddedChainError):
    """A call on a :class:`ChainView` failed other than by a revert (an invalid opcode, say)."""

    code = "call_failed"


class CallOutOfGas(CallFailed):
    """A call on a :class:`ChainView` ran out of gas: ``gas`` was all it was given."""

    code = "call_out_of_gas"

    def __init__(self, message: str, *, gas: int, gas_cap: int) -> None:
        super().__init__(message)
        self.gas = gas
        self.gas_cap = gas_cap


class ChainBusyError(EmbeddedChainError):
    """The chain view stayed busy with other calls for longer than the caller would wait."""

    code = "chain_busy"


def _chain_class(chain_id: int) -> type[MiningChain]:
    """eth-tester's tester chain (Prague from genesis, constant gas limit) with our chain id."""

    class TanjiEmbeddedChain(MiningChain):
        vm_configuration = ((BlockNumber(0), PragueVM),)

        def create_header_from_parent(
            self, parent_header: BlockHeaderAPI, **header_params: Any
        ) -> BlockHeaderAPI:
            # A constant gas limit, as eth-tester's chain keeps it.
            header_params["gas_limit"] = parent_header.gas_limit
            return super().create_header_from_parent(parent_header, **header_params)

        def get_transaction_builder(self) -> Any:
            return self.get_vm().get_transaction_builder()

    TanjiEmbeddedChain.chain_id = chain_id
    return TanjiEmbeddedChain


class IndexedPyEVMBackend(PyEVMBackend):
    """eth-tester's py-evm backend over an existing chain, with indexed transaction lookups.

    ``index_hits`` counts lookups answered from the index (observable in tests).
    """

    def __init__(self, chain: MiningChain) -> None:
        # PyEVMBackend.__init__ would build a fresh in-memory chain from genesis: skip it.
        self.account_keys = ()
        self.chain = chain
        self.index_hits = 0

    def reset_to_genesis(self, *args: Any, **kwargs: Any) -> None:
        raise EmbeddedChainError("the embedded chain is durable; it cannot be reset to genesis")

    def _find_transaction(self, transaction_hash: bytes) -> tuple[BlockAPI, Any, int]:
        pending = self.chain.get_block()
        for index, transaction in enumerate(pending.transactions):
            if transaction.hash == transaction_hash:
                return pending, transaction, index
        try:
            block_number, index = self.chain.chaindb.get_transaction_index(Hash32(transaction_hash))
        except EVMTransactionNotFound:
            raise TransactionNotFound(
                f"No transaction found for transaction hash: {encode_hex(transaction_hash)}"
            ) from None
        self.index_hits += 1
        block = self.chain.get_canonical_block_by_number(block_number)
        return block, block.transactions[index], index

    def _spoofed(self, transaction: dict[str, Any], block_number: Any) -> SpoofTransaction:
        unsigned = self._get_normalized_and_unsigned_evm_transaction(transaction, block_number)
        return SpoofTransaction(unsigned, from_=transaction["from"])

    @staticmethod
    def _afford(
        state: Any, transaction: dict[str, Any], spoofed: SpoofTransaction, gas: int
    ) -> None:
        # Nodes run a call that names no fee with no balance check; eth-tester defaults a fee
        # of 1 gwei and refuses a sender that cannot pay it. Top the sender up inside the
        # snapshot the call runs in (reverted afterwards) when no fee was named.
        if not any(field in transaction for field in _FEE_FIELDS):
            sender = spoofed.sender
            need = gas * spoofed.max_fee_per_gas + spoofed.value
            if state.get_balance(sender) < need:
                state.set_balance(sender, need)

    def call(self, transaction: dict[str, Any], block_number: Any = "latest") -> bytes:
        """eth-tester's ``call`` with raw revert data and no fee check when no fee is named."""
        transaction = dict(transaction)
        transaction.setdefault("gas", self._max_available_gas())
        computation = self._apply_call(transaction, block_number)
        if computation.is_error:
            error = computation.error
            if isinstance(error, Revert):
                raise CallReverted(bytes(error.args[0]) if error.args else b"")
            raise TransactionFailed(str(error))
        return bytes(computation.output)

    def _apply_call(self, transaction: dict[str, Any], block_number: Any) -> ComputationAPI:
        """Run ``transaction`` at ``block_number`` with its ``gas``; the state is left unchanged."""
        spoofed = self._spoofed(transaction, block_number)
        block = _get_block_by_number(self.chain, block_number)
        state = self.chain.get_vm(at_header=block.header).state
        snapshot = state.snapshot()
        try:
            self._afford(state, transaction, spoofed, spoofed.gas)
            return state.apply_transaction(cast(SignedTransactionAPI, spoofed))
        finally:
            state.revert(snapshot)

    def estimate_gas(self, transaction: dict[str, Any], block_number: Any = "latest") -> int:
        """eth-tester's ``estimate_gas`` with raw revert data and no fee check when unnamed."""
        transaction = dict(transaction)
        spoofed = self._spoofed({**transaction, "gas": 21000}, block_number)
        if block_number == "pending":
            raise NotImplementedError('"pending" block identifier is unsupported in eth-tester')
        header = self._estimate_header(block_number)
        try:
            with self.chain.get_vm(header).in_costless_state() as state:
                self._afford(state, transaction, spoofed, header.gas_limit)
                return int(self.chain.gas_estimator(state, cast(SignedTransactionAPI, spoofed)))
        except Revert as error:
            raise CallReverted(bytes(error.args[0]) if error.args else b"") from None

    def _estimate_header(self, block_number: Any) -> BlockHeaderAPI:
        """The header an estimate at ``block_number`` builds on (the head for the tags)."""
        if block_number in ("latest", "safe", "finalized", "pending"):
            return self.chain.get_canonical_head()
        if block_number == "earliest":
            return self.chain.get_canonical_block_header_by_number(BlockNumber(0))
        return self.chain.get_canonical_block_header_by_number(BlockNumber(block_number))

    def get_transaction_by_hash(self, transaction_hash: bytes) -> Any:
        block, transaction, index = self._find_transaction(transaction_hash)
        is_pending = block.number == self.chain.get_block().number
        return serialize_transaction(block, transaction, index, is_pending)

    def get_transaction_receipt(self, transaction_hash: bytes) -> Any:
        block, transaction, index = self._find_transaction(transaction_hash)
        is_pending = block.number == self.chain.get_block().number
        receipts = block.get_receipts(self.chain.chaindb)
        return serialize_transaction_receipt(
            block, receipts, transaction, index, is_pending, self.chain.get_vm()
        )


class CappedCallBackend(IndexedPyEVMBackend):
    """The backend of a :class:`ChainView`: calls and estimates get at most ``gas_cap`` gas.

    ``eth_call`` runs with ``min(its gas, gas_cap)``, all of the cap when it names none (geth's
    ``RPCGasCap`` does the same). ``eth_estimateGas`` searches for the least gas that succeeds
    below ``min(its gas, gas_cap)`` and stops once it has run the call with
    :data:`ESTIMATE_BUDGET` times that much gas in total, answering the least gas found to
    succeed so far (an estimate errs high, never low). A failure other than a revert raises
    :class:`CallOutOfGas` or :class:`CallFailed` (the base backend raises eth-tester's
    ``TransactionFailed`` with a string only).
    """

    def __init__(self, chain: MiningChain, gas_cap: int) -> None:
        super().__init__(chain)
        self.gas_cap = gas_cap

    def call(self, transaction: dict[str, Any], block_number: Any = "latest") -> bytes:
        """Run the call with at most ``gas_cap`` gas; its output, or the failure raised."""
        transaction = dict(transaction)
        asked = transaction.get("gas")
        gas = min(self._max_available_gas() if asked is None else asked, self.gas_cap)
        computation = self._apply_call({**transaction, "gas": gas}, block_number)
        if computation.is_error:
            self._fail(computation.error, gas, "out of gas (supplied gas {gas}{cap})")
        return bytes(computation.output)

    def estimate_gas(self, transaction: dict[str, Any], block_number: Any = "latest") -> int:
        """The least gas (within 1.5 %) the call needs, searched below the cap."""
        transaction = dict(transaction)
        header = self._estimate_header(block_number)
        asked = transaction.get("gas")
        high = min(header.gas_limit if asked is None else asked, self.gas_cap)
        base = self._spoofed({**transaction, "gas": high}, block_number)
        with self.chain.get_vm(header).in_costless_state() as state:
            self._afford(state, transaction, base, high)
            error, used, refund = _run_at(state, base, high)
            if error is not None:
                self._fail(error, high, "gas required exceeds allowance ({gas}{cap})")
            return _least_gas(state, base, high, used, refund, budget=ESTIMATE_BUDGET * high)

    def _fail(self, error: Exception, gas: int, out_of_gas: str) -> NoReturn:
        if isinstance(error, Revert):
            raise CallReverted(bytes(error.args[0]) if error.args else b"")
        if isinstance(error, OutOfGas):
            cap = ", the gas cap of this endpoint" if gas == self.gas_cap else ""
            raise CallOutOfGas(out_of_gas.format(gas=gas, cap=cap), gas=gas, gas_cap=self.gas_cap)
        raise CallFailed(f"execution failed: {error}")


#: Most gas an ``eth_estimateGas`` on a :class:`ChainView` runs, over all of its runs, as a
#: multiple of the gas it may use (its cap): one run to see that the call succeeds, one or two
#: more to narrow the estimate.
ESTIMATE_BUDGET: Final = 2
#: The estimate search stops within this fraction of the answer (as geth's estimator does).
_ESTIMATE_TOLERANCE: Final = 0.015
#: Gas a ``CALL`` with value must still have for the callee (the EVM's call stipend).
_CALL_STIPEND: Final = 2300


def _run_at(state: Any, transaction: SpoofTransaction, gas: int) -> tuple[Any, int, int]:
    """Run ``transaction`` with ``gas`` in a snapshot: ``(error or None, gas used, refund)``."""
    snapshot = state.snapshot()
    try:
        # A spoof of a spoof, as py-evm's own estimator makes one.
        target = cast(SignedTransactionAPI, transaction)
        spoofed = cast(SignedTransactionAPI, SpoofTransaction(target, gas=gas))
        computation = state.apply_transaction(spoofed)
    finally:
        state.revert(snapshot)
    error = computation.error if computation.is_error else None
    return error, gas - computation.get_gas_remaining(), computation.get_gas_refund()


def _least_gas(
    state: Any, transaction: SpoofTransaction, high: int, used: int, refund: int, *, budget: int
) -> int:
    """Binary search for the least gas below ``high`` with which ``transaction`` succeeds.

    It succeeded with ``high`` using ``used`` gas (so less than that fails): first try what
    geth tries, the gas used plus refund and stipend with the 63/64 rule's margin, then halve
    the interval until it is within :data:`_ESTIMATE_TOLERANCE` or the runs would pass ``budget``.
    """
    spent = used
    failing, succeeding = used - 1, high
    guess = (used + refund + _CALL_STIPEND) * 64 // 63
    while succeeding - failing > max(1, int(succeeding * _ESTIMATE_TOLERANCE)):
        if not failing < guess < succeeding:
            guess = (failing + succeeding) // 2
        if spent + guess > budget:
            break
        error, gas_used, _ = _run_at(state, transaction, guess)
        spent += gas_used
        if error is None:
            succeeding = guess
        else:
            failing = guess
        guess = (failing + succeeding) // 2
    return succeeding


class _ReadOnlyChainDB(SqliteChainDB):
    """A second, read-only connection to the chain's SQLite file (for a :class:`ChainView`).

    SQLite in WAL mode lets it read while the writer's connection commits: between ``BEGIN``
    and ``COMMIT`` it sees one committed snapshot, never a block half written. Any write
    through it fails (the connection is opened ``mode=ro``).
    """

    def __init__(self, path: Path) -> None:
        # Not SqliteChainDB.__init__: that sets the journal mode and creates the table (writes).
        self.path = path
        self._conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
        )

    def close(self) -> None:
        """Close the connection (idempotent; a reader has nothing to checkpoint)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class ChainView:
    """A read-only view of an :class:`EmbeddedChain` with its own connection, chain and lock.

    The JSON-RPC endpoint (:mod:`anchoring.rpc`) reads through it, so its requests, however
    long, never take the writer's lock; see the module docstring. Use :meth:`reading`.
    """

    def __init__(self, path: Path, chain_class: type[MiningChain], chain_id: int) -> None:
        self.chain_id = chain_id
        #: Held by one request at a time: at most one call runs on the view.
        self.lock = threading.RLock()
        self._db = _ReadOnlyChainDB(path)
        self._closed = False
        try:
            chain = chain_class(self._db)
        except BaseException:
            self._db.close()
            raise
        self._backend = CappedCallBackend(chain, gas_cap=chain.get_canonical_head().gas_limit)
        self.tester = EthereumTester(self._backend, auto_mine_transactions=True)
        provider = _LockedTesterProvider(
            self.tester, _endpoints(chain_id), self.lock, lambda: self._closed
        )
        self.w3 = Web3(provider)

    @property
    def backend(self) -> CappedCallBackend:
        """The eth-tester backend over the view's own py-evm chain object."""
        return self._backend

    @contextmanager
    def reading(self, *, gas_cap: int, wait_seconds: float) -> Iterator[Self]:
        """Hold the view for one request: one snapshot of the chain, calls capped at ``gas_cap``.

        Waits up to ``wait_seconds`` for another request to finish (:class:`ChainBusyError`
        after that). Inside, ``latest`` is the head committed when the request began.
        """
        if not self.lock.acquire(timeout=wait_seconds):
            raise ChainBusyError(f"the chain view was busy for {wait_seconds:g} s")
        try:
            if self._closed:
                raise ChainClosedError("the embedded chain is closed")
            connection = self._db.connection
            connection.execute("BEGIN")
            try:
                chain = self._backend.chain
                # The pending block on top of the head now (the writer has mined since).
                chain.header = chain.ensure_header()
                self._backend.gas_cap = gas_cap
                yield self
            finally:
                connection.execute("COMMIT")
        finally:
            self.lock.release()

    def close(self) -> None:
        """Close the view's connection once the request in progress (if any) has ended."""
        with self.lock:
            if not self._closed:
                self._closed = True
                self._db.close()


class _LockedTesterProvider(EthereumTesterProvider):
    """EthereumTesterProvider whose every request holds the chain's lock."""

    def __init__(
        self,
        tester: EthereumTester,
        endpoints: dict[str, dict[str, Callable[..., RPCResponse]]],
        lock: threading.RLock,
        is_closed: Callable[[], bool],
    ) -> None:
        super().__init__(tester, endpoints)
        self._chain_lock = lock
        self._is_closed = is_closed

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if (
            method in ("eth_call", "eth_estimateGas")
            and params
            and isinstance(params[0], dict)
            and params[0].get("from") is None
        ):
            # Nodes default an absent sender to the zero address; eth-tester refuses the call.
            params = [{**params[0], "from": ZERO_ADDRESS}, *params[1:]]
        with self._chain_lock:
            if self._is_closed():
                raise ChainClosedError("the embedded chain is closed")
            request_id = self._current_request_id
            try:
                return super().make_request(method, params)
            except CallReverted as reverted:
                # The JSON-RPC error geth and Hardhat send for a revert, so that web3 raises
                # ContractCustomError / ContractLogicError carrying the revert data.
                return cast(
                    RPCResponse,
                    {
                        "jsonrpc": "2.0",
                        "id": request_id,
                        "error": {
                            "code": 3,
                            "message": str(reverted),
                            "data": "0x" + reverted.data.hex(),
                        },
                    },
                )


def _endpoints(chain_id: int) -> dict[str, dict[str, Callable[..., RPCResponse]]]:
    endpoints = copy.copy(API_ENDPOINTS)
    endpoints["eth"] = dict(API_ENDPOINTS["eth"])
    endpoints["net"] = dict(API_ENDPOINTS["net"])
    endpoints["web3"] = dict(API_ENDPOINTS["web3"])
    endpoints["eth"]["chainId"] = lambda *_: chain_id
    endpoints["net"]["version"] = lambda *_: str(chain_id)
    endpoints["web3"]["clientVersion"] = lambda *_: CLIENT_VERSION
    return cast(dict[str, dict[str, Callable[..., RPCResponse]]], endpoints)


def _read_holder(handle: IO[str]) -> tuple[str, str]:
    """PID and command line of the lock's holder, from the lock file."""
    # The holder writes its PID just after taking the lock: until then the file may be empty
    # or still name a dead earlier holder, so give it a moment to appear.
    pid = command = ""
    for _ in range(20):
        handle.seek(0)
        pid, _, command = handle.read().strip().partition("\n")
        if pid.isdigit() and _alive(int(pid)):
            break
        time.sleep(0.05)
    return pid, command


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _acquire_lock(lock_path: Path) -> IO[str]:
    """flock the data dir's lock file and write our PID and command line into it."""
    handle = open(lock_path, "a+")  # noqa: SIM115 (held open for the chain's lifetime)
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid, command = _read_holder(handle)
        handle.close()
        error = ChainLockedError(
            f"the embedded chain in {lock_path.parent} is already open in process "
            f"{pid or '(unknown pid)'}" + (f" ({command})" if command else "")
        )
        error.holder_pid = int(pid) if pid.isdigit() else None  # type: ignore[attr-defined]
        raise error from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n{' '.join(sys.argv)}\n")
    handle.flush()
    return handle


class EmbeddedChain:
    """A durable single-process EVM chain in ``data_dir/chain/``; see the module docstring."""

    def __init__(
        self,
        *,
        db: SqliteChainDB,
        backend: IndexedPyEVMBackend,
        chain_id: int,
        lock_handle: IO[str],
        view: ChainView,
    ) -> None:
        self._db = db
        self._backend = backend
        self._lock_handle: IO[str] | None = lock_handle
        self._view = view
        self.chain_id = chain_id
        self.lock = threading.RLock()
        self.tester = EthereumTester(backend, auto_mine_transactions=True)
        provider = _LockedTesterProvider(
            self.tester, _endpoints(chain_id), self.lock, lambda: self._lock_handle is None
        )
        self.w3 = Web3(provider)

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        fund: Sequence[str] = (),
        chain_id: int = EMBEDDED_CHAIN_ID,
    ) -> EmbeddedChain:
        """Create or reopen the chain in ``data_dir/chain/``; fund ``fund`` at genesis.

        Raises :class:`ChainLockedError` when another process (or another open chain in this
        process) holds the data dir, :class:`ChainFundingError` when reopening with a ``fund``
        address that has no balance, :class:`EmbeddedChainError` when the chain on disk has a
        different chain id or an address is malformed.
        """
        for address in fund:
            if not is_hex_address(address):
                raise EmbeddedChainError(f"fund: {address!r} is not a hex address")
        chain_dir = Path(data_dir) / "chain"
        chain_dir.mkdir(parents=True, exist_ok=True)
        lock_handle = _acquire_lock(chain_dir / _LOCK_FILE)
        try:
            db = SqliteChainDB(chain_dir / _CHAIN_FILE)
            try:
                chain = _open_chain(db, chain_id=chain_id, fund=fund)
                view = ChainView(db.path, type(chain), chain_id)
            except BaseException:
                db.close()
                raise
        except BaseException:
            lock_handle.close()
            raise
        return cls(
            db=db,
            backend=IndexedPyEVMBackend(chain),
            chain_id=chain_id,
            lock_handle=lock_handle,
            view=view,
        )

    @property
    def backend(self) -> IndexedPyEVMBackend:
        """The eth-tester backend (for its ``index_hits`` counter and raw chain access)."""
        return self._backend

    @property
    def view(self) -> ChainView:
        """The read-only view the JSON-RPC endpoint reads through (never this chain's lock)."""
        return self._view

    @property
    def path(self) -> Path:
        """The SQLite file holding the chain."""
        return self._db.path

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._lock_handle is None

    def head(self) -> tuple[int, bytes, bytes]:
        """``(number, hash, state root)`` of the last mined block."""
        with self.lock:
            self._check_open()
            header = self._backend.chain.get_canonical_head()
            return header.block_number, header.hash, header.state_root

    def mine_empty_blocks(self, count: int) -> None:
        """Mine ``count`` blocks with no transactions (advances time for tests and demos)."""
        with self.lock:
            self._check_open()
            self.tester.mine_blocks(count)

    def close(self) -> None:
        """Close the view, checkpoint the SQLite WAL, close the database, release the lock."""
        # The view first: its read snapshot (a call in progress) would hold the checkpoint back.
        self._view.close()
        with self.lock:
            if self._lock_handle is None:
                return
            self._db.close()
            self._lock_handle.close()
            self._lock_handle = None

    def _check_open(self) -> None:
        if self._lock_handle is None:
            raise ChainClosedError("the embedded chain is closed")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _open_chain(db: SqliteChainDB, *, chain_id: int, fund: Sequence[str]) -> MiningChain:
    conn = db.connection
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    row = conn.execute("SELECT value FROM meta WHERE key = 'chain_id'").fetchone()
    if row is not None and int(row[0]) != chain_id:
        raise EmbeddedChainError(
            f"the chain in {db.path} has chain id {row[0]}, not the requested {chain_id}"
        )
    chain_class = _chain_class(chain_id)
    try:
        chain_class(db).get_canonical_head()
        exists = True
    except CanonicalHeadNotFound:
        exists = False
    if exists:
        chain = chain_class(db)
        state = chain.get_vm().state
        empty = [a for a in fund if state.get_balance(to_canonical_address(a)) == 0]
        if empty:
            raise ChainFundingError(
                "the embedded chain already exists and funds accounts only at genesis; "
                f"no balance for {', '.join(to_checksum_address(a) for a in empty)}"
            )
    else:
        genesis_state: dict[Address, Any] = {
            to_canonical_address(address): {
                "balance": GENESIS_BALANCE_WEI,
                "nonce": 0,
                "code": b"",
                "storage": {},
            }
            for address in fund
        }
        params = get_default_genesis_params({"timestamp": int(time.time())})
        chain = cast(MiningChain, chain_class.from_genesis(db, params, genesis_state))
    # Written after genesis so a crash before it leaves a data dir that simply starts afresh.
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('chain_id', ?)", (str(chain_id),))
    return cast(MiningChain, chain)
