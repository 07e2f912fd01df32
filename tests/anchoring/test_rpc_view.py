"""The JSON-RPC endpoint's limits and its read-only view of the embedded chain.

Calls are capped in gas (a looping call stops at the cap, an estimate searches below it and
within a budget), batches in length, and every request reads through :class:`ChainView`: never
under the lock the anchoring loop writes with, and the writer never waits for a call.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

import anchoring.embedded as embedded
from anchoring.embedded import EmbeddedChain
from anchoring.rpc import DEFAULT_LIMITS, INVALID_REQUEST, LIMIT_EXCEEDED, SERVER_ERROR, handle_rpc
from anchoring.rpc_limits import DEFAULT_GAS_CAP, RpcLimits
from anchoring.tree import MerkleTree

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = json.loads((ROOT / "anchoring" / "artifacts" / "TanjiAnchorRegistry.json").read_text())
#: Init code that never ends: JUMPDEST, PUSH1 0, JUMP (back to the JUMPDEST). An ``eth_call``
#: without ``to`` runs it as a contract creation would.
LOOP = "0x5b600056"
#: Leaves of the largest batch the registry makes (TANJI_BATCH_MAX_SIZE at most 100,000).
LARGEST_BATCH = 100_000
#: Long enough for anything that is not stuck; a stuck request fails the test instead.
DEADLINE = 60.0


@dataclass
class Deployed:
    chain: EmbeddedChain
    contract: Contract
    tree: MerkleTree
    leaves: list[bytes]


def _send(chain: EmbeddedChain, account: LocalAccount, tx: dict[str, Any]) -> Any:
    raw = account.sign_transaction(tx).raw_transaction
    receipt = chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(raw))
    assert receipt["status"] == 1
    return receipt


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    """The registry contract with the root of a largest-size batch anchored."""
    account = Account.create()
    with EmbeddedChain.open(tmp_path_factory.mktemp("view"), fund=[account.address]) as chain:
        factory = chain.w3.eth.contract(abi=ARTIFACT["abi"], bytecode=ARTIFACT["bytecode"])
        tx = factory.constructor(account.address).build_transaction(
            {"from": account.address, "nonce": 0}
        )
        address = _send(chain, account, tx)["contractAddress"]
        contract = chain.w3.eth.contract(address=address, abi=ARTIFACT["abi"])
        leaves = [os.urandom(32) for _ in range(LARGEST_BATCH)]
        tree = MerkleTree.from_leaf_hashes(leaves)
        tx = contract.functions.anchor(tree.root, LARGEST_BATCH, b"\x01" * 32).build_transaction(
            {"from": account.address, "nonce": 1}
        )
        _send(chain, account, tx)
        yield Deployed(chain, contract, tree, leaves)


def request(method: str, *params: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": [*params]}


def answer(chain: EmbeddedChain, payload: Any, limits: RpcLimits = DEFAULT_LIMITS) -> Any:
    response = handle_rpc(chain, payload, limits)
    assert isinstance(response, dict | list)
    return response


def result(chain: EmbeddedChain, method: str, *params: Any) -> Any:
    response = answer(chain, request(method, *params))
    assert "error" not in response, response
    return response["result"]


def error(chain: EmbeddedChain, payload: Any, limits: RpcLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    response = answer(chain, payload, limits)
    assert isinstance(response, dict) and "result" not in response, response
    return dict(response["error"])


def _check_call(d: Deployed, index: int = 12_345) -> dict[str, Any]:
    proof = d.tree.proof(index)
    data = d.contract.functions.check(
        d.tree.root, d.leaves[index], proof
    )._encode_transaction_data()
    return {"to": d.contract.address, "data": data}


def test_the_deepest_verifier_call_fits_the_default_cap(deployed: Deployed) -> None:
    call = _check_call(deployed)
    output = result(deployed.chain, "eth_call", call)
    anchored, included, active = (int(output[2 + 64 * i : 66 + 64 * i], 16) for i in range(3))
    assert (anchored, included, active) == (1, 1, 1)
    estimate = int(result(deployed.chain, "eth_estimateGas", call), 16)
    print(f"check() with a {len(deployed.tree.proof(12_345))}-deep proof: {estimate:,} gas")
    assert 21_000 < estimate < DEFAULT_GAS_CAP
    # The estimate is enough, and not far above what is needed (the search stops within
    # its budget of runs, erring high).
    assert result(deployed.chain, "eth_call", {**call, "gas": hex(estimate)}) == output
    short = error(deployed.chain, request("eth_call", {**call, "gas": hex(estimate * 9 // 10)}))
    assert short["code"] == SERVER_ERROR and "out of gas" in short["message"]


def _blake2f(rounds: int) -> dict[str, Any]:
    """A call of the blake2f precompile (address 9): one gas a round, plus 21,000 and calldata."""
    data = rounds.to_bytes(4, "big") + bytes(64 + 128 + 16) + b"\x01"
    return {"to": "0x" + "00" * 19 + "09", "data": "0x" + data.hex()}


def test_a_looping_call_stops_at_the_gas_cap(deployed: Deployed) -> None:
    chain = deployed.chain
    looped = error(chain, request("eth_call", {"data": LOOP}))
    assert looped["code"] == SERVER_ERROR
    assert looped["message"] == (
        f"out of gas (supplied gas {DEFAULT_GAS_CAP}, the gas cap of this endpoint)"
    )
    # Asking for the block's 30M gas gets the cap; asking for less gets what was asked.
    asked = error(chain, request("eth_call", {"data": LOOP, "gas": hex(30_000_000)}))
    assert asked == looped
    less = error(chain, request("eth_call", {"data": LOOP, "gas": hex(55_000)}))
    assert less["message"] == "out of gas (supplied gas 55000)"
    # The cap is the caller's to set.
    small = error(chain, request("eth_call", _blake2f(40_000)), RpcLimits(gas_cap=50_000))
    assert "supplied gas 50000, the gas cap" in small["message"]
    assert "result" in answer(chain, request("eth_call", _blake2f(30_000)))
    estimated = error(chain, request("eth_estimateGas", {"data": LOOP}))
    assert estimated["code"] == SERVER_ERROR
    assert estimated["message"] == (
        f"gas required exceeds allowance ({DEFAULT_GAS_CAP}, the gas cap of this endpoint)"
    )


def test_a_call_that_needs_more_than_the_cap_fails_where_the_chain_would_run_it(
    deployed: Deployed,
) -> None:
    call = _check_call(deployed)
    needed = int(result(deployed.chain, "eth_estimateGas", call), 16)
    low = RpcLimits(gas_cap=needed * 9 // 10)
    assert "gas cap" in error(deployed.chain, request("eth_call", call), low)["message"]
    # The anchoring side (the chain's own web3, not the endpoint) has no such cap.
    assert deployed.chain.w3.eth.call(call)  # type: ignore[arg-type]


def test_other_failures_are_clean_json_rpc_errors(deployed: Deployed) -> None:
    invalid = error(deployed.chain, request("eth_call", {"data": "0xfe"}))
    assert invalid["code"] == SERVER_ERROR
    assert invalid["message"].startswith("execution failed: ")
    underflow = error(deployed.chain, request("eth_estimateGas", {"data": "0x01"}))
    assert underflow["code"] == SERVER_ERROR and "execution failed" in underflow["message"]


def test_an_estimate_runs_at_most_twice_the_cap_in_total(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[int] = []
    run_at = embedded._run_at

    def counted(state: Any, transaction: Any, gas: int) -> tuple[Any, int, int]:
        outcome = run_at(state, transaction, gas)
        runs.append(outcome[1])
        return outcome

    monkeypatch.setattr(embedded, "_run_at", counted)
    # A call that needs almost all of the cap.
    rounds = DEFAULT_GAS_CAP - 21_000 - 3_000
    call = _blake2f(rounds)
    estimate = int(result(deployed.chain, "eth_estimateGas", call), 16)
    assert rounds + 21_000 < estimate <= DEFAULT_GAS_CAP
    assert sum(runs) <= embedded.ESTIMATE_BUDGET * DEFAULT_GAS_CAP, runs
    # A small call is narrowed down in a few runs.
    runs.clear()
    result(deployed.chain, "eth_estimateGas", _check_call(deployed))
    assert 2 <= len(runs) <= 4, runs


def test_batches_past_the_limit_are_refused_whole(deployed: Deployed) -> None:
    limits = RpcLimits(max_batch=3)
    batch = [{**request("eth_blockNumber"), "id": i} for i in range(4)]
    refused = error(deployed.chain, batch, limits)
    assert refused["code"] == INVALID_REQUEST and refused["data"] == {"maxBatch": 3}
    answered = answer(deployed.chain, batch[:3], limits)
    assert [a["id"] for a in answered] == [0, 1, 2]


def _in_thread(fn: Any, *args: Any) -> Any:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result(timeout=DEADLINE)


def test_requests_never_take_the_writers_lock(deployed: Deployed) -> None:
    chain = deployed.chain
    # Held as the anchoring loop holds it while it mines a block: every read still answers.
    with chain.lock:
        looped = _in_thread(handle_rpc, chain, request("eth_call", {"data": LOOP}))
        checked = _in_thread(handle_rpc, chain, request("eth_call", _check_call(deployed)))
        logs = _in_thread(handle_rpc, chain, request("eth_getLogs", {"fromBlock": "0x0"}))
        head = _in_thread(handle_rpc, chain, request("eth_getBlockByNumber", "latest", False))
    assert "out of gas" in looped["error"]["message"]
    assert "result" in checked and len(logs["result"]) >= 1
    assert int(head["result"]["number"], 16) == chain.head()[0]


def test_the_writer_never_waits_for_a_call(deployed: Deployed) -> None:
    chain = deployed.chain
    before = chain.head()[0]
    holding, release = threading.Event(), threading.Event()

    def long_call() -> None:
        with chain.view.reading(gas_cap=DEFAULT_GAS_CAP, wait_seconds=DEADLINE):
            holding.set()
            release.wait(DEADLINE)

    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(long_call)
        assert holding.wait(DEADLINE)
        try:
            # A call holds the view (and its read snapshot): the chain still mines and commits.
            _in_thread(chain.mine_empty_blocks, 2)
            assert chain.head()[0] == before + 2
            # Other requests wait for the view, up to their limit, then hear it is busy.
            busy = error(chain, request("eth_blockNumber"), RpcLimits(wait_seconds=0.05))
            assert busy["code"] == LIMIT_EXCEEDED and "busy" in busy["message"]
            # Methods that need no chain are not queued behind it.
            assert result(chain, "eth_chainId") == hex(chain.chain_id)
        finally:
            release.set()
            held.result(DEADLINE)
    # The next request sees the blocks mined meanwhile.
    assert int(result(chain, "eth_blockNumber"), 16) == before + 2


def test_the_view_cannot_write(deployed: Deployed) -> None:
    view_db = deployed.chain.view.backend.chain.chaindb.db
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        view_db[b"tanji-test"] = b"x"


def test_a_closed_chain_answers_an_error(tmp_path: Path) -> None:
    chain = EmbeddedChain.open(tmp_path)
    chain.close()
    closed = error(chain, request("eth_blockNumber"))
    assert closed["code"] == SERVER_ERROR and "closed" in closed["message"]
    # Reopening in the same process works: the view released its connection.
    with EmbeddedChain.open(tmp_path) as again:
        assert result(again, "eth_blockNumber") == "0x0"
