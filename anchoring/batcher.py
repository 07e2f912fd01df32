"""The batcher: pending records → one Merkle tree → one anchoring transaction → proofs stored.

Every step is committed before the next one touches the chain, so a crash at any point (even
``kill -9``) leaves a state the next run finishes without losing a record or anchoring one twice:

1. recover what an earlier run left unfinished (sent transactions first, in nonce order, so a
   stored but unsent transaction gets its nonce before anything new is signed);
2. seal: take up to ``max_batch`` pending records, build the tree, store root, leaf indexes and
   proofs (records ``batched``, batch ``sealed``) — commit;
3. sign: store the raw transaction, its hash and nonce (batch ``sent``) — commit, *then* send;
4. send the stored raw transaction (idempotent);
5. wait for the receipt; mark the batch and its records ``anchored`` — commit.

A root that is already on chain counts as anchored (whoever sent it): the contract refuses a
second anchor of the same root, so a batch can never be anchored twice. Revocations go the same
way (``pending`` → ``sent`` → ``anchored``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from anchoring.client import AnchorClient, SignedTx
from anchoring.errors import (
    BatchError,
    LeafAlreadyRevokedError,
    NonceConsumedError,
    RootAlreadyAnchoredError,
)
from anchoring.ledger import (
    BATCH_ANCHORED,
    BATCH_SEALED,
    BATCH_SENT,
    RECORD_ANCHORED,
    RECORD_BATCHED,
    RECORD_PENDING,
    REVOCATION_ANCHORED,
    REVOCATION_PENDING,
    REVOCATION_SENT,
    AnchorBatch,
    AnchorRecord,
    AnchorRevocation,
    utc_now,
)
from anchoring.tree import MerkleTree

log = logging.getLogger(__name__)

#: Called with the name of each step just committed (tests use it to crash at step boundaries):
#: ``sealed``, ``signed``, ``sent``, ``anchored``, ``revocation_signed``, ``revocation_sent``,
#: ``revocation_anchored``.
StepHook = Callable[[str], None]


@dataclass(frozen=True)
class BatchOutcome:
    """A batch that reached ``anchored`` in one :meth:`Batcher.run_once`."""

    batch_id: int
    root: str
    record_count: int
    tx_hash: str
    block_number: int
    timestamp: int
    recovered: bool


class Batcher:
    """Anchor pending ledger records in batches through one :class:`AnchorClient`."""

    def __init__(
        self,
        engine: Engine,
        client: AnchorClient,
        *,
        max_batch: int = 10_000,
        on_step: StepHook | None = None,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be >= 1")
        self.engine = engine
        self.client = client
        self.max_batch = max_batch
        self._on_step = on_step

    def run_once(self) -> BatchOutcome | None:
        """Recover unfinished work, then anchor one batch of pending records and revocations.

        Returns the batch anchored by this call (the new one, else the last recovered one), or
        ``None`` when there was nothing to anchor.
        """
        outcome = self.recover()
        new = self._anchor_new_batch()
        self._process_revocations()
        return new or outcome

    def run_pending(self) -> list[BatchOutcome]:
        """Call :meth:`run_once` until no record is pending; return the batches anchored."""
        outcomes = []
        while (outcome := self.run_once()) is not None:
            outcomes.append(outcome)
        return outcomes

    # -- (1) recovery ---------------------------------------------------------------------------

    def recover(self) -> BatchOutcome | None:
        """Finish batches and revocations an earlier run left ``sealed`` or ``sent``."""
        outcome = None
        with Session(self.engine) as session:
            sent: list[tuple[int, str, int]] = [
                (int(b.nonce or 0), "batch", int(b.id or 0))
                for b in session.exec(select(AnchorBatch).where(AnchorBatch.status == BATCH_SENT))
            ]
            sent += [
                (int(r.nonce or 0), "revocation", int(r.id or 0))
                for r in session.exec(
                    select(AnchorRevocation).where(AnchorRevocation.status == REVOCATION_SENT)
                )
            ]
            sealed = session.exec(
                select(AnchorBatch.id)
                .where(AnchorBatch.status == BATCH_SEALED)
                .order_by(col(AnchorBatch.id))
            ).all()
        for _, kind, row_id in sorted(sent):
            if kind == "batch":
                log.info("recovering sent batch %s", row_id)
                outcome = self._finish_batch(row_id, recovered=True)
            else:
                log.info("recovering sent revocation %s", row_id)
                self._finish_revocation(row_id)
        for batch_id in sealed:
            log.info("recovering sealed batch %s", batch_id)
            outcome = self._sign_and_finish(int(batch_id or 0), recovered=True)
        return outcome

    # -- (2)-(5) a new batch ----------------------------------------------------------------

    def _anchor_new_batch(self) -> BatchOutcome | None:
        batch_id = self._seal()
        if batch_id is None:
            return None
        return self._sign_and_finish(batch_id, recovered=False)

    def _seal(self) -> int | None:
        with Session(self.engine) as session:
            records = session.exec(
                select(AnchorRecord)
                .where(AnchorRecord.status == RECORD_PENDING)
                .order_by(col(AnchorRecord.id))
                .limit(self.max_batch)
            ).all()
            if not records:
                return None
            tree = MerkleTree.from_leaf_hashes([bytes.fromhex(r.leaf_hash[2:]) for r in records])
            batch = AnchorBatch(
                root=tree.root_hex,
                record_count=len(records),
                status=BATCH_SEALED,
                chain_id=self.client.chain_id,
                contract=self.client.address,
            )
            session.add(batch)
            session.flush()
            for index, record in enumerate(records):
                record.batch_id = batch.id
                record.leaf_index = index
                record.proof = tree.proof_hex(index)
                record.status = RECORD_BATCHED
                session.add(record)
            session.commit()
            batch_id = int(batch.id or 0)
        log.info("sealed batch %s: %d records, root %s", batch_id, len(records), tree.root_hex)
        self._step("sealed")
        return batch_id

    def _sign_and_finish(self, batch_id: int, *, recovered: bool) -> BatchOutcome:
        with Session(self.engine) as session:
            batch = _get(session, AnchorBatch, batch_id)
            root = bytes.fromhex(batch.root[2:])
            try:
                signed = self.client.sign_anchor(root, batch.record_count, _batch_ref(batch_id))
            except RootAlreadyAnchoredError:
                return self._mark_anchored(batch_id, recovered=recovered)
            _store_signed(batch, signed)
            batch.status = BATCH_SENT
            session.add(batch)
            session.commit()
        self._step("signed")
        return self._finish_batch(batch_id, recovered=recovered, fresh=True)

    def _finish_batch(self, batch_id: int, *, recovered: bool, fresh: bool = False) -> BatchOutcome:
        """Bring a ``sent`` batch to ``anchored``: re-send its stored tx, re-sign if needed."""
        with Session(self.engine) as session:
            batch = _get(session, AnchorBatch, batch_id)
            root = bytes.fromhex(batch.root[2:])
            signed = _stored_signed(batch)
        # A recovered batch may be on chain already (crash after send): nothing to send then.
        if not fresh and self.client.anchor_of(root) is not None:
            return self._mark_anchored(batch_id, recovered=recovered)
        try:
            self.client.send_raw(signed)
            self._step("sent")
            receipt = self.client.wait_receipt(signed.tx_hash)
        except RootAlreadyAnchoredError:
            return self._mark_anchored(batch_id, recovered=recovered)
        except NonceConsumedError:
            if self.client.anchor_of(root) is not None:
                return self._mark_anchored(batch_id, recovered=recovered)
            log.warning("batch %s: nonce %s was taken; signing again", batch_id, signed.nonce)
            self.client.forget_nonce()
            return self._sign_and_finish(batch_id, recovered=recovered)
        return self._mark_anchored(batch_id, recovered=recovered, receipt=receipt)

    def _mark_anchored(
        self, batch_id: int, *, recovered: bool, receipt: Any = None
    ) -> BatchOutcome:
        with Session(self.engine) as session:
            batch = _get(session, AnchorBatch, batch_id)
            root = bytes.fromhex(batch.root[2:])
            if receipt is not None:
                summary = self.client.anchor_receipt(receipt)
                tx_hash, block_number, timestamp = (
                    summary.tx_hash,
                    summary.block_number,
                    summary.timestamp,
                )
            else:
                info = self.client.anchor_of(root)
                if info is None:
                    raise BatchError(f"batch {batch_id}: root {batch.root} is not on chain")
                block_number, timestamp = info.block_number, info.timestamp
                tx_hash = self._anchoring_tx(root, block_number) or str(batch.tx_hash)
            batch.status = BATCH_ANCHORED
            batch.tx_hash = tx_hash
            batch.block_number = block_number
            batch.block_timestamp = timestamp
            batch.anchored_at = utc_now()
            session.add(batch)
            session.execute(
                update(AnchorRecord)
                .where(col(AnchorRecord.batch_id) == batch_id)
                .values(status=RECORD_ANCHORED)
            )
            session.commit()
            outcome = BatchOutcome(
                batch_id=batch_id,
                root=batch.root,
                record_count=batch.record_count,
                tx_hash=tx_hash,
                block_number=block_number,
                timestamp=timestamp,
                recovered=recovered,
            )
        log.info("batch %s anchored in block %s (tx %s)", batch_id, block_number, tx_hash)
        self._step("anchored")
        return outcome

    def _anchoring_tx(self, root: bytes, block_number: int) -> str | None:
        """The hash of the transaction whose RootAnchored event anchored ``root``."""
        logs = self.client.contract.events.RootAnchored.get_logs(
            from_block=block_number, to_block=block_number, argument_filters={"root": root}
        )
        return "0x" + bytes(logs[0]["transactionHash"]).hex() if logs else None

    # -- revocations ----------------------------------------------------------------------------

    def _process_revocations(self) -> None:
        with Session(self.engine) as session:
            pending = session.exec(
                select(AnchorRevocation.id)
                .where(AnchorRevocation.status == REVOCATION_PENDING)
                .order_by(col(AnchorRevocation.id))
            ).all()
        for revocation_id in pending:
            self._sign_revocation(int(revocation_id or 0))

    def _sign_revocation(self, revocation_id: int) -> None:
        with Session(self.engine) as session:
            revocation = _get(session, AnchorRevocation, revocation_id)
            root, leaf, proof = self._revocation_target(session, revocation)
            try:
                signed = self.client.sign_revoke_leaf(root, leaf, proof, revocation.reason)
            except LeafAlreadyRevokedError:
                self._mark_revoked(revocation_id)
                return
            _store_signed(revocation, signed)
            revocation.status = REVOCATION_SENT
            session.add(revocation)
            session.commit()
        self._step("revocation_signed")
        self._finish_revocation(revocation_id, fresh=True)

    def _finish_revocation(self, revocation_id: int, *, fresh: bool = False) -> None:
        with Session(self.engine) as session:
            revocation = _get(session, AnchorRevocation, revocation_id)
            signed = _stored_signed(revocation)
            root, leaf = _hex_bytes(revocation.root), _hex_bytes(revocation.leaf_hash)
        if not fresh and self.client.leaf_revoked_reason(root, leaf) != 0:
            self._mark_revoked(revocation_id)
            return
        try:
            self.client.send_raw(signed)
            self._step("revocation_sent")
            receipt = self.client.wait_receipt(signed.tx_hash)
        except LeafAlreadyRevokedError:
            self._mark_revoked(revocation_id)
            return
        except NonceConsumedError:
            if self.client.leaf_revoked_reason(root, leaf) != 0:
                self._mark_revoked(revocation_id)
                return
            self.client.forget_nonce()
            self._sign_revocation(revocation_id)
            return
        self._mark_revoked(revocation_id, block_number=int(receipt["blockNumber"]))

    def _mark_revoked(self, revocation_id: int, *, block_number: int | None = None) -> None:
        with Session(self.engine) as session:
            revocation = _get(session, AnchorRevocation, revocation_id)
            revocation.status = REVOCATION_ANCHORED
            revocation.block_number = block_number
            session.add(revocation)
            session.commit()
        self._step("revocation_anchored")

    @staticmethod
    def _revocation_target(
        session: Session, revocation: AnchorRevocation
    ) -> tuple[bytes, bytes, list[bytes]]:
        record = session.exec(
            select(AnchorRecord).where(
                AnchorRecord.record_type == revocation.record_type,
                AnchorRecord.record_id == revocation.record_id,
            )
        ).first()
        if record is None or record.proof is None:
            raise BatchError(
                f"revocation {revocation.id}: {revocation.record_type} {revocation.record_id} "
                "has no stored proof"
            )
        proof = [_hex_bytes(p) for p in record.proof]
        return _hex_bytes(revocation.root), _hex_bytes(revocation.leaf_hash), proof

    def _step(self, name: str) -> None:
        if self._on_step is not None:
            self._on_step(name)


def _batch_ref(batch_id: int) -> bytes:
    """The batch's reference emitted with its root: the ledger id as a bytes32."""
    return batch_id.to_bytes(32, "big")


def _hex_bytes(value: str) -> bytes:
    return bytes.fromhex(value[2:] if value.startswith("0x") else value)


def _store_signed(row: AnchorBatch | AnchorRevocation, signed: SignedTx) -> None:
    row.raw_tx = "0x" + signed.raw.hex()
    row.tx_hash = signed.tx_hash
    row.nonce = signed.nonce


def _stored_signed(row: AnchorBatch | AnchorRevocation) -> SignedTx:
    if row.raw_tx is None or row.tx_hash is None or row.nonce is None:
        raise BatchError(f"{type(row).__name__} {row.id} is marked sent but has no stored tx")
    return SignedTx(raw=_hex_bytes(row.raw_tx), tx_hash=row.tx_hash, nonce=row.nonce)


def _get(session: Session, model: type[Any], row_id: int) -> Any:
    row = session.get(model, row_id)
    if row is None:
        raise BatchError(f"{model.__name__} {row_id} disappeared")
    return row
