"""``/rpc`` under attack, through a real ``tanji serve``: gas, batch and request limits hold, and
hostile calls do not hold up anchoring.

Before these limits one request of 5 looping ``eth_call``s (30M gas each) took 37 s and delayed
anchoring by 26 s: every request ran under the lock the anchoring loop writes with.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from anchoring.rpc import INVALID_REQUEST, SERVER_ERROR
from anchoring.rpc_limits import DEFAULT_GAS_CAP, DEFAULT_MAX_BATCH, DEFAULT_RATE_BURST
from registry.api.ratelimit import TokenBuckets
from registry.errors import RateLimitedError
from tests.registry.factories import bearer, numbered
from tests.registry.server import WAIT_SECONDS, create_org, serve, wait_anchored

#: Init code that never ends (JUMPDEST, PUSH1 0, JUMP): an ``eth_call`` without ``to`` runs it.
LOOP = "0x5b600056"
#: A second loopback address: a client the server tells apart from 127.0.0.1.
OTHER_CLIENT = "127.0.0.2"
THIRD_CLIENT = "127.0.0.3"


def _call(method: str, *params: Any, request_id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": [*params]}


def _blake2f(rounds: int) -> dict[str, Any]:
    """The costliest call per gas on py-evm: the blake2f precompile, one gas a round."""
    data = rounds.to_bytes(4, "big") + bytes(64 + 128 + 16) + b"\x01"
    return {"to": "0x" + "00" * 19 + "09", "data": "0x" + data.hex()}


#: Hostile calls: a loop, and blake2f with as many rounds as the default cap allows.
HOSTILE = [
    _call("eth_call", {"data": LOOP}),
    _call("eth_call", _blake2f(DEFAULT_GAS_CAP - 21_000 - 1_000)),
]


# --- the token bucket ---------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = _Clock()
    limiter = TokenBuckets(rate_per_second=2, burst=3, what="requests to /rpc", clock=clock)
    for _ in range(3):
        limiter.take("a")
    with pytest.raises(RateLimitedError) as refused:
        limiter.take("a")
    assert refused.value.status_code == 429 and refused.value.code == "rate_limited"
    assert refused.value.retry_after == 1
    assert "requests to /rpc" in str(refused.value)
    limiter.take("b")  # another client has its own bucket
    clock.now += 0.5  # one token back at 2 a second
    limiter.take("a")
    with pytest.raises(RateLimitedError):
        limiter.take("a")
    clock.now += 60  # refilled to the burst, never beyond it
    for _ in range(3):
        limiter.take("a")
    with pytest.raises(RateLimitedError):
        limiter.take("a")


def test_token_bucket_retry_after_is_the_wait_for_a_token() -> None:
    clock = _Clock()
    limiter = TokenBuckets(rate_per_second=0.1, burst=1, clock=clock)
    limiter.take("a")
    with pytest.raises(RateLimitedError) as refused:
        limiter.take("a")
    assert refused.value.retry_after == 10
    clock.now += 4
    with pytest.raises(RateLimitedError) as refused:
        limiter.take("a")
    assert refused.value.retry_after == 6


def test_token_bucket_memory_is_bounded() -> None:
    clock = _Clock()
    limiter = TokenBuckets(rate_per_second=1, burst=1, max_clients=2, clock=clock)
    for client in ("a", "b", "c"):
        limiter.take(client)
    # "a", the least recently seen, was forgotten: its bucket is full again.
    limiter.take("a")
    with pytest.raises(RateLimitedError):
        limiter.take("c")


# --- through a real server ----------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    url: str
    key: str  # an enterprise's API key
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time the process has used (user + system, from /proc; 10 ms ticks)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("rpc_limits") / "data"
    key = create_org(data)
    with serve(data, data.parent / "serve.log") as (proc, url):
        yield Server(url, key, proc.pid)


def _post(url: str, body: Any, timeout: float = WAIT_SECONDS) -> httpx.Response:
    return httpx.post(f"{url}/rpc", json=body, timeout=timeout)


def _timed(server: Server, body: Any) -> tuple[dict[str, Any], float, float]:
    """The answer to ``body``, and the medians of three tries' wall time and server CPU time."""
    walls, cpus = [], []
    for _ in range(3):
        started, cpu = time.monotonic(), server.cpu_seconds()
        r = _post(server.url, body)
        walls.append(time.monotonic() - started)
        cpus.append(server.cpu_seconds() - cpu)
        assert r.status_code == 200, r.text
    return r.json(), statistics.median(walls), statistics.median(cpus)


@pytest.mark.slow
def test_a_looping_call_answers_out_of_gas_at_the_cap(server: Server) -> None:
    url = server.url
    _post(url, _call("eth_call", {"data": LOOP}))  # the first call loads the EVM's code
    loop = _call("eth_call", {"data": LOOP, "gas": hex(30_000_000)})
    looped, loop_wall, loop_cpu = _timed(server, loop)
    error = looped["error"]
    assert error["code"] == SERVER_ERROR
    assert error["message"] == (
        f"out of gas (supplied gas {DEFAULT_GAS_CAP}, the gas cap of this endpoint)"
    )
    estimate = _post(url, _call("eth_estimateGas", {"data": LOOP})).json()["error"]
    assert estimate["message"].startswith(f"gas required exceeds allowance ({DEFAULT_GAS_CAP}")
    costly, costly_wall, costly_cpu = _timed(server, HOSTILE[1])
    assert "result" in costly, costly
    print(
        f"\nover HTTP, median of 3 (wall / server CPU): a looping eth_call "
        f"{loop_wall * 1000:.0f} / {loop_cpu * 1000:.0f} ms; blake2f with all of the "
        f"{DEFAULT_GAS_CAP:,} gas cap {costly_wall * 1000:.0f} / {costly_cpu * 1000:.0f} ms"
    )


