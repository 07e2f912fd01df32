"""Per-client token buckets: how many requests (or failed attempts) a client may make, how fast.

Each client (its address as the server sees it, :func:`registry.api.deps.client_address`: behind
a reverse proxy, uvicorn's ``--forwarded-allow-ips`` decides whether ``X-Forwarded-For`` names
it) has a bucket of ``burst`` tokens refilled at ``rate_per_second``. Two uses:

- **Requests of a costly anonymous route** (``/rpc``): every request :meth:`TokenBuckets.take`\\s
  a token, or as many as it counts (the calls of a JSON-RPC batch).
- **Failed authentications**: every request first :meth:`~TokenBuckets.check`\\s that a token is
  left, and a failed one :meth:`~TokenBuckets.spend`\\s it, so a key cannot be guessed faster
  than ``rate_per_second``; the client is refused before its key is even looked at.

A client with too few tokens gets :class:`~registry.errors.RateLimitedError`: 429 with
``Retry-After``, the whole seconds until it has enough again. Buckets live in memory, per worker
process, in an LRU of at most ``max_clients`` (a bucket that has filled up again is forgotten;
evicting one only makes that client's bucket full again).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from registry.errors import RateLimitedError


class TokenBuckets:
    """Token buckets, one per client (thread-safe)."""

    def __init__(
        self,
        *,
        rate_per_second: float,
        burst: int,
        what: str = "requests",
        code: str = "rate_limited",
        max_clients: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``what`` names the counted things in the refusal's message ("requests to /rpc");
        ``code`` is the refusal's error code."""
        if rate_per_second <= 0 or burst < 1:
            raise ValueError("rate_per_second must be positive and burst at least 1")
        self.rate_per_second = rate_per_second
        self.burst = burst
        self.what = what
        self.code = code
        self.max_clients = max_clients
        self._clock = clock
        # client -> (tokens, when they were counted)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _count(self, client: str, take: int, *, need: int, force: bool) -> int:
        """Refill ``client``'s bucket; take ``take`` tokens if ``need`` are there (or always with
        ``force``, down to zero). Returns the seconds to wait for ``need`` (0: enough)."""
        with self._lock:
            now = self._clock()
            tokens, stamp = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - stamp) * self.rate_per_second)
            wait = 0
            if tokens < need:
                wait = max(1, math.ceil((need - tokens) / self.rate_per_second))
            if force or not wait:
                tokens = max(0.0, tokens - take)
            if tokens < self.burst:
                self._buckets[client] = (tokens, now)  # most recently used last
                while len(self._buckets) > self.max_clients:
                    self._buckets.popitem(last=False)
            return wait

    def _refuse(self, wait: int) -> RateLimitedError:
        return RateLimitedError(
            f"too many {self.what} from this client: at most {self.rate_per_second:g} a "
            f"second (bursts of {self.burst}); retry in {wait} s",
            code=self.code,
            retry_after=wait,
        )

    def take(self, client: str, count: int = 1) -> None:
        """Take ``count`` tokens (at most a burst) from ``client``'s bucket, or raise
        :class:`RateLimitedError` taking none."""
        count = min(count, self.burst)
        wait = self._count(client, count, need=count, force=False)
        if wait:
            raise self._refuse(wait)

    def check(self, client: str) -> None:
        """Raise :class:`RateLimitedError` when ``client`` has no token left (taking none)."""
        wait = self._count(client, 0, need=1, force=False)
        if wait:
            raise self._refuse(wait)

    def spend(self, client: str, count: int = 1) -> None:
        """Take ``count`` tokens from ``client``'s bucket (down to none), never raising."""
        self._count(client, count, need=0, force=True)

    @property
    def tracked_clients(self) -> int:
        """How many clients have a bucket that is not full."""
        return len(self._buckets)
