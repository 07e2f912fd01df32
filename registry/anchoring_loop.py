"""The background anchoring loop: a worker thread that runs the batcher when a batch is due.

A batch is due when ``batch_max_size`` records are pending, when the oldest pending record has
waited ``batch_max_wait_seconds``, or when there is chain work to finish (a revocation, or a batch
an earlier run left sealed or sent). Stopping sets an event: the loop finishes the cycle it is
in — the batcher commits every step before touching the chain, so even a kill mid-cycle leaves
records pending or anchored, never lost — and takes no new one.

After a failed cycle (the node down, the database locked) the loop waits, doubling the wait up to
:data:`MAX_ERROR_BACKOFF_SECONDS`; :meth:`AnchoringLoop.retry_now` ends the wait early (the chain
monitor calls it when the node answers again). New records do not: during an outage every write
would otherwise start a cycle that is bound to fail.

Of the processes on one database only the holder of the anchoring lease
(:mod:`registry.anchoring_lease`: a PostgreSQL advisory lock, or a lock file next to a SQLite
database) runs cycles; the others stand by, trying to take the lease every poll, and take over
when its holder stops or dies.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, func, select

from anchoring.batcher import Batcher, BatchOutcome
from anchoring.client import AnchorClient
from anchoring.ledger import (
    BATCH_ANCHORED,
    RECORD_PENDING,
    REVOCATION_ANCHORED,
    AnchorBatch,
    AnchorRecord,
    AnchorRevocation,
)
from registry.anchoring_lease import AnchoringLease, lease_for
from registry.chain import chain_error_code
from registry.records import sweep_revocations

log = logging.getLogger(__name__)

#: After an error (node down, ...) wait this long before trying again, doubling up to the max.
ERROR_BACKOFF_SECONDS = 1.0
MAX_ERROR_BACKOFF_SECONDS = 30.0


@dataclass(frozen=True)
class LedgerBacklog:
    """What waits for the chain."""

    pending_records: int
    oldest_pending: datetime | None
    open_revocations: int
    open_batches: int


def ledger_backlog(session: Session) -> LedgerBacklog:
    """Count pending records, unfinished revocations and batches."""
    pending, oldest = session.exec(
        select(func.count(), func.min(AnchorRecord.created_at)).where(
            AnchorRecord.status == RECORD_PENDING
        )
    ).one()
    revocations = session.exec(
        select(func.count())
        .select_from(AnchorRevocation)
        .where(AnchorRevocation.status != REVOCATION_ANCHORED)
    ).one()
    batches = session.exec(
        select(func.count()).select_from(AnchorBatch).where(AnchorBatch.status != BATCH_ANCHORED)
    ).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return LedgerBacklog(int(pending), oldest, int(revocations), int(batches))


class AnchoringLoop:
    """Runs :meth:`Batcher.run_once` in a daemon thread whenever a batch is due."""

    def __init__(
        self,
        engine: Engine,
        client: AnchorClient,
        *,
        max_batch: int,
        max_wait_seconds: float,
        poll_interval: float = 0.5,
        redact: Callable[[str], str] | None = None,
        on_anchored: Callable[[BatchOutcome], None] | None = None,
        lease: AnchoringLease | None = None,
    ) -> None:
        """``redact`` takes secrets (the node URL's key) out of error text before it is kept;
        ``on_anchored`` hears of each batch anchored (the chain monitor notes its block);
        ``lease`` (default: :func:`~registry.anchoring_lease.lease_for` the engine) decides
        which process anchors."""
        self.engine = engine
        self.lease = lease if lease is not None else lease_for(engine)
        #: True while this process holds the lease (it anchors); False while it stands by.
        self.leader = False
        self.batcher = Batcher(engine, client, max_batch=max_batch)
        self.max_batch = max_batch
        self.max_wait_seconds = max_wait_seconds
        self.poll_interval = poll_interval
        self.batches_anchored = 0
        #: The last cycle's error: a stable code (safe to show anyone) and the redacted text.
        self.last_error_code: str | None = None
        self.last_error: str | None = None
        self._redact = redact or (lambda text: text)
        self._on_anchored = on_anchored
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._retry = threading.Event()
        self._thread: threading.Thread | None = None
        # Work for whoever is last: the worker when it outlives stop(), else the caller.
        self._finish_lock = threading.Lock()
        self._finished = True
        self._on_finish: list[Callable[[], None]] = []

    def start(self) -> None:
        """Start the worker thread (once)."""
        if self._thread is not None:
            return
        self._finished = False
        self._thread = threading.Thread(target=self._run, name="tanji-anchoring", daemon=True)
        self._thread.start()

    def when_finished(self, release: Callable[[], None]) -> None:
        """Run ``release`` once the worker thread has finished: now if it has, else when it does.

        For what the worker's cycle uses (the chain, the engine) when :meth:`stop` timed out:
        closing it under a running cycle would fail that cycle halfway.
        """
        with self._finish_lock:
            if not self._finished:
                self._on_finish.append(release)
                return
        release()

    def wake(self) -> None:
        """Look at the ledger now instead of at the next poll."""
        self._wake.set()

    def retry_now(self) -> None:
        """End the wait after a failed cycle: what failed (the node) is back."""
        self._retry.set()
        self._wake.set()

    def stop(self, timeout: float = 60.0) -> bool:
        """Take no new batch; wait up to ``timeout`` for the current one. True if it stopped."""
        self._stop.set()
        self._wake.set()
        self._retry.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        stopped = not self._thread.is_alive()
        if not stopped:
            log.warning(
                "anchoring loop still busy after %.0f s; its batch stays recoverable", timeout
            )
        return stopped

    @property
    def running(self) -> bool:
        """True while the worker thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def due(self, backlog: LedgerBacklog, now: datetime | None = None) -> bool:
        """Whether the backlog warrants a batcher run now."""
        if backlog.open_revocations or backlog.open_batches:
            return True
        if backlog.pending_records >= self.max_batch:
            return True
        if backlog.oldest_pending is None:
            return False
        age = ((now or datetime.now(UTC)) - backlog.oldest_pending).total_seconds()
        return age >= self.max_wait_seconds

    def run_cycle(self) -> bool:
        """One look at the ledger and, when due, one batcher run. True if a batch was anchored."""
        with Session(self.engine) as session:
            sweep_revocations(session)  # every kind in registry.records.table
            backlog = ledger_backlog(session)
        if not self.due(backlog):
            return False
        outcome = self.batcher.run_once()
        anchored = outcome is not None
        if outcome is not None:
            self.batches_anchored += 1
            log.info(
                "anchored batch %s: %d records, root %s, tx %s, block %d",
                outcome.batch_id,
                outcome.record_count,
                outcome.root,
                outcome.tx_hash,
                outcome.block_number,
            )
            if self._on_anchored is not None:
                self._on_anchored(outcome)
        # Records revoked or withdrawn while pending can be revoked on chain now they are anchored.
        with Session(self.engine) as session:
            sweep_revocations(session)
        return anchored

    def _run(self) -> None:
        try:
            self._work()
        finally:
            self.leader = False
            try:
                self.lease.release()
            except Exception:
                log.exception("releasing the anchoring lease failed")
            with self._finish_lock:
                self._finished = True
                releases, self._on_finish = self._on_finish, []
            for release in releases:
                try:
                    release()
                except Exception:
                    log.exception("releasing %r after the anchoring loop stopped failed", release)

    def _work(self) -> None:
        backoff = ERROR_BACKOFF_SECONDS
        while not self._stop.is_set():
            self.leader = self.lease.hold()
            if not self.leader:  # another process anchors: stand by, try again next poll
                self._stop.wait(self.poll_interval)
                continue
            try:
                ran = self.run_cycle()
                self.last_error = self.last_error_code = None
                backoff = ERROR_BACKOFF_SECONDS
            except Exception as exc:  # the loop must outlive a node outage
                self.last_error_code = cycle_error_code(exc)
                self.last_error = self._redact(f"{type(exc).__name__}: {exc}")
                # Not log.exception: the traceback quotes the node URL, so it is redacted too.
                log.error(
                    "anchoring cycle failed (%s); retrying in %.0f s\n%s",
                    self.last_error_code,
                    backoff,
                    self._redact("".join(traceback.format_exception(exc))).rstrip(),
                )
                self._retry.wait(backoff)
                self._retry.clear()
                backoff = min(backoff * 2, MAX_ERROR_BACKOFF_SECONDS)
                continue
            if ran:
                continue  # more may be due: a full backlog drains batch after batch
            self._wake.wait(self.poll_interval)
            self._wake.clear()


def cycle_error_code(exc: BaseException) -> str:
    """A stable code for what made an anchoring cycle fail."""
    if isinstance(exc, SQLAlchemyError):
        return "database_error"
    return chain_error_code(exc)


def backlog_summary(engine: Engine) -> dict[str, object]:
    """Backlog as a JSON-ready dict (for /healthz and the CLI)."""
    with Session(engine) as session:
        backlog = ledger_backlog(session)
        anchored = session.exec(
            select(func.count())
            .select_from(AnchorBatch)
            .where(col(AnchorBatch.status) == BATCH_ANCHORED)
        ).one()
    return {
        "pending": backlog.pending_records,
        "oldest_pending": backlog.oldest_pending.isoformat() if backlog.oldest_pending else None,
        "open_revocations": backlog.open_revocations,
        "open_batches": backlog.open_batches,
        "anchored_batches": int(anchored),
    }
