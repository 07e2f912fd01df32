"""The batcher on real SQLite files and real chains (embedded and Hardhat): one test class."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from anchoring import ledger
from anchoring.batcher import MAX_NONCE_CONFLICTS, Batcher
from anchoring.client import AnchorClient
from anchoring.errors import SignerConflictError
from anchoring.ledger import AnchorBatch, AnchorRecord, AnchorRevocation
from tests.anchoring.conftest import ChainNode
from verifier.protocol.leaf import record_leaf_value
from verifier.protocol.merkle import verify_proof


class InjectedCrash(Exception):
    """Raised by a step hook to stop the batcher between two steps (in-process crash)."""


def crash_after(step: str):  # type: ignore[no-untyped-def]
    def hook(name: str) -> None:
        if name == step:
            raise InjectedCrash(step)

    return hook


def enqueue(engine: Engine, count: int, prefix: str = "L") -> list[tuple[str, str]]:
    """Queue ``count`` label records; return their (type, id) keys."""
    keys = []
    with Session(engine) as session:
        for i in range(count):
            record_id = f"{prefix}-{secrets.token_hex(4)}-{i}"
            record = {"type": "label", "id": record_id, "co2e": i + 0.5, "unit": "kg"}
            value = record_leaf_value(record, secrets.token_bytes(32))
            ledger.enqueue(session, record_type="label", record_id=record_id, leaf_value=value)
            keys.append(("label", record_id))
        session.commit()
    return keys


def root_anchor_events(client: AnchorClient, root: str) -> int:
    logs = client.contract.events.RootAnchored.get_logs(
        from_block=0, argument_filters={"root": bytes.fromhex(root[2:])}
    )
    return len(logs)


def assert_all_anchored_once(engine: Engine, client: AnchorClient) -> None:
    """Every record anchored in exactly one anchored batch, each root anchored exactly once."""
    with Session(engine) as session:
        records = session.exec(select(AnchorRecord)).all()
        batches = {b.id: b for b in session.exec(select(AnchorBatch)).all()}
    assert records and all(r.status == "anchored" for r in records)
    for batch in batches.values():
        assert batch.status == "anchored"
        assert root_anchor_events(client, batch.root) == 1
        info = client.anchor_of(bytes.fromhex(batch.root[2:]))
        assert info is not None and info.block_number == batch.block_number
        assert info.timestamp == batch.block_timestamp
    counted = sum(b.record_count for b in batches.values())
    assert counted == len(records)
    for record in records:
        batch = batches[record.batch_id]
        proof = [bytes.fromhex(p[2:]) for p in record.proof or []]
        root = bytes.fromhex(batch.root[2:])
        assert verify_proof(root, bytes.fromhex(record.leaf_hash[2:]), proof)


class BatcherTests:
    """Batcher behaviour on any node; subclasses bind ``node``."""

    @pytest.fixture
    def client(self, node: ChainNode) -> AnchorClient:
        return AnchorClient.deploy(node.w3, node.anchorer, receipt_timeout=60)

    @pytest.mark.parametrize("count", [1, 2, 1000])
    def test_one_batch(self, engine: Engine, client: AnchorClient, count: int) -> None:
        keys = enqueue(engine, count)
        outcome = Batcher(engine, client).run_once()
        assert outcome is not None and outcome.record_count == count and not outcome.recovered
        assert_all_anchored_once(engine, client)
        with Session(engine) as session:
            assert ledger.pending_count(session) == 0
            for index in (0, count // 2, count - 1):
                record_type, record_id = keys[index]
                leaf = ledger.anchored_leaf(session, record_type=record_type, record_id=record_id)
                assert leaf is not None
                assert (leaf.root, leaf.tx_hash) == (outcome.root, outcome.tx_hash)
                assert (leaf.chain_id, leaf.contract) == (client.chain_id, client.address)
                # The contract itself agrees that the stored proof holds.
                status = client.check(
                    bytes.fromhex(leaf.root[2:]),
                    bytes.fromhex(leaf.leaf_hash[2:]),
                    [bytes.fromhex(p[2:]) for p in leaf.proof],
                )
                assert status.active
        assert Batcher(engine, client).run_once() is None

    def test_max_batch_splits_and_keeps_order(self, engine: Engine, client: AnchorClient) -> None:
        keys = enqueue(engine, 5)
        outcomes = Batcher(engine, client, max_batch=2).run_pending()
        assert [o.record_count for o in outcomes] == [2, 2, 1]
        assert_all_anchored_once(engine, client)
        with Session(engine) as session:
            first = ledger.anchored_leaf(session, record_type="label", record_id=keys[0][1])
            assert first is not None and first.root == outcomes[0].root

    def test_revocation(self, engine: Engine, client: AnchorClient) -> None:
        keys = enqueue(engine, 3)
        Batcher(engine, client).run_once()
        record_type, record_id = keys[1]
        with Session(engine) as session:
            ledger.request_revocation(
                session, record_type=record_type, record_id=record_id, reason=7
            )
            session.commit()
            leaf = ledger.anchored_leaf(session, record_type=record_type, record_id=record_id)
        assert leaf is not None
        assert Batcher(engine, client).run_once() is None
        with Session(engine) as session:
            revocation = ledger.revocation_of(session, record_type=record_type, record_id=record_id)
            assert revocation is not None and revocation.status == "anchored"
            assert revocation.block_number is not None
        root, leaf_hash = bytes.fromhex(leaf.root[2:]), bytes.fromhex(leaf.leaf_hash[2:])
        assert client.leaf_revoked_reason(root, leaf_hash) == 7

    @pytest.mark.parametrize("step", ["sealed", "signed", "sent"])
    def test_recovers_after_failure_between_steps(
        self, engine: Engine, client: AnchorClient, step: str
    ) -> None:
        enqueue(engine, 4)
        with pytest.raises(InjectedCrash):
            Batcher(engine, client, on_step=crash_after(step)).run_once()
        outcome = Batcher(engine, client).run_once()
        assert outcome is not None and outcome.recovered and outcome.record_count == 4
        assert_all_anchored_once(engine, client)

    def test_root_anchored_by_someone_else_counts(
        self, engine: Engine, client: AnchorClient
    ) -> None:
        enqueue(engine, 3)
        with pytest.raises(InjectedCrash):
            Batcher(engine, client, on_step=crash_after("sealed")).run_once()
        with Session(engine) as session:
            batch = session.exec(select(AnchorBatch)).one()
        receipt = client.anchor(bytes.fromhex(batch.root[2:]), 3, bytes(32))
        outcome = Batcher(engine, client).run_once()
        assert outcome is not None and outcome.tx_hash == receipt.tx_hash
        assert outcome.block_number == receipt.block_number
        assert_all_anchored_once(engine, client)

    def test_stored_nonce_taken_is_signed_again(
        self, engine: Engine, client: AnchorClient, node: ChainNode
    ) -> None:
        enqueue(engine, 2)
        with pytest.raises(InjectedCrash):
            Batcher(engine, client, on_step=crash_after("signed")).run_once()
        with Session(engine) as session:
            batch = session.exec(select(AnchorBatch)).one()
            stored_nonce, stored_hash = batch.nonce, batch.tx_hash
        # Another transaction of the same signer takes the stored transaction's nonce.
        rival = client.sign_anchor(secrets.token_bytes(32), 1, bytes(32), nonce=stored_nonce)
        client.wait_receipt(client.send_raw(rival))
        outcome = Batcher(engine, client).run_once()
        assert outcome is not None and outcome.tx_hash != stored_hash
        assert_all_anchored_once(engine, client)

    def test_second_sender_with_the_same_key_is_reported_not_retried_forever(
        self, engine: Engine, client: AnchorClient, node: ChainNode
    ) -> None:
        enqueue(engine, 2)
        # Another process signing with the anchoring key (a mistake in operations).
        rival = AnchorClient(node.w3, client.address, node.anchorer, receipt_timeout=60)

        def take_the_nonce(step: str) -> None:
            if step == "signed":
                with Session(engine) as session:
                    nonce = session.exec(select(AnchorBatch)).one().nonce
                signed = rival.sign_anchor(secrets.token_bytes(32), 1, bytes(32), nonce=nonce)
                rival.wait_receipt(rival.send_raw(signed))

        batcher = Batcher(engine, client, on_step=take_the_nonce)
        with pytest.raises(SignerConflictError) as info:
            batcher.run_once()
        assert info.value.code == "signer_conflict" and "another sender" in str(info.value)
        assert batcher.nonce_conflicts == MAX_NONCE_CONFLICTS
        # Once the other sender stops, the batch goes through.
        client.forget_nonce()
        assert Batcher(engine, client).run_once() is not None
        assert_all_anchored_once(engine, client)

    def test_revocation_recovers_after_sign(self, engine: Engine, client: AnchorClient) -> None:
        keys = enqueue(engine, 2)
        Batcher(engine, client).run_once()
        with Session(engine) as session:
            ledger.request_revocation(session, record_type="label", record_id=keys[0][1], reason=2)
            session.commit()
        with pytest.raises(InjectedCrash):
            Batcher(engine, client, on_step=crash_after("revocation_sent")).run_once()
        Batcher(engine, client).run_once()
        with Session(engine) as session:
            revocation = session.exec(select(AnchorRevocation)).one()
        assert revocation.status == "anchored"
        logs = client.contract.events.LeafRevoked.get_logs(from_block=0)
        assert [log["args"]["reason"] for log in logs] == [2]


class TestBatcherEmbedded(BatcherTests):
    """On the durable embedded chain."""

    @pytest.fixture
    def node(self, embedded_node: ChainNode) -> ChainNode:
        return embedded_node


@pytest.mark.hardhat
class TestBatcherHardhat(BatcherTests):
    """On a real ``hardhat node``."""

    @pytest.fixture
    def node(self, hardhat_node: ChainNode) -> ChainNode:
        return hardhat_node


@pytest.mark.anvil
@pytest.mark.slow
class TestBatcherAnvil(BatcherTests):
    """On Foundry's ``anvil`` mining a block a second."""

    @pytest.fixture
    def node(self, anvil_chain_node: ChainNode) -> ChainNode:
        return anvil_chain_node
