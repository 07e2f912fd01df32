"""AnchorClient against real nodes: one test class, run on the embedded chain and on Hardhat.

The pattern of web3.py's ``web3/_utils/module_testing``: :class:`ChainClientTests` holds the tests
and asks for a ``node`` fixture; each subclass binds ``node`` to one kind of chain.
"""

from __future__ import annotations

import secrets

import pytest
from eth_account import Account
from web3 import Web3

from anchoring.client import AnchorClient, AnchorInfo, SignedTx
from anchoring.errors import (
    AnchoringError,
    ChainTimeoutError,
    ChainUnavailableError,
    ContractRevertError,
    EmptyBatchError,
    InvalidProofError,
    InvalidReasonError,
    LeafAlreadyRevokedError,
    NonceConsumedError,
    RootAlreadyAnchoredError,
    RootAlreadyRevokedError,
    RootNotAnchoredError,
    UnauthorizedError,
    ZeroRootError,
)
from anchoring.tree import MerkleTree
from tests.anchoring.conftest import ChainNode, random_root
from tests.nodes import free_port
from verifier.protocol.leaf import LEAF_ENCODING
from verifier.protocol.merkle import verify_proof

VALUES = [["label", f"L-{i}", "0x" + bytes([i]).hex() * 32] for i in range(1, 6)]


def test_errors_share_one_root() -> None:
    for cls in (RootAlreadyAnchoredError, UnauthorizedError, ChainTimeoutError):
        assert issubclass(cls, AnchoringError)
    assert issubclass(ChainTimeoutError, TimeoutError)
    assert issubclass(InvalidProofError, ContractRevertError)


def test_node_that_never_answers_names_the_call_and_the_limit_without_credentials() -> None:
    import socket

    account = Account.from_key("0x" + "11" * 32)
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        url = f"http://ops:s3cret@127.0.0.1:{port}/?apikey=k3y"
        provider = Web3.HTTPProvider(
            url, request_kwargs={"timeout": 0.5}, exception_retry_configuration=None
        )
        client = AnchorClient(Web3(provider), "0x" + "11" * 20, account)
        shown = f"chain node http://127.0.0.1:{port}/ did not answer"
        # web3's validation middleware asks eth_chainId before an eth_call: that is the request
        # left unanswered, and the message names it with the contract call it was made for.
        for call, named in (
            (lambda: client.anchor_of(random_root()), "eth_chainId (anchorOf(root))"),
            (lambda: client.chain_id, "eth_chainId"),
            (
                lambda: client.sign_anchor(random_root(), 1, bytes(32)),
                "eth_getTransactionCount (signing anchor)",
            ),
        ):
            with pytest.raises(ChainUnavailableError) as info:
                call()
            message = str(info.value)
            assert message == f"{shown} {named} within 0.5 s (timed out: ReadTimeout)"
            assert not any(secret in message for secret in ("ops", "s3cret", "k3y"))
        # web3's default provider retries read methods; the message says so.
        retrying = AnchorClient(
            Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 0.2})), "0x" + "11" * 20, account
        )
        with pytest.raises(ChainUnavailableError) as info:
            retrying.leaf_revoked_reason(random_root(), random_root())
        assert (
            "eth_chainId (leafRevokedReason(root, leaf)) within 0.2 s per attempt, 5 attempts"
            in str(info.value)
        )


def test_refused_connection_names_the_call_without_credentials() -> None:
    port = free_port()
    w3 = Web3(Web3.HTTPProvider(f"http://ops:s3cret@127.0.0.1:{port}/rpc?apikey=k3y"))
    client = AnchorClient(w3, "0x" + "11" * 20, Account.from_key("0x" + "11" * 32))
    with pytest.raises(ChainUnavailableError) as info:
        client.check(random_root(), random_root(), [])
    assert str(info.value) == (
        f"chain node http://127.0.0.1:{port}/rpc is unreachable "
        "(eth_chainId (check(root, leaf, proof))): ConnectionError"
    )


