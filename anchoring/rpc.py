"""A read-only Ethereum JSON-RPC 2.0 endpoint over the embedded chain.

``tanji serve`` mounts :func:`handle_rpc_body` at ``POST /rpc`` so that standard tools — web3's
``HTTPProvider``, ethers' ``JsonRpcProvider``, ``tanji verify --rpc-url`` — can check labels
against the embedded chain. Answers use the standard wire encoding (quantities as ``0x``-hex
without leading zeros, data as ``0x``-hex bytes), as geth and Hardhat send them.

Only reading methods are served (:data:`READ_METHODS`); nothing here can change the chain.
Sending transactions, signing, filters and any unknown method answer ``-32601``. Malformed
requests answer ``-32600`` (not a request), ``-32602`` (bad params) or ``-32700`` (not JSON);
a revert in ``eth_call`` / ``eth_estimateGas`` answers ``3`` with the revert data, as geth does.
Unexpected failures answer ``-32603`` without internals; no traceback ever leaves this module.

Requests read the chain through its read-only view (:class:`anchoring.embedded.ChainView`), one
at a time and never under the lock the anchoring thread writes with: the handler may be called
from many HTTP worker threads while the anchoring thread writes, and no call can hold it up.

Limits (:class:`anchoring.rpc_limits.RpcLimits`, where the defaults are measured and argued):

- ``eth_call`` runs with at most ``gas_cap`` gas (all of it when the call names none, as geth's
  ``RPCGasCap``); running out answers ``-32000`` "out of gas (supplied gas N, the gas cap of
  this endpoint)". ``eth_estimateGas`` searches below the cap ("gas required exceeds allowance
  (N...)" past it) and runs the call with at most twice the cap in total. Other failures of
  the EVM answer ``-32000`` "execution failed: ...".
- A batch of more than ``max_batch`` requests is refused whole: one ``-32600`` error whose
  ``data`` is ``{"maxBatch": N}``.
- A request waits at most ``wait_seconds`` for the view while other calls run, then answers
  ``-32005`` (server busy). Methods that need no chain (chain id, client version) never wait.

Requests per client are limited by the HTTP route (``registry.api.routes.rpc``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, Final, cast

from eth_bloom import BloomFilter
from eth_tester.exceptions import BlockNotFound as TesterBlockNotFound
from eth_tester.exceptions import ValidationError as TesterValidationError
from eth_typing import BlockNumber, ChecksumAddress, HexStr
from eth_utils import is_hex_address, to_checksum_address
from eth_utils.exceptions import ValidationError as EthValidationError
from web3.exceptions import BlockNotFound, ContractLogicError, TransactionNotFound
from web3.types import BlockIdentifier

from anchoring.embedded import (
    CLIENT_VERSION,
    CallFailed,
    CallOutOfGas,
    ChainBusyError,
    ChainClosedError,
    ChainView,
    EmbeddedChain,
)
from anchoring.rpc_limits import DEFAULT_MAX_BATCH, RpcLimits

logger = logging.getLogger(__name__)

JSONRPC_VERSION: Final = "2.0"
#: Most requests one batch may hold unless :class:`RpcLimits` says otherwise.
MAX_BATCH: Final = DEFAULT_MAX_BATCH
#: The limits of a request when the caller names none.
DEFAULT_LIMITS: Final = RpcLimits()
#: Widest ``eth_getLogs`` block range (every header in the range is read: ~1.5 s for the widest).
MAX_LOG_BLOCK_RANGE: Final = 20_000

PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
INTERNAL_ERROR: Final = -32603
#: Server errors, in the ranges geth and Infura use.
SERVER_ERROR: Final = -32000
LIMIT_EXCEEDED: Final = -32005
EXECUTION_REVERTED: Final = 3

_BLOCK_TAGS: Final = frozenset({"latest", "earliest", "pending", "safe", "finalized"})
# Leading zeros are accepted (as geth does); the value must fit 256 bits.
_QUANTITY = re.compile(r"0x[0-9a-fA-F]{1,64}")
_DATA = re.compile(r"0x([0-9a-fA-F]{2})*")
_HASH32 = re.compile(r"0x[0-9a-fA-F]{64}")
_BLOOM_BYTES: Final = 256

#: Methods that would change the chain or need a key: named in the error so callers see why.
WRITE_METHODS: Final = frozenset(
    {
        "eth_sendTransaction",
        "eth_sendRawTransaction",
        "eth_sign",
        "eth_signTransaction",
        "eth_signTypedData",
        "eth_signTypedData_v4",
        "personal_sign",
        "eth_newFilter",
        "eth_newBlockFilter",
        "eth_newPendingTransactionFilter",
        "eth_uninstallFilter",
        "evm_mine",
        "evm_snapshot",
        "evm_revert",
    }
)


class RpcError(Exception):
    """A JSON-RPC error answer: ``code``, ``message`` and optional ``data``."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        """The ``error`` member of a response."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


