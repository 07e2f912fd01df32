"""Patience with a server on this machine that is still starting.

``tanji serve &`` followed at once by ``tanji verify`` asks a node that is seconds away from
listening: the registry binds its port only once its database and chain are open. A node on a
loopback address (``localhost``, ``127.0.0.0/8``, ``::1``) that *refuses the connection* is
therefore asked again, every :data:`RETRY_INTERVAL_SECONDS`, for at most
``LOCAL_NODE_WAIT_SECONDS`` in all (one budget per command, shared by every request). Nothing
else is retried: a remote node, a timeout or a bad answer is reported at once, as ERROR.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from typing import Final, TypeVar
from urllib.parse import urlsplit

import requests

from verifier._internal.chain import ChainReader
from verifier._internal.defaults import LOCAL_NODE_WAIT_SECONDS
from verifier.errors import ChainResponseError, ChainUnavailableError

_T = TypeVar("_T")

#: Seconds between two attempts on a local server that refused the connection.
RETRY_INTERVAL_SECONDS: Final = 0.25


def is_loopback_url(url: str) -> bool:
    """True when ``url``'s host is this machine (``localhost`` or a loopback address)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Patience:
    """The one waiting budget of a command: it starts at the first refusal and is never renewed.

    ``on_wait`` is told each URL the first time it is waited for (``tanji verify`` says so on
    standard error).
    """

    def __init__(
        self,
        seconds: float = LOCAL_NODE_WAIT_SECONDS,
        *,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.seconds = seconds
        self.on_wait = on_wait
        self._deadline: float | None = None
        self._told: set[str] = set()

    def wait(self, url: str) -> bool:
        """Sleep before another attempt on ``url``; False (at once) when the budget is spent or
        ``url`` is not on this machine."""
        if not is_loopback_url(url):
            return False
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self.seconds
        if now + RETRY_INTERVAL_SECONDS > self._deadline:
            return False
        if url not in self._told:
            self._told.add(url)
            if self.on_wait is not None:
                self.on_wait(url)
        time.sleep(RETRY_INTERVAL_SECONDS)
        return True

    def call(self, url: str, fn: Callable[[], _T], refused: Callable[[Exception], bool]) -> _T:
        """``fn()``, tried again while it fails with an exception ``refused`` accepts and
        :meth:`wait` allows."""
        while True:
            try:
                return fn()
            except Exception as exc:
                if not refused(exc) or not self.wait(url):
                    raise


def connection_refused(exc: BaseException) -> bool:
    """True when a chain request failed because nothing accepted the connection."""
    from web3.exceptions import ProviderConnectionError  # web3 costs ~1 s to import: only here

    cause = exc.__cause__ if isinstance(exc, ChainUnavailableError) else exc
    if isinstance(exc, ChainResponseError) or isinstance(cause, requests.Timeout):
        return False
    return isinstance(
        cause, requests.ConnectionError | ProviderConnectionError | ConnectionRefusedError
    )


class PatientChainReader(ChainReader):
    """A :class:`ChainReader` that waits (within ``patience``) for a local node to listen."""

    def __init__(self, rpc_url: str, *, timeout: float, patience: Patience) -> None:
        """As :class:`ChainReader`; ``patience`` is the command's waiting budget."""
        super().__init__(rpc_url, timeout=timeout)
        self._patience = patience

    def _call(self, what: str, fn: Callable[[], _T]) -> _T:
        return self._patience.call(
            self.rpc_url,
            lambda: super(PatientChainReader, self)._call(what, fn),
            connection_refused,
        )


def reader_factory(patience: Patience) -> Callable[[str, float], ChainReader]:
    """A ``Verifier`` chain-reader factory: patient readers for local nodes, plain ones else."""

    def make(url: str, timeout: float) -> ChainReader:
        if is_loopback_url(url):
            return PatientChainReader(url, timeout=timeout, patience=patience)
        return ChainReader(url, timeout=timeout)

    return make