class ChainClientTests:
    """The client's behaviour on any node; subclasses provide the ``node`` fixture."""

    @pytest.fixture
    def client(self, node: ChainNode) -> AnchorClient:
        return AnchorClient.deploy(node.w3, node.anchorer, receipt_timeout=30)

    def test_deploy_grants_roles_to_admin(self, client: AnchorClient, node: ChainNode) -> None:
        assert client.has_role("ANCHORER_ROLE", node.anchorer.address)
        assert client.has_role("REVOKER_ROLE", node.anchorer.address)
        assert not client.has_role("ANCHORER_ROLE", node.outsider.address)
        assert client.chain_id == node.w3.eth.chain_id
        assert node.w3.eth.get_code(client.address) != b""

    def test_anchor_then_anchor_of(self, client: AnchorClient, node: ChainNode) -> None:
        root = random_root()
        assert client.anchor_of(root) is None
        receipt = client.anchor(root, 7, (42).to_bytes(32, "big"))
        block = node.w3.eth.get_block(receipt.block_number)
        assert receipt.timestamp == block["timestamp"]
        assert receipt.gas_used > 21_000
        assert client.anchor_of(root) == AnchorInfo(
            block_number=receipt.block_number,
            timestamp=receipt.timestamp,
            record_count=7,
            revoked_reason=0,
        )
        logs = client.contract.events.RootAnchored.get_logs(
            from_block=receipt.block_number, to_block=receipt.block_number
        )
        assert [(log["args"]["root"], log["args"]["recordCount"]) for log in logs] == [(root, 7)]
        assert "0x" + bytes(logs[0]["transactionHash"]).hex() == receipt.tx_hash

    def test_anchor_twice_is_root_already_anchored(self, client: AnchorClient) -> None:
        root = random_root()
        first = client.anchor(root, 1, bytes(32))
        with pytest.raises(RootAlreadyAnchoredError) as info:
            client.anchor(root, 1, bytes(32))
        assert info.value.name == "TanjiRootAlreadyAnchored"
        assert info.value.args_by_name == {"root": root, "blockNumber": first.block_number}
        assert info.value.code == "root_already_anchored"

    def test_mined_revert_is_replayed_and_decoded(self, client: AnchorClient) -> None:
        # Two signed anchors of one root pass gas estimation; the second reverts when mined.
        root = random_root()
        first = client.sign_anchor(root, 1, bytes(32))
        second = client.sign_anchor(root, 1, bytes(32))
        assert second.nonce == first.nonce + 1
        client.wait_receipt(client.send_raw(first))
        with pytest.raises(RootAlreadyAnchoredError) as info:
            client.wait_receipt(client.send_raw(second))
        assert info.value.args_by_name["root"] == root
        assert info.value.tx_hash == second.tx_hash

    def test_zero_root_and_empty_batch(self, client: AnchorClient) -> None:
        with pytest.raises(ZeroRootError):
            client.anchor(bytes(32), 1, bytes(32))
        with pytest.raises(EmptyBatchError):
            client.anchor(random_root(), 0, bytes(32))

    def test_unauthorised_account(self, client: AnchorClient, node: ChainNode) -> None:
        outsider = AnchorClient(node.w3, client.address, node.outsider)
        with pytest.raises(UnauthorizedError) as info:
            outsider.anchor(random_root(), 1, bytes(32))
        assert Web3.to_checksum_address(info.value.args_by_name["account"]) == (
            node.outsider.address
        )
        role = client.contract.functions.ANCHORER_ROLE().call()
        assert info.value.args_by_name["neededRole"] == role
        with pytest.raises(UnauthorizedError):
            outsider.revoke_root(random_root(), 1)

    def test_admin_other_than_deployer(self, node: ChainNode) -> None:
        client = AnchorClient.deploy(node.w3, node.anchorer, admin=node.outsider.address)
        assert client.has_role("ANCHORER_ROLE", node.outsider.address)
        with pytest.raises(UnauthorizedError):
            client.anchor(random_root(), 1, bytes(32))

    def test_revoke_leaf_and_check(self, client: AnchorClient) -> None:
        tree = MerkleTree.of(VALUES, LEAF_ENCODING)
        client.anchor(tree.root, len(VALUES), bytes(32))
        leaf, proof = tree.leaf_hash(2), tree.proof(2)
        assert verify_proof(tree.root, leaf, proof)
        status = client.check(tree.root, leaf, proof)
        assert (status.anchored, status.included, status.active) == (True, True, True)

        receipt = client.revoke_leaf(tree.root, leaf, proof, 3)
        assert receipt.block_number > 0
        assert client.leaf_revoked_reason(tree.root, leaf) == 3
        status = client.check(tree.root, leaf, proof)
        assert (status.included, status.active, status.leaf_revoked_reason) == (True, False, 3)
        other = client.check(tree.root, tree.leaf_hash(0), tree.proof(0))
        assert other.active

        with pytest.raises(LeafAlreadyRevokedError) as info:
            client.revoke_leaf(tree.root, leaf, proof, 4)
        assert info.value.args_by_name["reason"] == 3
        with pytest.raises(InvalidProofError):
            client.revoke_leaf(tree.root, tree.leaf_hash(1), proof, 3)
        with pytest.raises(InvalidReasonError):
            client.revoke_leaf(tree.root, tree.leaf_hash(0), tree.proof(0), 0)

    def test_check_of_unknown_root_and_bad_proof(self, client: AnchorClient) -> None:
        tree = MerkleTree.of(VALUES, LEAF_ENCODING)
        status = client.check(tree.root, tree.leaf_hash(0), tree.proof(0))
        assert (status.anchored, status.active) == (False, False)
        client.anchor(tree.root, len(VALUES), bytes(32))
        status = client.check(tree.root, tree.leaf_hash(0), tree.proof(1))
        assert (status.anchored, status.included, status.active) == (True, False, False)

    def test_revoke_root(self, client: AnchorClient) -> None:
        root = random_root()
        with pytest.raises(RootNotAnchoredError):
            client.revoke_root(root, 2)
        client.anchor(root, 2, bytes(32))
        client.revoke_root(root, 2)
        info = client.anchor_of(root)
        assert info is not None and info.revoked_reason == 2
        with pytest.raises(RootAlreadyRevokedError):
            client.revoke_root(root, 5)

    def test_send_raw_is_idempotent(self, client: AnchorClient) -> None:
        signed = client.sign_anchor(random_root(), 1, bytes(32))
        assert client.send_raw(signed) == signed.tx_hash
        assert client.send_raw(signed) == signed.tx_hash
        receipt = client.wait_receipt(signed.tx_hash)
        assert client.send_raw(signed) == signed.tx_hash
        assert receipt["status"] == 1

    def test_nonce_taken_by_another_transaction(self, client: AnchorClient) -> None:
        first = client.sign_anchor(random_root(), 1, bytes(32))
        rival = client.sign_anchor(random_root(), 1, bytes(32), nonce=first.nonce)
        client.wait_receipt(client.send_raw(rival))
        with pytest.raises(NonceConsumedError) as info:
            client.send_raw(first)
        assert info.value.nonce == first.nonce

    def test_confirmations(self, client: AnchorClient, node: ChainNode) -> None:
        signed = client.sign_anchor(random_root(), 1, bytes(32))
        mined = client.wait_receipt(client.send_raw(signed))  # interval-mining nodes take a while
        # Deeper than the head can get while we look (a node mining at intervals keeps going).
        needed = node.w3.eth.block_number - int(mined["blockNumber"]) + 5
        confirming = AnchorClient(
            node.w3, client.address, node.anchorer, confirmations=needed, poll_interval=0.02
        )
        with pytest.raises(ChainTimeoutError) as info:
            confirming.wait_receipt(signed.tx_hash, timeout=0.2)
        assert f"{needed} confirmations" in str(info.value)
        node.mine(needed)
        receipt = confirming.wait_receipt(signed.tx_hash, timeout=30)
        assert node.w3.eth.block_number >= receipt["blockNumber"] + needed

    def test_receipt_timeout_names_the_transaction(self, client: AnchorClient) -> None:
        never_mined = "0x" + secrets.token_bytes(32).hex()
        with pytest.raises(ChainTimeoutError) as info:
            client.wait_receipt(never_mined, timeout=0.3)
        assert isinstance(info.value, TimeoutError)
        assert never_mined in str(info.value)
        assert "no receipt" in str(info.value) and "0.3" in str(info.value)
        assert info.value.tx_hash == never_mined

    def test_signed_tx_repr_shows_no_raw_bytes(self, client: AnchorClient) -> None:
        signed = client.sign_anchor(random_root(), 1, bytes(32))
        assert signed.raw.hex() not in repr(signed)
        client.forget_nonce()