# --- parameters -----------------------------------------------------------------------------


def _bad(message: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"invalid params: {message}")


def _positional(params: list[Any], name: str, required: int, optional: int = 0) -> list[Any]:
    if not required <= len(params) <= required + optional:
        count = str(required) if not optional else f"{required} to {required + optional}"
        raise _bad(f"{name} takes {count} parameter(s), got {len(params)}")
    return params + [None] * (required + optional - len(params))


def _quantity(value: Any, field: str) -> int:
    if not isinstance(value, str) or not _QUANTITY.fullmatch(value):
        raise _bad(f"{field} must be a hex quantity such as 0x1a, got {value!r}")
    return int(value, 16)


def _hash32(value: Any, field: str) -> HexStr:
    if not isinstance(value, str) or not _HASH32.fullmatch(value):
        raise _bad(f"{field} must be a 32-byte hex string, got {value!r}")
    return HexStr(value.lower())


def _address(value: Any, field: str) -> ChecksumAddress:
    if not isinstance(value, str) or not is_hex_address(value):
        raise _bad(f"{field} must be a 20-byte hex address, got {value!r}")
    return to_checksum_address(value)


def _data(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _DATA.fullmatch(value):
        raise _bad(f"{field} must be 0x-prefixed hex bytes")
    return value.lower()


def _bool(value: Any, field: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _bad(f"{field} must be true or false, got {value!r}")
    return value


def _block_id(chain: ChainView, value: Any, field: str = "block") -> BlockIdentifier:
    """A block tag, hex number or EIP-1898 ``{"blockNumber"|"blockHash": ...}`` object."""
    if value is None:
        return "latest"
    if isinstance(value, str) and value in _BLOCK_TAGS:
        # One node that mines each block final: "safe" and "finalized" are the head.
        return cast(BlockIdentifier, "latest" if value in ("safe", "finalized") else value)
    if isinstance(value, dict):
        if set(value) - {"blockNumber", "blockHash", "requireCanonical"}:
            raise _bad(f"{field}: unknown member in {sorted(value)}")
        if "blockNumber" in value and "blockHash" not in value:
            return _block_id(chain, value["blockNumber"], field)
        if "blockHash" in value and "blockNumber" not in value:
            block_hash = _hash32(value["blockHash"], f"{field}.blockHash")
            try:
                return int(chain.w3.eth.get_block(block_hash)["number"])
            except BlockNotFound:
                raise RpcError(SERVER_ERROR, f"header not found: {block_hash}") from None
        raise _bad(f"{field} must name exactly one of blockNumber and blockHash")
    return _quantity(value, field)


_CALL_QUANTITIES: Final = ("gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "value")


def _call_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad("the call object must be a JSON object")
    call: dict[str, Any] = {}
    for key in ("from", "to"):
        if value.get(key) is not None:
            call[key] = _address(value[key], f"call.{key}")
    for key in _CALL_QUANTITIES:
        if value.get(key) is not None:
            call[key] = _quantity(value[key], f"call.{key}")
    data, input_ = value.get("data"), value.get("input")
    if data is not None and input_ is not None and data.lower() != str(input_).lower():
        raise _bad("call.data and call.input differ")
    payload = input_ if input_ is not None else data
    if payload is not None:
        call["data"] = _data(payload, "call.input" if input_ is not None else "call.data")
    return call


def _log_range(chain: ChainView, value: dict[str, Any]) -> tuple[int, int]:
    """The filter's first and last block as numbers (tags resolved against the head)."""
    head = int(chain.w3.eth.block_number)
    if value.get("blockHash") is not None:
        if value.get("fromBlock") is not None or value.get("toBlock") is not None:
            raise _bad("blockHash cannot be combined with fromBlock/toBlock")
        start = end = _block_id(chain, {"blockHash": value["blockHash"]}, "blockHash")
    else:
        start = _block_id(chain, value.get("fromBlock"), "fromBlock")
        end = _block_id(chain, value.get("toBlock"), "toBlock")
    # eth-tester's filters treat tags oddly ("earliest" matches pending logs): resolve to numbers.
    first = start if isinstance(start, int) else (0 if start == "earliest" else head)
    last = min(end if isinstance(end, int) else (0 if end == "earliest" else head), head)
    return first, last


def _log_topics(topics: Any) -> list[Any]:
    """Up to 4 topic positions: each None (any), one 32-byte hash, or a list of them (any of)."""
    if not isinstance(topics, list) or len(topics) > 4:
        raise _bad("topics must be a list of at most 4 entries")
    parsed: list[Any] = []
    for i, topic in enumerate(topics):
        if topic is None:
            parsed.append(None)
        elif isinstance(topic, list):
            parsed.append([_hash32(t, f"topics[{i}]") for t in topic])
        else:
            parsed.append(_hash32(topic, f"topics[{i}]"))
    return parsed


def _log_filter(chain: ChainView, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad("the log filter must be a JSON object")
    unknown = set(value) - {"fromBlock", "toBlock", "address", "topics", "blockHash"}
    if unknown:
        raise _bad(f"unknown log filter member(s) {sorted(unknown)}")
    first, last = _log_range(chain, value)
    if first > last:
        return {"empty": True}
    if last - first + 1 > MAX_LOG_BLOCK_RANGE:
        raise RpcError(
            LIMIT_EXCEEDED, f"block range too large: at most {MAX_LOG_BLOCK_RANGE} blocks per query"
        )
    params: dict[str, Any] = {"fromBlock": first, "toBlock": last}
    address = value.get("address")
    if isinstance(address, list):
        params["address"] = [_address(a, "address") for a in address]
    elif address is not None:
        params["address"] = _address(address, "address")
    if value.get("topics") is not None:
        params["topics"] = _log_topics(value["topics"])
    return params


# --- results --------------------------------------------------------------------------------


def _encode(value: Any, key: str = "") -> Any:
    """web3's Python values → JSON-RPC wire values (quantities and data as 0x-hex)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if key == "logsBloom":
            return "0x" + value.to_bytes(_BLOOM_BYTES, "big").hex()
        return hex(value)
    if isinstance(value, bytes | bytearray):
        if key == "logsBloom":
            return "0x" + bytes(value).rjust(_BLOOM_BYTES, b"\0").hex()
        return "0x" + bytes(value).hex()
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {k: _encode(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    raise TypeError(f"cannot encode {type(value).__name__} for JSON-RPC")


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def _camel_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_camel(k): _camel_keys(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_camel_keys(v) for v in value]
    return value


def _encode_transaction(tx: Mapping[str, Any]) -> dict[str, Any]:
    # web3 renames the top-level keys of a transaction from eth-tester, not those of the
    # transactions inside a full block nor ``y_parity``: give every one the wire names.
    renamed: dict[str, Any] = _camel_keys(tx)
    if "data" in renamed:
        renamed.setdefault("input", renamed["data"])
        del renamed["data"]
    return {k: _encode(v, k) for k, v in renamed.items()}


def _encode_block(block: Mapping[str, Any]) -> dict[str, Any]:
    encoded = {k: _encode(v, k) for k, v in block.items() if k != "transactions"}
    encoded["transactions"] = [
        _encode_transaction(tx) if isinstance(tx, Mapping) else _encode(tx)
        for tx in block.get("transactions", [])
    ]
    return encoded


def _encode_log(log: Mapping[str, Any]) -> dict[str, Any]:
    # eth-tester marks logs "type": "mined"; nodes send "removed" instead.
    encoded = {k: _encode(v, k) for k, v in log.items() if k != "type"}
    encoded.setdefault("removed", False)
    return encoded


def _encode_receipt(receipt: Mapping[str, Any]) -> dict[str, Any]:
    # eth-tester leaves a snake_case pre-Byzantium "state_root" and no logsBloom; nodes send
    # logsBloom (ethers requires it) and, post-Byzantium, no state root.
    encoded = {k: _encode(v, k) for k, v in receipt.items() if k not in ("state_root", "logs")}
    logs = list(receipt.get("logs", []))
    encoded["logs"] = [_encode_log(log) for log in logs]
    if "logsBloom" not in encoded:
        bloom = BloomFilter()
        for log in logs:
            bloom.add(bytes.fromhex(log["address"][2:]))
            for topic in log["topics"]:
                bloom.add(bytes(topic))
        encoded["logsBloom"] = _encode(int(bloom), "logsBloom")
    return encoded


# --- methods --------------------------------------------------------------------------------

Method = Callable[[ChainView, list[Any]], Any]


def _no_params(result: Callable[[ChainView], Any], name: str) -> Method:
    def method(chain: ChainView, params: list[Any]) -> Any:
        _positional(params, name, 0)
        return result(chain)

    return method


def _get_block_by_number(chain: ChainView, params: list[Any]) -> Any:
    block, full = _positional(params, "eth_getBlockByNumber", 1, 1)
    block_id = _block_id(chain, block)
    try:
        return _encode_block(chain.w3.eth.get_block(block_id, _bool(full, "full")))
    except BlockNotFound:
        return None


def _get_block_by_hash(chain: ChainView, params: list[Any]) -> Any:
    block_hash, full = _positional(params, "eth_getBlockByHash", 1, 1)
    block_hash = _hash32(block_hash, "blockHash")
    try:
        return _encode_block(chain.w3.eth.get_block(block_hash, _bool(full, "full")))
    except BlockNotFound:
        return None


def _get_transaction(chain: ChainView, params: list[Any]) -> Any:
    (tx_hash,) = _positional(params, "eth_getTransactionByHash", 1)
    try:
        tx = chain.w3.eth.get_transaction(_hash32(tx_hash, "transactionHash"))
    except TransactionNotFound:
        return None
    return _encode_transaction(tx)


def _get_receipt(chain: ChainView, params: list[Any]) -> Any:
    (tx_hash,) = _positional(params, "eth_getTransactionReceipt", 1)
    try:
        receipt = chain.w3.eth.get_transaction_receipt(_hash32(tx_hash, "transactionHash"))
    except TransactionNotFound:
        return None
    return _encode_receipt(receipt)


def _get_logs(chain: ChainView, params: list[Any]) -> Any:
    (log_filter,) = _positional(params, "eth_getLogs", 1)
    parsed = _log_filter(chain, log_filter)
    if parsed.get("empty"):
        return []
    # eth-tester reads every receipt of every block in the range; read only the headers and
    # ask it for the blocks whose logs bloom may hold a match.
    evm_chain = chain.backend.chain
    logs = []
    for number in range(parsed["fromBlock"], parsed["toBlock"] + 1):
        header = evm_chain.get_canonical_block_header_by_number(BlockNumber(number))
        if _bloom_may_match(BloomFilter(header.bloom), parsed):
            block_filter = {**parsed, "fromBlock": number, "toBlock": number}
            logs.extend(chain.w3.eth.get_logs(block_filter))  # type: ignore[arg-type]
    return [_encode_log(log) for log in logs]


def _bloom_may_match(bloom: BloomFilter, parsed: Mapping[str, Any]) -> bool:
    """False when the block's logs bloom proves no log in it matches the filter."""
    address = parsed.get("address")
    if address is not None:
        addresses = address if isinstance(address, list) else [address]
        if not any(bytes.fromhex(a[2:]) in bloom for a in addresses):
            return False
    for topic in parsed.get("topics") or []:
        alternatives = topic if isinstance(topic, list) else [topic] if topic else []
        if alternatives and not any(bytes.fromhex(t[2:]) in bloom for t in alternatives):
            return False
    return True


def _call(chain: ChainView, params: list[Any]) -> Any:
    call, block = _positional(params, "eth_call", 1, 1)
    return _encode(chain.w3.eth.call(_call_object(call), _block_id(chain, block)))  # type: ignore[arg-type]


def _estimate_gas(chain: ChainView, params: list[Any]) -> Any:
    call, block = _positional(params, "eth_estimateGas", 1, 1)
    return _encode(chain.w3.eth.estimate_gas(_call_object(call), _block_id(chain, block)))  # type: ignore[arg-type]


def _account_read(
    name: str, read: Callable[[ChainView, ChecksumAddress, BlockIdentifier], Any]
) -> Method:
    def method(chain: ChainView, params: list[Any]) -> Any:
        address, block = _positional(params, name, 1, 1)
        return _encode(read(chain, _address(address, "address"), _block_id(chain, block)))

    return method


def _get_storage_at(chain: ChainView, params: list[Any]) -> Any:
    address, slot, block = _positional(params, "eth_getStorageAt", 2, 1)
    value = chain.w3.eth.get_storage_at(
        _address(address, "address"), _quantity(slot, "slot"), _block_id(chain, block)
    )
    return "0x" + bytes(value).rjust(32, b"\0").hex()


#: The methods served, by JSON-RPC name.
READ_METHODS: Final[dict[str, Method]] = {
    "eth_chainId": _no_params(lambda c: hex(c.chain_id), "eth_chainId"),
    "net_version": _no_params(lambda c: str(c.chain_id), "net_version"),
    "net_listening": _no_params(lambda c: True, "net_listening"),
    "web3_clientVersion": _no_params(lambda c: CLIENT_VERSION, "web3_clientVersion"),
    "eth_blockNumber": _no_params(lambda c: hex(c.w3.eth.block_number), "eth_blockNumber"),
    "eth_syncing": _no_params(lambda c: False, "eth_syncing"),
    "eth_gasPrice": _no_params(lambda c: hex(c.w3.eth.gas_price), "eth_gasPrice"),
    "eth_maxPriorityFeePerGas": _no_params(
        lambda c: hex(c.w3.eth.max_priority_fee), "eth_maxPriorityFeePerGas"
    ),
    "eth_accounts": _no_params(lambda c: [], "eth_accounts"),
    "eth_getBlockByNumber": _get_block_by_number,
    "eth_getBlockByHash": _get_block_by_hash,
    "eth_getTransactionByHash": _get_transaction,
    "eth_getTransactionReceipt": _get_receipt,
    "eth_getLogs": _get_logs,
    "eth_call": _call,
    "eth_estimateGas": _estimate_gas,
    "eth_getCode": _account_read("eth_getCode", lambda c, a, b: c.w3.eth.get_code(a, b)),
    "eth_getBalance": _account_read("eth_getBalance", lambda c, a, b: c.w3.eth.get_balance(a, b)),
    "eth_getTransactionCount": _account_read(
        "eth_getTransactionCount", lambda c, a, b: c.w3.eth.get_transaction_count(a, b)
    ),
    "eth_getStorageAt": _get_storage_at,
}

#: Methods answered without reading the chain (not queued behind calls on the view).
CONSTANT_METHODS: Final = frozenset(
    {"eth_chainId", "net_version", "net_listening", "web3_clientVersion", "eth_syncing"}
    | {"eth_accounts"}
)


# --- dispatch -------------------------------------------------------------------------------


def _response(request_id: Any, *, result: Any = None, error: RpcError | None = None) -> dict:
    response: dict[str, Any] = {"jsonrpc": JSONRPC_VERSION, "id": request_id}
    if error is not None:
        response["error"] = error.to_json()
    else:
        response["result"] = result
    return response


def _handler(method: str) -> Method:
    """The read method's handler; a write method or an unknown one is ``method not found``."""
    handler = READ_METHODS.get(method)
    if handler is not None:
        return handler
    if method in WRITE_METHODS:
        raise RpcError(
            METHOD_NOT_FOUND,
            f"method not found: {method} (this endpoint is read-only; "
            "transactions reach the embedded chain only through the registry)",
        )
    raise RpcError(METHOD_NOT_FOUND, f"method not found: {method}")


def _run(chain: EmbeddedChain, method: str, params: list[Any], limits: RpcLimits) -> Any:
    handler = _handler(method)
    view = chain.view
    try:
        if method in CONSTANT_METHODS:
            return handler(view, params)
        # The view, not the chain: a request never takes the lock the anchoring loop writes
        # under, and at most one request reads at a time (see anchoring.embedded).
        with view.reading(gas_cap=limits.gas_cap, wait_seconds=limits.wait_seconds):
            return handler(view, params)
    except RpcError:
        raise
    except CallOutOfGas as out_of_gas:
        raise RpcError(SERVER_ERROR, str(out_of_gas)) from None
    except CallFailed as failed:
        raise RpcError(SERVER_ERROR, str(failed)) from None
    except ChainBusyError:
        raise RpcError(
            LIMIT_EXCEEDED,
            f"server busy: other calls held the chain for {limits.wait_seconds:g} s; retry later",
        ) from None
    except ContractLogicError as reverted:
        data = reverted.data if isinstance(reverted.data, str) else None
        # web3 puts the raw data in a custom error's message; clients (ethers) look for
        # "revert" in the message and the data in ``data``, as geth sends them.
        message = str(reverted.message or "")
        if not message.startswith("execution reverted"):
            message = "execution reverted"
        raise RpcError(EXECUTION_REVERTED, message, data) from None
    except (BlockNotFound, TesterBlockNotFound):
        raise RpcError(SERVER_ERROR, "header not found") from None
    except (TesterValidationError, EthValidationError) as invalid:
        raise _bad(str(invalid)) from None
    except ChainClosedError:
        raise RpcError(SERVER_ERROR, "the embedded chain is closed") from None


def _handle_one(chain: EmbeddedChain, request: Any, limits: RpcLimits) -> dict | None:
    if not isinstance(request, dict):
        return _response(None, error=RpcError(INVALID_REQUEST, "invalid request: not an object"))
    request_id = request.get("id")
    if request_id is not None and (
        isinstance(request_id, bool) or not isinstance(request_id, str | int | float)
    ):
        return _response(None, error=RpcError(INVALID_REQUEST, "invalid request: bad id"))
    method = request.get("method")
    if request.get("jsonrpc") != JSONRPC_VERSION or not isinstance(method, str):
        error = RpcError(INVALID_REQUEST, 'invalid request: needs "jsonrpc": "2.0" and a method')
        return _response(request_id, error=error)
    params = request.get("params", [])
    if not isinstance(params, list):
        error = _bad("params must be an array (by-name params are not supported)")
        return _response(request_id, error=error)
    if "id" not in request:
        # A notification: the reply is suppressed, and reading has no effect worth running.
        return None
    try:
        return _response(request_id, result=_run(chain, method, params, limits))
    except RpcError as error:
        return _response(request_id, error=error)
    except Exception:
        logger.exception("JSON-RPC %s failed", method)
        return _response(request_id, error=RpcError(INTERNAL_ERROR, "internal error"))


def handle_rpc(
    chain: EmbeddedChain, request: Any, limits: RpcLimits = DEFAULT_LIMITS
) -> dict | list | None:
    """Answer one JSON-RPC 2.0 request object or a batch (a list of them) within ``limits``.

    Returns the response object, the list of responses for a batch, or ``None`` when nothing
    must be sent back (a notification, or a batch of notifications only: HTTP 204). A batch of
    more than ``limits.max_batch`` requests is refused whole, with one ``-32600`` error.
    """
    if isinstance(request, list):
        if not request:
            return _response(None, error=RpcError(INVALID_REQUEST, "invalid request: empty batch"))
        if len(request) > limits.max_batch:
            error = RpcError(
                INVALID_REQUEST,
                f"invalid request: batch of {len(request)} requests; "
                f"this endpoint answers at most {limits.max_batch} per batch",
                {"maxBatch": limits.max_batch},
            )
            return _response(None, error=error)
        answers = (_handle_one(chain, item, limits) for item in request)
        responses = [r for r in answers if r is not None]
        return responses or None
    return _handle_one(chain, request, limits)


def handle_rpc_body(
    chain: EmbeddedChain,
    body: bytes | str,
    limits: RpcLimits = DEFAULT_LIMITS,
    admit: Callable[[Any], None] | None = None,
) -> dict | list | None:
    """Parse an HTTP request body as JSON and answer it (``-32700`` when it is not JSON).

    ``admit``, when given, sees the parsed request before it is answered and may refuse it by
    raising (the HTTP route charges a batch's calls to the client's rate limit so).
    """
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _response(None, error=RpcError(PARSE_ERROR, "parse error: body is not JSON"))
    if admit is not None:
        admit(request)
    return handle_rpc(chain, request, limits)