@pytest.mark.slow
def test_a_batch_over_the_limit_is_refused(server: Server) -> None:
    url = server.url
    batch = [_call("eth_blockNumber", request_id=i) for i in range(DEFAULT_MAX_BATCH + 1)]
    refused = _post(url, batch)
    assert refused.status_code == 200
    body = refused.json()
    assert isinstance(body, dict) and body["id"] is None
    assert body["error"]["code"] == INVALID_REQUEST
    assert body["error"]["data"] == {"maxBatch": DEFAULT_MAX_BATCH}
    answered = _post(url, batch[:DEFAULT_MAX_BATCH]).json()
    assert [a["id"] for a in answered] == list(range(DEFAULT_MAX_BATCH))


@pytest.mark.slow
def test_a_client_hammering_rpc_gets_429_with_retry_after(server: Server) -> None:
    url = server.url
    transport = httpx.HTTPTransport(local_address=OTHER_CLIENT)
    refused: httpx.Response | None = None
    with httpx.Client(transport=transport, timeout=30) as hammer:
        served = 0
        while refused is None and served < 5_000:
            r = hammer.post(f"{url}/rpc", json=_call("eth_chainId"))
            if r.status_code == 429:
                refused = r
            else:
                assert r.status_code == 200, r.text
                served += 1
        assert refused is not None, "5,000 requests and never a 429"
        print(f"\n429 after {served} requests from {OTHER_CLIENT}")
        retry_after = int(refused.headers["Retry-After"])
        assert retry_after >= 1
        error = refused.json()["error"]
        assert error["code"] == "rate_limited" and "Retry-After" not in error["message"]
        assert error["details"] == [{"retry_after": retry_after}]
        # Another client is not held back by it ...
        assert _post(url, _call("eth_chainId")).status_code == 200
        # ... and this one is served again once it has waited as told.
        time.sleep(retry_after)
        assert hammer.post(f"{url}/rpc", json=_call("eth_chainId")).status_code == 200


@pytest.mark.slow
def test_a_batch_costs_a_token_a_call(server: Server) -> None:
    url = server.url
    batch = [_call("eth_chainId", request_id=i) for i in range(DEFAULT_MAX_BATCH)]
    transport = httpx.HTTPTransport(local_address=THIRD_CLIENT)
    with httpx.Client(transport=transport, timeout=30) as client:
        statuses = [client.post(f"{url}/rpc", json=batch).status_code for _ in range(20)]
    # The burst holds DEFAULT_RATE_BURST calls: that many in batches, then 429s.
    full = DEFAULT_RATE_BURST // DEFAULT_MAX_BATCH
    assert statuses[:full] == [200] * full and 429 in statuses[full : full + 2], statuses


def _anchoring_seconds(url: str, key: str, i: int) -> float:
    started = time.monotonic()
    r = httpx.post(f"{url}/api/v1/footprints", json=numbered(i), headers=bearer(key), timeout=60)
    assert r.status_code == 201, r.text
    wait_anchored(url, f"/api/v1/footprints/{r.json()['id']}", bearer(key))
    return time.monotonic() - started


@pytest.mark.slow
def test_hostile_calls_do_not_hold_up_anchoring(server: Server) -> None:
    url, key = server.url, server.key
    quiet = _anchoring_seconds(url, key, 1)
    stop = threading.Event()
    answered: list[tuple[int, float]] = []
    statuses: list[int] = []

    def attack() -> None:
        # Full batches of the costliest calls the limits let through, back to back.
        batch = [{**HOSTILE[i % 2], "id": i} for i in range(DEFAULT_MAX_BATCH)]
        with httpx.Client(timeout=WAIT_SECONDS) as client:
            while not stop.is_set():
                started = time.monotonic()
                r = client.post(f"{url}/rpc", json=batch)
                statuses.append(r.status_code)
                if r.status_code == 200:
                    answered.append((len(r.json()), time.monotonic() - started))

    attackers = [threading.Thread(target=attack) for _ in range(3)]
    for attacker in attackers:
        attacker.start()
    try:
        while not answered:  # the attack is under way
            time.sleep(0.05)
        delays = [_anchoring_seconds(url, key, i) for i in range(2, 5)]
    finally:
        stop.set()
        for attacker in attackers:
            attacker.join(WAIT_SECONDS)
    calls = sum(n for n, _ in answered)
    slowest = max(seconds for _, seconds in answered)
    print(
        f"\nanchoring a footprint: {quiet:.2f} s quiet; under attack "
        + ", ".join(f"{d:.2f} s" for d in delays)
        + f" ({calls} hostile calls answered, slowest batch of {DEFAULT_MAX_BATCH}: "
        f"{slowest:.2f} s)"
    )
    assert set(statuses) == {200}, statuses
    # Every footprint was anchored (wait_anchored's deadline); the server still answers.
    assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
