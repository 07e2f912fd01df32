"""The read-only JSON-RPC handler: wire encoding, refusals, malformed input, and real clients
(web3's HTTPProvider and ethers' JsonRpcProvider) over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, Web3RPCError

import anchoring.rpc as rpc
from anchoring.embedded import EmbeddedChain
from anchoring.rpc import handle_rpc, handle_rpc_body
from tests.nodes import require_tool

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT_PATH = ROOT / "anchoring" / "artifacts" / "TanjiAnchorRegistry.json"
ARTIFACT = json.loads(ARTIFACT_PATH.read_text())
QUANTITY = r"0x(0|[1-9a-f][0-9a-f]*)"


@dataclass
class Anchored:
    chain: EmbeddedChain
    account: LocalAccount
    contract: Contract
    roots: list[bytes]
    receipts: list[Any]


@pytest.fixture(scope="module")
def anchored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Anchored]:
    """An embedded chain with the registry deployed and two roots anchored."""
    account = Account.create()
    with EmbeddedChain.open(tmp_path_factory.mktemp("rpc"), fund=[account.address]) as chain:
        w3 = chain.w3
        factory = w3.eth.contract(abi=ARTIFACT["abi"], bytecode=ARTIFACT["bytecode"])
        tx = factory.constructor(account.address).build_transaction(
            {"from": account.address, "nonce": 0}
        )
        deployed = _send(w3, account, tx)
        contract = w3.eth.contract(address=deployed["contractAddress"], abi=ARTIFACT["abi"])
        roots = [os.urandom(32), os.urandom(32)]
        receipts = []
        for nonce, root in enumerate(roots, start=1):
            tx = contract.functions.anchor(root, 4, b"\x02" * 32).build_transaction(
                {"from": account.address, "nonce": nonce}
            )
            receipts.append(_send(w3, account, tx))
        yield Anchored(chain, account, contract, roots, receipts)


def _send(w3: Web3, account: LocalAccount, tx: dict[str, Any]) -> Any:
    raw = account.sign_transaction(tx).raw_transaction
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw))
    assert receipt["status"] == 1
    return receipt


def call(chain: EmbeddedChain, method: str, *params: Any) -> Any:
    """One request through the handler; returns ``result`` or fails with the error."""
    answer = handle_rpc(chain, {"jsonrpc": "2.0", "id": 7, "method": method, "params": [*params]})
    assert isinstance(answer, dict) and answer["id"] == 7 and answer["jsonrpc"] == "2.0"
    assert "error" not in answer, answer
    return answer["result"]


def error_of(chain: EmbeddedChain, request: Any) -> dict[str, Any]:
    answer = handle_rpc(chain, request)
    assert isinstance(answer, dict) and "result" not in answer, answer
    return dict(answer["error"])


def request(method: str, *params: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": [*params]}


def test_identity_methods(anchored: Anchored) -> None:
    chain = anchored.chain
    assert call(chain, "eth_chainId") == "0x4f10" == hex(20240)
    assert call(chain, "net_version") == "20240"
    assert call(chain, "web3_clientVersion").startswith("Tanji-embedded/")
    assert call(chain, "eth_syncing") is False
    assert call(chain, "eth_blockNumber") == hex(chain.w3.eth.block_number)
    assert int(call(chain, "eth_gasPrice"), 16) > 0
    assert call(chain, "eth_accounts") == []


def test_blocks_in_standard_encoding(anchored: Anchored) -> None:
    chain, receipt = anchored.chain, anchored.receipts[0]
    number = hex(receipt["blockNumber"])
    block = call(chain, "eth_getBlockByNumber", number, False)
    assert block["number"] == number
    assert block["hash"] == receipt["blockHash"].to_0x_hex()
    assert len(block["logsBloom"]) == 2 + 512
    assert block["nonce"] == "0x0000000000000000"
    for key in ("gasLimit", "gasUsed", "timestamp", "baseFeePerGas", "size"):
        assert __import__("re").fullmatch(QUANTITY, block[key]), (key, block[key])
    assert block["transactions"] == [receipt["transactionHash"].to_0x_hex()]
    assert call(chain, "eth_getBlockByHash", block["hash"], False) == block
    full = call(chain, "eth_getBlockByNumber", number, True)
    (tx,) = full["transactions"]
    assert tx["hash"] == block["transactions"][0] and tx["blockNumber"] == number
    assert call(chain, "eth_getBlockByNumber", "latest", False)["number"] == call(
        chain, "eth_blockNumber"
    )
    assert call(chain, "eth_getBlockByNumber", "finalized", False)["number"] == call(
        chain, "eth_blockNumber"
    )
    assert call(chain, "eth_getBlockByNumber", "earliest", False)["number"] == "0x0"
    assert call(chain, "eth_getBlockByNumber", "0xffff", False) is None
    assert call(chain, "eth_getBlockByHash", "0x" + "12" * 32, False) is None


def test_transaction_and_receipt(anchored: Anchored) -> None:
    chain, receipt = anchored.chain, anchored.receipts[1]
    tx_hash = receipt["transactionHash"].to_0x_hex()
    tx = call(chain, "eth_getTransactionByHash", tx_hash)
    assert tx["hash"] == tx_hash
    assert tx["from"].lower() == anchored.account.address.lower()
    assert tx["to"].lower() == anchored.contract.address.lower()
    assert tx["nonce"] == "0x2" and tx["type"] == "0x2" and tx["chainId"] == "0x4f10"
    selector = bytes(Web3.keccak(text="anchor(bytes32,uint64,bytes32)"))[:4]
    assert tx["input"].startswith("0x" + selector.hex())

    got = call(chain, "eth_getTransactionReceipt", tx_hash)
    assert got["status"] == "0x1"
    assert got["blockNumber"] == hex(receipt["blockNumber"])
    assert got["transactionIndex"] == "0x0"
    assert got["contractAddress"] is None
    assert "state_root" not in got
    (log,) = got["logs"]
    assert log["removed"] is False and "type" not in log
    assert log["topics"][1] == "0x" + anchored.roots[1].hex()
    assert log["logIndex"] == "0x0"
    # One transaction per block: the receipt's bloom is the block's bloom.
    block = call(chain, "eth_getBlockByNumber", got["blockNumber"], False)
    assert got["logsBloom"] == block["logsBloom"]
    assert int(got["logsBloom"], 16) != 0

    unknown = "0x" + "34" * 32
    assert call(chain, "eth_getTransactionByHash", unknown) is None
    assert call(chain, "eth_getTransactionReceipt", unknown) is None


def test_get_logs(anchored: Anchored, monkeypatch: pytest.MonkeyPatch) -> None:
    chain, contract = anchored.chain, anchored.contract
    topic0 = "0x" + bytes(Web3.keccak(text="RootAnchored(bytes32,bytes32,uint64,uint64)")).hex()
    every = call(chain, "eth_getLogs", {"fromBlock": "0x0", "address": contract.address})
    # The deployment's RoleGranted logs, then one RootAnchored per root.
    assert len(every) > 2 and every[0]["topics"][0] != topic0
    assert [log["topics"][1] for log in every if log["topics"][0] == topic0] == [
        "0x" + r.hex() for r in anchored.roots
    ]
    one_root = "0x" + anchored.roots[1].hex()
    only = call(
        chain,
        "eth_getLogs",
        {"fromBlock": "earliest", "toBlock": "latest", "topics": [topic0, one_root]},
    )
    assert [log["topics"][1] for log in only] == [one_root]
    either = call(
        chain, "eth_getLogs", {"fromBlock": "0x0", "topics": [None, [one_root, "0x" + "ee" * 32]]}
    )
    assert [log["topics"][1] for log in either] == [one_root]
    by_hash = call(
        chain, "eth_getLogs", {"blockHash": anchored.receipts[0]["blockHash"].to_0x_hex()}
    )
    assert [log["topics"][1] for log in by_hash] == ["0x" + anchored.roots[0].hex()]
    assert call(chain, "eth_getLogs", {"fromBlock": "0x100", "toBlock": "0x200"}) == []
    assert call(chain, "eth_getLogs", {"fromBlock": "0x0", "topics": ["0x" + "ee" * 32]}) == []
    other = "0x" + "77" * 20
    assert call(chain, "eth_getLogs", {"fromBlock": "0x0", "address": [other]}) == []
    both = call(chain, "eth_getLogs", {"fromBlock": "0x0", "address": [other, contract.address]})
    assert both == every
    monkeypatch.setattr(rpc, "MAX_LOG_BLOCK_RANGE", 2)
    assert error_of(chain, request("eth_getLogs", {"fromBlock": "0x0"}))["code"] == -32005


def test_eth_call_and_estimate_gas(anchored: Anchored) -> None:
    chain, contract = anchored.chain, anchored.contract
    data = contract.functions.anchorOf(anchored.roots[0])._encode_transaction_data()
    output = call(chain, "eth_call", {"to": contract.address, "data": data}, "latest")
    block_number = int(output[2:66], 16)
    assert block_number == anchored.receipts[0]["blockNumber"]
    # At a block before the anchor, the root is not there yet.
    before = hex(anchored.receipts[0]["blockNumber"] - 1)
    earlier = call(chain, "eth_call", {"to": contract.address, "input": data}, before)
    assert int(earlier[2:66], 16) == 0
    # A revert answers code 3 with the revert data (an unauthorised caller here).
    anchor_data = contract.functions.anchor(
        os.urandom(32), 1, b"\x00" * 32
    )._encode_transaction_data()
    reverted = error_of(chain, request("eth_call", {"to": contract.address, "data": anchor_data}))
    assert reverted["code"] == 3 and reverted["message"] == "execution reverted"
    selector = bytes(Web3.keccak(text="AccessControlUnauthorizedAccount(address,bytes32)"))[:4]
    assert reverted["data"].startswith("0x" + selector.hex())
    estimate = call(
        chain,
        "eth_estimateGas",
        {"from": anchored.account.address, "to": contract.address, "data": anchor_data},
    )
    assert 21_000 < int(estimate, 16) < 200_000


def test_account_reads(anchored: Anchored) -> None:
    chain, contract, account = anchored.chain, anchored.contract, anchored.account
    code = call(chain, "eth_getCode", contract.address, "latest")
    assert code == chain.w3.eth.get_code(contract.address).to_0x_hex() and len(code) > 100
    assert call(chain, "eth_getCode", contract.address, "0x0") == "0x"
    balance = call(chain, "eth_getBalance", account.address, "latest")
    assert int(balance, 16) == chain.w3.eth.get_balance(account.address)
    assert call(chain, "eth_getTransactionCount", account.address.lower()) == "0x3"
    slot = call(chain, "eth_getStorageAt", contract.address, "0x0", "latest")
    assert len(slot) == 66


def test_writes_and_unknown_methods_are_refused(anchored: Anchored) -> None:
    chain = anchored.chain
    head = chain.head()
    raw = "0x" + "00" * 100
    for method, params in (
        ("eth_sendRawTransaction", [raw]),
        ("eth_sendTransaction", [{"from": anchored.account.address}]),
        ("evm_mine", []),
    ):
        error = error_of(chain, request(method, *params))
        assert error["code"] == -32601 and "read-only" in error["message"], error
    error = error_of(chain, request("debug_traceTransaction", "0x" + "00" * 32))
    assert error == {"code": -32601, "message": "method not found: debug_traceTransaction"}
    assert chain.head() == head


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (42, -32600),
        ({"id": 1, "method": "eth_chainId"}, -32600),
        ({"jsonrpc": "1.0", "id": 1, "method": "eth_chainId"}, -32600),
        ({"jsonrpc": "2.0", "id": 1, "method": 5}, -32600),
        ({"jsonrpc": "2.0", "id": True, "method": "eth_chainId"}, -32600),
        ({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": {"a": 1}}, -32602),
        (request("eth_chainId", 1), -32602),
        (request("eth_getTransactionReceipt"), -32602),
        (request("eth_getTransactionReceipt", "0x1234"), -32602),
        (request("eth_getTransactionReceipt", 12), -32602),
        (request("eth_getBlockByNumber", "soon", False), -32602),
        (request("eth_getBlockByNumber", "0x1", "yes"), -32602),
        (
            request("eth_getBlockByNumber", {"blockNumber": "0x1", "blockHash": "0x" + "0" * 64}),
            -32602,
        ),
        (request("eth_getBalance", "0x1234", "latest"), -32602),
        (request("eth_call", "not an object"), -32602),
        (request("eth_call", {"to": "0x" + "11" * 20, "data": "0xabc"}), -32602),
        (request("eth_call", {"to": "0x" + "11" * 20, "gas": 5}), -32602),
        (request("eth_call", {"to": "0x" + "11" * 20}, "0xffffff"), -32000),
        (request("eth_getLogs", {"fromBlock": "0x0", "color": "red"}), -32602),
        (request("eth_getLogs", {"blockHash": "0x" + "00" * 32, "fromBlock": "0x0"}), -32602),
        (request("eth_getLogs", {"topics": ["0x12"]}), -32602),
        ([], -32600),
    ],
)
def test_malformed_requests_get_json_rpc_errors(
    anchored: Anchored, payload: Any, code: int
) -> None:
    error = error_of(anchored.chain, payload)
    assert error["code"] == code, error
    assert "Traceback" not in error["message"]


def test_batches_notifications_and_parse_errors(anchored: Anchored) -> None:
    chain = anchored.chain
    batch = [
        {"jsonrpc": "2.0", "id": "a", "method": "eth_chainId"},
        {"jsonrpc": "2.0", "method": "eth_blockNumber"},  # notification: no answer
        {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction", "params": ["0x00"]},
        "junk",
    ]
    answers = handle_rpc(chain, batch)
    assert isinstance(answers, list)
    assert [a["id"] for a in answers] == ["a", 2, None]
    assert answers[0]["result"] == "0x4f10"
    assert answers[1]["error"]["code"] == -32601
    assert answers[2]["error"]["code"] == -32600
    assert handle_rpc(chain, [{"jsonrpc": "2.0", "method": "eth_chainId"}]) is None
    assert handle_rpc(chain, {"jsonrpc": "2.0", "method": "eth_chainId"}) is None
    too_many = [request("eth_chainId")] * (rpc.MAX_BATCH + 1)
    assert error_of(chain, too_many)["code"] == -32600
    parse = handle_rpc_body(chain, b"{not json")
    assert isinstance(parse, dict) and parse["error"]["code"] == -32700 and parse["id"] is None
    assert handle_rpc_body(chain, b'{"jsonrpc":"2.0","id":3,"method":"net_version"}') == {
        "jsonrpc": "2.0",
        "id": 3,
        "result": "20240",
    }


# --- over real HTTP -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rpc_url(anchored: Anchored) -> Iterator[str]:
    """The handler served by a stdlib HTTP server on 127.0.0.1, as ``POST /rpc``."""
    chain = anchored.chain

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            answer = handle_rpc_body(chain, body) if self.path == "/rpc" else None
            if self.path != "/rpc":
                self.send_response(404)
                self.end_headers()
                return
            if answer is None:
                self.send_response(204)
                self.end_headers()
                return
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/rpc"
    finally:
        server.shutdown()
        server.server_close()


def test_web3_http_provider_reads_an_anchored_root(anchored: Anchored, rpc_url: str) -> None:
    w3 = Web3(Web3.HTTPProvider(rpc_url))
    assert w3.is_connected()
    assert w3.eth.chain_id == 20240
    assert w3.eth.block_number == anchored.chain.w3.eth.block_number
    contract = w3.eth.contract(address=anchored.contract.address, abi=ARTIFACT["abi"])
    for root, receipt in zip(anchored.roots, anchored.receipts, strict=True):
        block_number, timestamp, record_count, revoked = contract.functions.anchorOf(root).call()
        assert (block_number, record_count, revoked) == (receipt["blockNumber"], 4, 0)
        assert timestamp == w3.eth.get_block(block_number)["timestamp"]
        got = w3.eth.get_transaction_receipt(receipt["transactionHash"])
        assert got["blockHash"] == receipt["blockHash"] and got["status"] == 1
        assert (
            w3.eth.get_transaction(receipt["transactionHash"])["from"] == anchored.account.address
        )
    events = contract.events.RootAnchored().get_logs(from_block=0)
    assert [bytes(e["args"]["root"]) for e in events] == anchored.roots
    with pytest.raises(ContractCustomError):
        contract.functions.anchor(anchored.roots[0], 1, b"\x00" * 32).call()
    with pytest.raises(Web3RPCError, match="read-only"):
        w3.eth.send_raw_transaction("0x" + "00" * 50)


_ETHERS_SCRIPT = """
const { JsonRpcProvider, Contract } = require("ethers");
const [url, address, root, txHash, artifactPath] = process.argv.slice(1);
(async () => {
  const provider = new JsonRpcProvider(url);
  const network = await provider.getNetwork();
  const receipt = await provider.getTransactionReceipt(txHash);
  const tx = await provider.getTransaction(txHash);
  const block = await provider.getBlock(receipt.blockNumber, true);
  const contract = new Contract(address, require(artifactPath).abi, provider);
  const anchor = await contract.anchorOf(root);
  const logs = await contract.queryFilter(contract.filters.RootAnchored(root), 0, "latest");
  let revert = null;
  try {
    await contract.anchor.staticCall(root, 1, root);
  } catch (e) {
    revert = e.revert ? e.revert.name : String(e);
  }
  const fees = await provider.getFeeData();
  console.log(JSON.stringify({
    chainId: network.chainId.toString(), status: receipt.status, block: receipt.blockNumber,
    logs: receipt.logs.length, from: tx.from, blockHash: block.hash,
    anchoredAt: anchor[0].toString(),
    filtered: logs.length, revert, gasPrice: fees.gasPrice.toString(),
  }));
  provider.destroy();
})().catch((e) => { console.error(e); process.exit(1); });
"""


def test_ethers_json_rpc_provider_reads_an_anchored_root(anchored: Anchored, rpc_url: str) -> None:
    require_tool("node")
    receipt = anchored.receipts[0]
    result = subprocess.run(
        [
            "node",
            "-e",
            _ETHERS_SCRIPT,
            rpc_url,
            anchored.contract.address,
            "0x" + anchored.roots[0].hex(),
            receipt["transactionHash"].to_0x_hex(),
            str(ARTIFACT_PATH),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["chainId"] == "20240"
    assert (seen["status"], seen["block"], seen["logs"]) == (1, receipt["blockNumber"], 1)
    assert seen["from"] == anchored.account.address
    assert seen["blockHash"] == receipt["blockHash"].to_0x_hex()
    assert seen["anchoredAt"] == str(receipt["blockNumber"])
    assert seen["filtered"] == 1
    assert seen["revert"] == "AccessControlUnauthorizedAccount"
    assert int(seen["gasPrice"]) > 0
