"""The chain monitor: a background thread that keeps a cached, bounded view of the chain node.

Request threads never talk to the node for health: ``/healthz`` reads :meth:`ChainMonitor.status`,
the last probe's result and when it was taken. Every :data:`PROBE_INTERVAL_SECONDS` the thread
asks the node for its head block within :data:`registry.chain.PROBE_TIMEOUT_SECONDS`; a probe
still running after :data:`STALL_SECONDS` counts as a timeout, so even a call that ignores its
limit (the embedded chain waiting for its lock) shows as degraded instead of blocking anyone.

When the chain is not open yet (its node was down at start-up) each turn tries to open it
instead, waiting longer after each failure up to :data:`MAX_OPEN_BACKOFF_SECONDS`; once it opens,
``on_open`` starts anchoring. When the node answers again after failing, ``on_recover`` runs (the
anchoring loop then retries at once instead of at the end of its backoff).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from registry.chain import ChainHandle, chain_error_code
from registry.errors import ChainSetupError

log = logging.getLogger(__name__)

#: Seconds between two probes of an open chain.
PROBE_INTERVAL_SECONDS = 2.0
#: A probe running longer than this is reported as ``chain_timeout`` while it goes on.
STALL_SECONDS = 3.0
#: The first wait between attempts to open the chain, and the longest.
OPEN_BACKOFF_SECONDS = 1.0
MAX_OPEN_BACKOFF_SECONDS = 15.0
#: How long :meth:`ChainMonitor.stop` waits for a probe or an opening attempt in progress.
STOP_WAIT_SECONDS = 15.0


@dataclass(frozen=True)
class ChainStatus:
    """What the last probe found. ``ok`` is ``None`` when this process has no chain to watch."""

    ok: bool | None
    #: A stable error code when ``ok`` is false (``chain_unavailable``, ``chain_timeout``, ...).
    code: str | None = None
    head: int | None = None
    chain_id: int | None = None
    contract: str | None = None
    embedded: bool | None = None
    #: When the probe ended: wall clock (for people) and monotonic (for the age).
    checked_at: datetime | None = None
    checked_monotonic: float | None = None

    def age_seconds(self, now: float | None = None) -> float | None:
        """Seconds since the probe ended, or ``None`` before the first one."""
        if self.checked_monotonic is None:
            return None
        return max(0.0, (time.monotonic() if now is None else now) - self.checked_monotonic)


NO_CHAIN = ChainStatus(ok=None)


class ChainMonitor:
    """Probes the open chain (or opens it) on a daemon thread; :meth:`status` reads the cache."""

    def __init__(
        self,
        *,
        current: Callable[[], ChainHandle | None],
        opener: Callable[[], ChainHandle] | None = None,
        on_open: Callable[[ChainHandle], None] | None = None,
        on_recover: Callable[[], None] | None = None,
        redact: Callable[[str], str] | None = None,
        interval: float = PROBE_INTERVAL_SECONDS,
        stall_seconds: float = STALL_SECONDS,
    ) -> None:
        """``current`` gives the open chain (or ``None``); ``opener`` opens it when it is not
        open (``None``: this process does not anchor, nothing to open), and ``on_open`` installs
        what it opened. ``redact`` takes the node URL's secrets out of error text before logging.
        """
        self._current = current
        self._opener = opener
        self._on_open = on_open
        self._on_recover = on_recover
        self._redact = redact or (lambda text: text)
        self.interval = interval
        self.stall_seconds = stall_seconds
        self._status = NO_CHAIN
        self._probing_since: float | None = None
        self._open_backoff = OPEN_BACKOFF_SECONDS
        self._lock = threading.Lock()
        self._status_lock = threading.Lock()
        self._seen_head: tuple[int, float] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- reading --------------------------------------------------------------------------------

    def status(self) -> ChainStatus:
        """The cached status; a probe running for more than ``stall_seconds`` is a timeout."""
        status, since = self._status, self._probing_since
        if since is not None and time.monotonic() - since > self.stall_seconds:
            return replace(status, ok=False, code="chain_timeout", head=None)
        return status

    # -- running --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the thread (once); its first turn comes after one interval."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="tanji-chain-monitor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = STOP_WAIT_SECONDS) -> None:
        """Stop the thread; a chain it opens after this is closed, not installed."""
        with self._lock:
            self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def saw_block(self, block_number: int) -> None:
        """Note a block the anchoring loop just saw mined: fresh proof that the node answers."""
        now = time.monotonic()
        with self._status_lock:
            self._seen_head = (block_number, now)
            status = self._status
            if status.ok:
                self._status = replace(
                    status,
                    head=max(status.head or 0, block_number),
                    checked_at=datetime.now(UTC),
                    checked_monotonic=now,
                )

    def opening_failed(self, exc: BaseException) -> None:
        """Record a failed attempt to open the chain (start-up's, or the thread's)."""
        code = exc.code if isinstance(exc, ChainSetupError) else chain_error_code(exc)
        previous = self._status
        self._status = ChainStatus(
            ok=False, code=code, checked_at=datetime.now(UTC), checked_monotonic=time.monotonic()
        )
        if previous.code != code:
            log.warning(
                "the chain is not open (%s); serving without anchoring, retrying in the "
                "background: %s",
                code,
                self._redact(f"{type(exc).__name__}: {exc}"),
            )

    def tick(self) -> float:
        """One turn: probe the open chain, or try to open it. Returns the wait before the next."""
        chain = self._current()
        if chain is not None:
            self.probe(chain)
            return self.interval
        if self._opener is None:
            self._status = NO_CHAIN
            return self.interval
        return self._try_open()

    def probe(self, chain: ChainHandle) -> ChainStatus:
        """Ask ``chain`` for its head now (on the calling thread) and cache the answer."""
        started = self._probing_since = time.monotonic()
        try:
            head = chain.probe()
            status = ChainStatus(
                ok=True,
                head=head,
                chain_id=chain.chain_id,
                contract=chain.address,
                embedded=chain.embedded is not None,
            )
        except Exception as exc:
            status = ChainStatus(ok=False, code=chain_error_code(exc))
            if self._status.ok is not False or self._status.code != status.code:
                log.warning(
                    "chain probe failed (%s): %s",
                    status.code,
                    chain.redact(f"{type(exc).__name__}: {exc}"),
                )
        finally:
            self._probing_since = None
        status = replace(status, checked_at=datetime.now(UTC), checked_monotonic=time.monotonic())
        with self._status_lock:
            seen = self._seen_head
            if status.head is not None and seen is not None and seen[1] >= started:
                # A block mined while this probe ran: the answer may predate it.
                status = replace(status, head=max(status.head, seen[0]))
            recovered = status.ok and self._status.ok is False
            self._status = status
        if recovered:
            log.info("the chain node answers again (head %s)", status.head)
            if self._on_recover is not None:
                self._on_recover()
        return status

    def _try_open(self) -> float:
        assert self._opener is not None
        try:
            chain = self._opener()
        except Exception as exc:
            self.opening_failed(exc)
            wait, self._open_backoff = (
                self._open_backoff,
                min(self._open_backoff * 2, MAX_OPEN_BACKOFF_SECONDS),
            )
            return wait
        with self._lock:
            installed = not self._stop.is_set()
            if installed and self._on_open is not None:
                self._on_open(chain)
        if not installed:
            chain.close()
            return self.interval
        self._open_backoff = OPEN_BACKOFF_SECONDS
        log.info("the chain is open: chain %d, contract %s", chain.chain_id, chain.address)
        self.probe(chain)
        return self.interval

    def _run(self) -> None:
        wait = self.interval
        while not self._stop.wait(wait):
            try:
                wait = self.tick()
            except Exception as exc:  # the monitor must outlive anything a turn meets
                text = "".join(traceback.format_exception(exc)).rstrip()
                log.error("chain monitor turn failed\n%s", self._redact(text))
                wait = self.interval
