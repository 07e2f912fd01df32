"""A real network's ways on a real Anvil mining a block a second: confirmations, a reorganisation
that removes an anchoring transaction, a dropped transaction, a base-fee spike under a fee cap.

Anvil's test methods make each event happen: ``anvil_reorg``, ``anvil_dropTransaction``,
``anvil_setNextBlockBaseFeePerGas``, ``evm_setIntervalMining``. Every wait is for the chain (a
receipt, a block), bounded by a deadline; nothing assumes instant mining.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from anchoring import ledger
from anchoring.batcher import Batcher
from anchoring.bundle import build_bundle
from anchoring.client import AnchorClient
from anchoring.errors import FeeCapError
from anchoring.ledger import BATCH_ANCHORED, BATCH_MINED, BATCH_SENT, AnchorBatch, AnchorRecord
from registry import finality
from registry.chain import ChainHandle
from tests.anchoring.conftest import ChainNode
from tests.anchoring.test_batcher import assert_all_anchored_once, enqueue
from tests.nodes import rpc
from tests.verifier.factories import make_record
from verifier import Verifier
from verifier._internal.trust import parse_trust
from verifier.protocol.codes import Code
from verifier.protocol.leaf import record_leaf_value
from verifier.protocol.records import TRUST_FORMAT
from verifier.protocol.verdicts import Verdict

pytestmark = [pytest.mark.anvil, pytest.mark.slow]

GWEI = 10**9
SignedTxRow = tuple[str, int]
Serve = Callable[[AnchorClient], None]


@pytest.fixture
def node(anvil_chain_node: ChainNode) -> ChainNode:
    return anvil_chain_node


@pytest.fixture
def contract(node: ChainNode) -> str:
    return AnchorClient.deploy(node.w3, node.anchorer, receipt_timeout=60).address


def client_for(node: ChainNode, contract: str, **options: object) -> AnchorClient:
    return AnchorClient(node.w3, contract, node.anchorer, receipt_timeout=60, **options)  # type: ignore[arg-type]


def only_batch(engine: Engine) -> AnchorBatch:
    with Session(engine) as session:
        return session.exec(select(AnchorBatch)).one()


def wait_until(condition: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {limit:g} s")
        time.sleep(0.2)


def settle_until_final(engine: Engine, batcher: Batcher) -> None:
    def final() -> bool:
        batcher.settle_mined()
        return only_batch(engine).status == BATCH_ANCHORED

    wait_until(final, "batch final")


@pytest.fixture
def serve(node: ChainNode) -> Iterator[Callable[[AnchorClient], None]]:
    """Make bundles and pages of this process check mined leaves against the Anvil node."""

    def install(client: AnchorClient) -> None:
        handle = ChainHandle(w3=node.w3, client=client, account=node.anchorer, rpc_url=node.url)
        finality.install(handle)

    yield install
    finality.install(None)


def served_leaf(engine: Engine, record_id: str) -> tuple[object, object]:
    with Session(engine) as session:
        leaf = ledger.anchored_leaf(session, record_type="label", record_id=record_id)
    return finality.served_leaf(leaf)


def test_anchored_with_confirmations_until_final(
    engine: Engine, node: ChainNode, contract: str, serve: Serve
) -> None:
    client = client_for(node, contract, confirmations=3)
    serve(client)
    keys = enqueue(engine, 3)
    batcher = Batcher(engine, client)
    outcome = batcher.run_once()
    assert outcome is not None
    batch = only_batch(engine)
    assert batch.status == BATCH_MINED  # in a block, not final yet
    leaf, depth = served_leaf(engine, keys[0][1])
    assert leaf is not None and depth is not None
    assert depth.required == 3 and not depth.final  # type: ignore[attr-defined]
    assert depth.as_json()["confirmations"] < 3  # type: ignore[attr-defined]
    settle_until_final(engine, batcher)
    assert node.w3.eth.block_number - int(only_batch(engine).block_number or 0) >= 3
    leaf, depth = served_leaf(engine, keys[0][1])
    assert leaf is not None and depth is None  # final: served as it is
    assert_all_anchored_once(engine, client)


def test_reorganisation_returns_the_batch_to_flight_and_it_is_anchored_once(
    engine: Engine, node: ChainNode, contract: str, serve: Serve
) -> None:
    client = client_for(node, contract, confirmations=4)
    serve(client)
    keys = enqueue(engine, 4)
    batcher = Batcher(engine, client)
    assert batcher.run_once() is not None
    mined = only_batch(engine)
    assert mined.status == BATCH_MINED and mined.block_number is not None
    assert served_leaf(engine, keys[0][1])[0] is not None
    # Replace the anchoring block and every block after it by empty ones.
    depth = node.w3.eth.block_number - mined.block_number + 1
    assert node.url is not None
    rpc(node.url, "anvil_reorg", [depth, []])
    assert client.receipt(str(mined.tx_hash)) is None
    # No proof to a block that is not on the chain: before the batcher has noticed...
    assert served_leaf(engine, keys[0][1]) == (None, None)
    # ...and after: the batch is in flight again, its records have no anchor.
    batcher.settle_mined()
    batch = only_batch(engine)
    assert batch.status == BATCH_SENT and batch.block_number is None
    assert batcher.reorganised == 1
    with Session(engine) as session:
        assert ledger.anchored_leaf(session, record_type="label", record_id=keys[0][1]) is None
        statuses = {r.status for r in session.exec(select(AnchorRecord))}
    assert statuses == {"batched"}
    # The next run sends the stored transaction again; it is mined and becomes final.
    assert batcher.run_once() is not None
    settle_until_final(engine, batcher)
    assert_all_anchored_once(engine, client)  # one RootAnchored event on the final chain


def test_dropped_transaction_is_sent_again_with_its_nonce(
    engine: Engine, node: ChainNode, contract: str
) -> None:
    assert node.url is not None
    url = node.url
    client = client_for(node, contract, resend_after=1.0)
    enqueue(engine, 2)

    def drop_it(step: str) -> None:
        if step == "signed":  # hold mining so the transaction is still pending when dropped
            rpc(url, "evm_setIntervalMining", [0])
        if step == "sent":
            rpc(url, "anvil_dropTransaction", [only_batch(engine).tx_hash])
            rpc(url, "evm_setIntervalMining", [1])

    batcher = Batcher(engine, client, on_step=drop_it)
    try:
        sent = None
        outcome = batcher.run_once()
        sent = only_batch(engine)
    finally:
        rpc(url, "evm_setIntervalMining", [1])
    assert outcome is not None and batcher.resent >= 1
    assert outcome.tx_hash == sent.tx_hash  # the very transaction, same nonce, sent again
    assert_all_anchored_once(engine, client)


def test_transaction_priced_out_by_a_base_fee_spike_is_replaced(
    engine: Engine, node: ChainNode, contract: str
) -> None:
    assert node.url is not None
    url = node.url
    client = client_for(node, contract, resend_after=1.0, max_fee_per_gas=500 * GWEI)
    enqueue(engine, 2)
    first: list[SignedTxRow] = []

    def spike(step: str) -> None:
        if step == "signed":  # hold mining: the transaction must reach the pool unmined
            rpc(url, "evm_setIntervalMining", [0])
            batch = only_batch(engine)
            first.append((str(batch.tx_hash), int(batch.nonce or 0)))
        if step == "sent":
            # Accepted at the old fees; the blocks from now on cost 100 gwei a gas.
            rpc(url, "anvil_setNextBlockBaseFeePerGas", [hex(100 * GWEI)])
            rpc(url, "evm_setIntervalMining", [1])

    batcher = Batcher(engine, client, on_step=spike)
    try:
        outcome = batcher.run_once()
    finally:
        rpc(url, "evm_setIntervalMining", [1])
    assert outcome is not None and batcher.replaced >= 1
    first_hash, first_nonce = first[0]
    assert outcome.tx_hash != first_hash  # the replacement was mined...
    mined = node.w3.eth.get_transaction(outcome.tx_hash)  # type: ignore[arg-type]
    assert mined["nonce"] == first_nonce  # ...in the place of the first: same nonce
    assert mined["maxFeePerGas"] <= 500 * GWEI
    assert_all_anchored_once(engine, client)


def test_base_fee_above_the_cap_waits_and_never_pays_more(
    engine: Engine, node: ChainNode, contract: str
) -> None:
    assert node.url is not None
    url = node.url
    cap = 60 * GWEI
    client = client_for(node, contract, resend_after=1.0, max_fee_per_gas=cap)
    enqueue(engine, 2)
    # The next blocks cost 100 gwei a gas, above the cap; the base fee then falls 1/8 a block.
    rpc(url, "anvil_setNextBlockBaseFeePerGas", [hex(100 * GWEI)])
    wait_until(lambda: client.base_fee() == 100 * GWEI, "the spike is on the chain", 10)
    batcher = Batcher(engine, client)
    capped = 0
    deadline = time.monotonic() + 60
    while True:  # what the anchoring loop does: try again after a failed cycle
        try:
            outcome = batcher.run_once()
            break
        except FeeCapError as exc:
            capped += 1
            assert "above the cap" in str(exc) and exc.code == "fee_cap_reached"
            assert only_batch(engine).status == BATCH_SENT  # still in flight, nothing lost
            assert time.monotonic() < deadline, "the base fee never fell under the cap"
            time.sleep(0.5)
    assert capped >= 1 and outcome is not None
    mined = node.w3.eth.get_transaction(outcome.tx_hash)  # type: ignore[arg-type]
    assert mined["maxFeePerGas"] <= cap  # never above the configured maximum
    block = node.w3.eth.get_block(mined["blockNumber"])
    assert block["baseFeePerGas"] <= cap  # mined once the base fee fell under the cap
    assert_all_anchored_once(engine, client)


def test_verifier_reports_an_anchor_short_of_its_confirmations_as_pending(
    engine: Engine, node: ChainNode, contract: str
) -> None:
    assert node.url is not None
    client = client_for(node, contract, confirmations=3)
    record, salt = make_record(secrets.randbelow(10**6)), secrets.token_bytes(32)
    with Session(engine) as session:
        ledger.enqueue(
            session,
            record_type="label",
            record_id=record["id"],
            leaf_value=record_leaf_value(record, salt),
        )
        session.commit()
    assert Batcher(engine, client).run_once() is not None
    with Session(engine) as session:
        leaf = ledger.anchored_leaf(session, record_type="label", record_id=record["id"])
    assert leaf is not None and not leaf.final
    bundle = build_bundle(record=record, salt=salt, leaf=leaf)
    chain = {"chainId": client.chain_id, "rpcUrl": node.url, "contracts": [contract]}
    issuers = [{"address": node.anchorer.address, "name": "test"}]
    strict = parse_trust(
        {"format": TRUST_FORMAT, "chains": [{**chain, "confirmations": 50}], "issuers": issuers}
    )
    report = Verifier(trust=strict).verify(bundle)
    assert report.status is Verdict.PENDING  # anchored, but not final: never VALID
    anchored = next(r for r in report.results if r.name == "anchored")
    assert (anchored.code, anchored.data["required"]) == (Code.ANCHORED_NOT_FINAL, 50)
    assert anchored.data["confirmations"] < 50
    # A trust file asking for no more confirmations than the block has: VALID.
    wait_until(lambda: node.w3.eth.block_number >= leaf.block_number + 2, "two blocks on top")
    enough = parse_trust(
        {"format": TRUST_FORMAT, "chains": [{**chain, "confirmations": 2}], "issuers": issuers}
    )
    assert Verifier(trust=enough).verify(bundle).status is Verdict.VALID


def test_transaction_mined_again_at_the_same_height_is_not_served_from_the_old_block(
    engine: Engine, node: ChainNode, contract: str, serve: Serve
) -> None:
    """A reorganisation that puts the anchoring transaction back at the very same height, in a
    block of another time: the ledger's block number still matches, its timestamp does not, so
    the proof is not served until the loop has recorded the new block."""
    assert node.url is not None
    url = node.url
    client = client_for(node, contract, confirmations=50)
    serve(client)
    keys = enqueue(engine, 2)
    batcher = Batcher(engine, client)
    assert batcher.run_once() is not None
    mined = only_batch(engine)
    assert mined.status == BATCH_MINED and mined.block_number is not None
    assert mined.raw_tx is not None and mined.block_timestamp is not None
    assert served_leaf(engine, keys[0][1])[0] is not None
    with Session(engine) as session:
        assert finality.anchor_state(session, record_type="label", record_id=keys[0][1])[0] == (
            finality.MINED
        )
    rpc(url, "evm_setIntervalMining", [0])  # no block of its own between the questions below
    try:
        # Later blocks, then the anchoring block and all after it replaced by new ones: the
        # transaction first among them, at its old height.
        rpc(url, "evm_increaseTime", [3600])
        depth = node.w3.eth.block_number - mined.block_number + 1
        rpc(url, "anvil_reorg", [depth, [[mined.raw_tx, 0]]])
        receipt = client.receipt(str(mined.tx_hash))
        assert receipt is not None and int(receipt["blockNumber"]) == mined.block_number
        moved = node.w3.eth.get_block(mined.block_number)
        assert int(moved["timestamp"]) != mined.block_timestamp  # another block, same height
        # Not served from the block that left the chain; the label reads as in flight.
        assert served_leaf(engine, keys[0][1]) == (None, None)
        with Session(engine) as session:
            state = finality.anchor_state(session, record_type="label", record_id=keys[0][1])
        assert state == (ledger.RECORD_BATCHED, None)
        # The loop records the new block; served again, with the new block's time.
        batcher.settle_mined()
        leaf, depth_now = served_leaf(engine, keys[0][1])
        assert leaf is not None and depth_now is not None
        assert leaf.timestamp == int(moved["timestamp"])  # type: ignore[attr-defined]
    finally:
        rpc(url, "evm_setIntervalMining", [1])


def test_revocation_does_not_hold_the_loop_for_its_confirmations(
    engine: Engine, node: ChainNode, contract: str
) -> None:
    """A mined revocation lets the run return at once and stays ``sent`` until final; later runs
    mark it ``anchored`` once the confirmations are on top."""
    client = client_for(node, contract, confirmations=3)
    keys = enqueue(engine, 2)
    batcher = Batcher(engine, client)
    assert batcher.run_once() is not None
    settle_until_final(engine, batcher)
    with Session(engine) as session:
        ledger.request_revocation(session, record_type="label", record_id=keys[0][1], reason=4)
        session.commit()
    # Far more confirmations than the test will ever see: waiting for them in the run would
    # time out (receipt_timeout); the run returns once the revocation is mined.
    client.confirmations = 1000
    assert batcher.run_once() is None
    with Session(engine) as session:
        revocation = ledger.revocation_of(session, record_type="label", record_id=keys[0][1])
        leaf = ledger.anchored_leaf(session, record_type="label", record_id=keys[0][1])
    assert revocation is not None and leaf is not None
    root, leaf_hash = bytes.fromhex(leaf.root[2:]), bytes.fromhex(leaf.leaf_hash[2:])
    assert client.leaf_revoked_reason(root, leaf_hash) == 4  # mined
    receipt = client.receipt(str(revocation.tx_hash))
    assert receipt is not None
    assert revocation.status == ledger.REVOCATION_SENT  # not final: not reported anchored
    assert batcher.run_once() is None  # a run with it still short of final: still sent
    with Session(engine) as session:
        again = ledger.revocation_of(session, record_type="label", record_id=keys[0][1])
    assert again is not None and again.status == ledger.REVOCATION_SENT
    client.confirmations = 3

    def anchored() -> bool:
        batcher.run_once()
        with Session(engine) as session:
            row = ledger.revocation_of(session, record_type="label", record_id=keys[0][1])
        return row is not None and row.status == ledger.REVOCATION_ANCHORED

    wait_until(anchored, "revocation final")
    with Session(engine) as session:
        row = ledger.revocation_of(session, record_type="label", record_id=keys[0][1])
    assert row is not None and row.block_number == int(receipt["blockNumber"])
    assert node.w3.eth.block_number - int(receipt["blockNumber"]) >= 3