class TestEmbeddedChain(ChainClientTests):
    """The durable embedded py-evm chain (``anchoring.embedded``)."""

    @pytest.fixture
    def node(self, embedded_node: ChainNode) -> ChainNode:
        return embedded_node


@pytest.mark.hardhat
class TestHardhatChain(ChainClientTests):
    """A real ``hardhat node`` over HTTP JSON-RPC."""

    @pytest.fixture
    def node(self, hardhat_node: ChainNode) -> ChainNode:
        return hardhat_node

    def test_node_down_is_chain_unavailable(self, hardhat_node: ChainNode) -> None:
        dead = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{free_port()}"))
        client = AnchorClient(dead, "0x" + "11" * 20, hardhat_node.anchorer)
        with pytest.raises(ChainUnavailableError) as info:
            client.anchor_of(random_root())
        assert "unreachable" in str(info.value)
        with pytest.raises(ChainUnavailableError):
            client.send_raw(SignedTx(raw=b"\x01", tx_hash="0x" + "00" * 32, nonce=0))
        with pytest.raises(ChainUnavailableError):
            AnchorClient.deploy(dead, hardhat_node.anchorer)


@pytest.mark.anvil
@pytest.mark.slow
class TestAnvilChain(ChainClientTests):
    """Foundry's ``anvil``, a second independent EVM, mining a block a second (no auto-mine)."""

    @pytest.fixture
    def node(self, anvil_chain_node: ChainNode) -> ChainNode:
        return anvil_chain_node
