"""The batcher: pending records → one Merkle tree → one anchoring transaction → proofs stored.

Every step is committed before the next one touches the chain, so a crash at any point (even
``kill -9``) leaves a state the next run finishes without losing a record or anchoring one twice:

1. recover what an earlier run left unfinished (sent transactions first, in nonce order, so a
   stored but unsent transaction gets its nonce before anything new is signed);
2. seal: take up to ``max_batch`` pending records, build the tree, store root, leaf indexes and
   proofs (records ``batched``, batch ``sealed``) — commit;
3. sign: store the raw transaction, its hash and nonce (batch ``sent``) — commit, *then* send;
4. send the stored raw transaction (idempotent);
5. wait for the receipt; mark the records ``anchored`` and the batch ``mined`` — or
   ``anchored`` (final) when the client requires no confirmations — commit;
6. later runs settle ``mined`` batches: ``anchored`` once ``confirmations`` blocks are on top of
   the anchoring block; back to ``sent`` (records ``batched``) when a reorganisation took the
   transaction off the chain, so that step 4 sends it again.

While waiting for a receipt the batcher looks, every ``client.resend_after`` seconds, whether
the node dropped the transaction (it is sent again, same nonce, same bytes) or holds it priced
out by a base-fee spike (it is replaced: same nonce, fees raised by 1/8, within
``client.max_fee_per_gas``). A nonce taken by a transaction that is not ours, several times in a
row, means a second sender uses the key: :class:`SignerConflictError`, not endless re-signing.

A root that is already on chain counts as anchored (whoever sent it): the contract refuses a
second anchor of the same root, so a batch can never be anchored twice. Revocations go the same
way (``pending`` → ``sent`` → ``anchored``), without holding the loop for confirmations: a
mined revocation stays ``sent`` until final, looked at again on each run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from anchoring.client import AnchorClient, Fees, SignedTx
from anchoring.errors import (
    BatchError,
    ChainTimeoutError,
    FeeCapError,
    LeafAlreadyRevokedError,
    NonceConsumedError,
    RootAlreadyAnchoredError,
    SignerConflictError,
    UnderpricedError,
)
from anchoring.ledger import (
    BATCH_ANCHORED,
    BATCH_MINED,
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
from verifier.protocol.finality import is_final

log = logging.getLogger(__name__)

#: Called with the name of each step just committed (tests use it to crash at step boundaries):
#: ``sealed``, ``signed``, ``sent``, ``anchored``, ``revocation_signed``, ``revocation_sent``,
#: ``revocation_anchored``.
StepHook = Callable[[str], None]

#: Nonce conflicts in a row (our stored transaction's nonce used by one that is not ours) after
#: which the batcher stops re-signing and reports a second sender.
MAX_NONCE_CONFLICTS = 3


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
        #: Nonce conflicts met in a row, and in all (for /healthz).
        self.nonce_conflicts_in_a_row = 0
        self.nonce_conflicts = 0
        #: Batches a reorganisation sent back to ``sent``; transactions re-sent or replaced.
        self.reorganised = 0
        self.resent = 0
        self.replaced = 0
        #: Set while a transaction waits priced out at ``client.max_fee_per_gas``.
        self.fee_capped = False

    def run_once(self) -> BatchOutcome | None:
        """Recover unfinished work, then anchor one batch of pending records and revocations.

        Returns the batch anchored by this call (the new one, else the last recovered one), or
        ``None`` when there was nothing to anchor.
        """
        settled = self.settle_mined()
        outcome = self.recover() or settled
        new = self._anchor_new_batch()
        self._process_revocations()
        return new or outcome

    def run_pending(self) -> list[BatchOutcome]:
        """Call :meth:`run_once` until no record is pending; return the batches anchored."""
        outcomes = []
        while (outcome := self.run_once()) is not None:
            outcomes.append(outcome)
        return outcomes

    # -- (6) confirmations and reorganisations --------------------------------------------------

    def settle_mined(self) -> BatchOutcome | None:
        """Finalise ``mined`` batches deep enough; send back those a reorganisation removed.

        Returns the last batch finalised, if any.
        """
        with Session(self.engine) as session:
            mined = session.exec(
                select(AnchorBatch.id)
                .where(AnchorBatch.status == BATCH_MINED)
                .order_by(col(AnchorBatch.id))
            ).all()
        if not mined:
            return None
        outcome = None
        head = self.client.head()
        for batch_id in mined:
            with Session(self.engine) as session:
                batch = _get(session, AnchorBatch, int(batch_id or 0))
                tx_hash, block_number = str(batch.tx_hash), int(batch.block_number or 0)
                timestamp = int(batch.block_timestamp or 0)
            receipt = self.client.receipt(tx_hash)
            if receipt is None or int(receipt["status"]) != 1:
                self._return_to_flight(int(batch_id or 0), tx_hash)
                continue
            moved = int(receipt["blockNumber"]) != block_number
            if not moved:  # re-mined at the same height in a block of another time
                moved = self.client.anchor_receipt(receipt).timestamp != timestamp
            if moved:
                log.warning(
                    "batch %s: transaction %s moved from block %s to %s (reorganisation)",
                    batch_id,
                    tx_hash,
                    block_number,
                    receipt["blockNumber"],
                )
            if head - int(receipt["blockNumber"]) >= self.client.confirmations:
                outcome = self._mark_anchored(int(batch_id or 0), recovered=True, receipt=receipt)
            elif moved:
                self._mark_anchored(int(batch_id or 0), recovered=True, receipt=receipt)
        return outcome

    def _return_to_flight(self, batch_id: int, tx_hash: str) -> None:
        """A reorganisation took the batch's transaction off the chain: in flight again."""
        with Session(self.engine) as session:
            batch = _get(session, AnchorBatch, batch_id)
            log.warning(
                "batch %s: anchoring transaction %s (block %s) is no longer on the chain "
                "(reorganisation); sending it again",
                batch_id,
                tx_hash,
                batch.block_number,
            )
            batch.status = BATCH_SENT
            batch.block_number = None
            batch.block_timestamp = None
            batch.anchored_at = None
            session.add(batch)
            session.execute(
                update(AnchorRecord)
                .where(col(AnchorRecord.batch_id) == batch_id)
                .values(status=RECORD_BATCHED)
            )
            session.commit()
        # The reorganisation rolled the signer's nonce back: count from the node again.
        self.client.forget_nonce()
        self.reorganised += 1
        self._step("reorganised")

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
                select(AnchorRecord.id, AnchorRecord.leaf_hash)
                .where(AnchorRecord.status == RECORD_PENDING)
                .order_by(col(AnchorRecord.id))
                .limit(self.max_batch)
            ).all()
            if not records:
                return None
            tree = MerkleTree.from_leaf_hashes([bytes.fromhex(h[2:]) for _, h in records])
            batch = AnchorBatch(
                root=tree.root_hex,
                record_count=len(records),
                status=BATCH_SEALED,
                chain_id=self.client.chain_id,
                contract=self.client.address,
            )
            session.add(batch)
            session.flush()
            # One UPDATE by primary key sent with every record's values (SQLAlchemy's ORM bulk
            # UPDATE: one executemany), in the batch's transaction: not an ORM object loaded and
            # flushed per record, which cost 7-16x the plain insert of the same proofs.
            session.execute(
                update(AnchorRecord),
                [
                    {
                        "id": record_id,
                        "batch_id": batch.id,
                        "leaf_index": index,
                        "proof": tree.proof_hex(index),
                        "status": RECORD_BATCHED,
                    }
                    for index, (record_id, _) in enumerate(records)
                ],
            )
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
            receipt = self._await_receipt(batch_id, signed, root)
        except RootAlreadyAnchoredError:
            return self._mark_anchored(batch_id, recovered=recovered)
        except NonceConsumedError:
            if self.client.anchor_of(root) is not None:
                return self._mark_anchored(batch_id, recovered=recovered)
            self._nonce_conflict(f"batch {batch_id}", signed)
            return self._sign_and_finish(batch_id, recovered=recovered)
        except UnderpricedError:
            self._reprice(batch_id, signed, root)
            return self._finish_batch(batch_id, recovered=recovered, fresh=True)
        self.nonce_conflicts_in_a_row = 0
        if receipt is None:  # anchored by a transaction other than the one we waited for
            return self._mark_anchored(batch_id, recovered=recovered)
        return self._mark_anchored(batch_id, recovered=recovered, receipt=receipt)

    def _nonce_conflict(self, what: str, signed: SignedTx) -> None:
        """Our stored transaction's nonce went to a transaction that is not ours."""
        self.nonce_conflicts += 1
        self.nonce_conflicts_in_a_row += 1
        if self.nonce_conflicts_in_a_row >= MAX_NONCE_CONFLICTS:
            raise SignerConflictError(
                f"{what}: nonce {signed.nonce} was taken by another transaction, "
                f"{self.nonce_conflicts_in_a_row} conflicts in a row: another sender is using "
                f"the anchoring key {self.client.account.address}; stop it (one sender per key)"
            )
        log.warning("%s: nonce %s was taken; signing again", what, signed.nonce)
        self.client.forget_nonce()

    def _await_receipt(self, batch_id: int, signed: SignedTx, root: bytes) -> Any:
        """The receipt of the batch's transaction (``None``: the root went on chain in another
        transaction), re-sending a dropped transaction and replacing one priced out."""
        limit = self.client.receipt_timeout
        started = time.monotonic()
        while True:
            left = limit - (time.monotonic() - started)
            try:
                return self.client.wait_receipt(
                    signed.tx_hash,
                    timeout=max(0.0, min(self.client.resend_after, left)),
                    confirmations=0,
                )
            except ChainTimeoutError:
                if time.monotonic() - started >= limit:
                    raise
            if self.client.anchor_of(root) is not None:
                return None
            signed = self._unstick(batch_id, signed, root)

    def _reprice(self, batch_id: int, signed: SignedTx, root: bytes) -> None:
        """The node refused the batch's transaction for its fees: store one signed at today's
        fees (same nonce), or raise :class:`FeeCapError` when the cap keeps it below them."""
        base_fee = self.client.base_fee()
        fees = self.client.fees()
        if base_fee is not None and fees.ceiling < base_fee:
            self.fee_capped = True
            raise FeeCapError(
                f"batch {batch_id}: the base fee is {base_fee} wei per gas, above the cap "
                f"(max_fee_per_gas {self.client.max_fee_per_gas}); waiting for it to fall"
            )
        self._store_replacement(batch_id, root, signed.nonce, None)
        log.warning("batch %s: %s refused for its fees; signed again", batch_id, signed.tx_hash)

    def _store_replacement(
        self, batch_id: int, root: bytes, nonce: int, floor: Fees | None
    ) -> SignedTx:
        """Sign the batch's anchor again with ``nonce`` (fees at least ``floor``); store it."""
        with Session(self.engine) as session:
            batch = _get(session, AnchorBatch, batch_id)
            replacement = self.client.sign_anchor(
                root, batch.record_count, _batch_ref(batch_id), nonce=nonce, fee_floor=floor
            )
            _store_signed(batch, replacement)
            session.add(batch)
            session.commit()
        return replacement

    def _send_if_priced(self, batch_id: int, signed: SignedTx) -> None:
        """Send ``signed``; a refusal for its fees (under the cap) leaves it stored, to send
        again at the next look once the base fee has fallen."""
        try:
            self.client.send_raw(signed)
            self.fee_capped = False
        except UnderpricedError as exc:
            self.fee_capped = True
            log.warning("batch %s: %s; trying again later", batch_id, exc)

    def _unstick(self, batch_id: int, signed: SignedTx, root: bytes) -> SignedTx:
        """Send a dropped transaction again, or replace one priced out; return the one to await."""
        pending = self.client.pending(signed.tx_hash)
        if pending is None:
            if self.client.receipt(signed.tx_hash) is not None:
                return signed  # mined meanwhile
            log.warning(
                "batch %s: transaction %s was dropped; sending it again", batch_id, signed.tx_hash
            )
            self.resent += 1
            try:
                self.client.send_raw(signed)
                self.fee_capped = False
                return signed
            except UnderpricedError:  # dropped because priced out: sign it at today's fees
                return self._replace(batch_id, signed, root, None)
        base_fee = self.client.base_fee()
        # Priced out: below the base fee (EIP-1559), or below the node's gas price (legacy).
        going_rate = base_fee if base_fee is not None else self.client.fees().ceiling
        if pending.fees.ceiling >= going_rate:
            return signed  # priced fine: the chain is just busy
        return self._replace(batch_id, signed, root, pending.fees.bumped())

    def _replace(
        self, batch_id: int, signed: SignedTx, root: bytes, floor: Fees | None
    ) -> SignedTx:
        """Replace ``signed`` (same nonce) at today's fees, at least ``floor``; unless the cap
        keeps the bid under them: then wait with ``signed`` (``fee_capped``)."""
        base_fee = self.client.base_fee()
        fees = self.client.fees(floor)
        under_floor = floor is not None and (
            fees.ceiling < floor.ceiling or (fees.tip or 0) < (floor.tip or 0)
        )
        if under_floor or (base_fee is not None and fees.ceiling < base_fee):
            self.fee_capped = True
            log.warning(
                "batch %s: transaction %s is priced out (base fee %s) and the cap "
                "(max_fee_per_gas %s) allows no higher bid; waiting for fees to fall",
                batch_id,
                signed.tx_hash,
                base_fee,
                self.client.max_fee_per_gas,
            )
            return signed
        replacement = self._store_replacement(batch_id, root, signed.nonce, floor)
        log.warning(
            "batch %s: transaction %s priced out (base fee %s); replaced by %s offering %s",
            batch_id,
            signed.tx_hash,
            base_fee,
            replacement.tx_hash,
            fees.ceiling,
        )
        self.replaced += 1
        self._send_if_priced(batch_id, replacement)
        return replacement

    def _mark_anchored(
        self, batch_id: int, *, recovered: bool, receipt: Any = None
    ) -> BatchOutcome:
        """The batch's root is on chain: ``anchored`` if final, else ``mined``; records
        ``anchored`` (their proofs hold against the chain as it is)."""
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
            final = self.client.confirmations == 0 or (
                self.client.head() - block_number >= self.client.confirmations
            )
            batch.status = BATCH_ANCHORED if final else BATCH_MINED
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
        log.info(
            "batch %s %s in block %s (tx %s)",
            batch_id,
            "anchored" if final else "mined, waiting for confirmations,",
            block_number,
            tx_hash,
        )
        self._step("anchored" if final else "mined")
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
            # Only leaves of final batches: a reorganisation may still take a mined root away.
            pending = session.exec(
                select(AnchorRevocation.id)
                .join(AnchorBatch, col(AnchorBatch.root) == col(AnchorRevocation.root))
                .where(
                    AnchorRevocation.status == REVOCATION_PENDING,
                    AnchorBatch.status == BATCH_ANCHORED,
                )
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
            # Revoked on chain: by this transaction, final once deep enough (a later run looks
            # again), or by another one (nothing of ours to wait for).
            receipt = self.client.receipt(signed.tx_hash)
            block = None if receipt is None else int(receipt["blockNumber"])
            if block is None or self._final(block):
                self._mark_revoked(revocation_id, block_number=block)
            return
        try:
            self.client.send_raw(signed)
            self._step("revocation_sent")
            # Mined is enough to go on: the loop is not held for the confirmations. The
            # revocation stays ``sent`` until final (recover() looks again each run, and sends
            # it again if a reorganisation took it away).
            receipt = self.client.wait_receipt(signed.tx_hash, confirmations=0)
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
        block = int(receipt["blockNumber"])
        if self._final(block):
            self._mark_revoked(revocation_id, block_number=block)

    def _final(self, block_number: int) -> bool:
        """True when ``block_number`` has the client's confirmations on top of it now."""
        confirmations = self.client.confirmations
        return confirmations == 0 or is_final(block_number, self.client.head(), confirmations)

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
