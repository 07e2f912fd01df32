"""Failed authentication is rate-limited per client, against a real ``tanji serve``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from registry.api.ratelimit import TokenBuckets
from registry.errors import RateLimitedError
from tests.registry.factories import bearer
from tests.registry.server import create_org, serve

pytestmark = pytest.mark.slow

BURST = 5
WRONG = "tnj_AAAAAAAA_" + "x" * 43


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data = tmp_path_factory.mktemp("ratelimit") / "data"
    key = create_org(data)
    env = {"TANJI_AUTH_FAILURE_BURST": str(BURST), "TANJI_AUTH_FAILURE_REFILL_SECONDS": "600"}
    with serve(data, data.parent / "serve.log", env) as (_, url):
        yield url, key


def test_guessing_keys_gets_429_with_retry_after(server: tuple[str, str]) -> None:
    url, key = server
    with httpx.Client(base_url=url) as client:
        for _ in range(BURST):
            r = client.get("/api/v1/orgs/me", headers=bearer(WRONG))
            assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
        for headers in (bearer(WRONG), {"Authorization": "Basic abc"}, bearer(key)):
            r = client.get("/api/v1/orgs/me", headers=headers)
            assert r.status_code == 429, r.text
            assert r.json()["error"]["code"] == "too_many_failed_auth"
            assert 1 <= int(r.headers["Retry-After"]) <= 600
        # Public routes are not affected.
        assert client.get("/healthz").status_code == 200


def test_another_client_is_not_locked_out(server: tuple[str, str]) -> None:
    url, key = server
    # Loopback answers any 127.0.0.0/8 source: a second client with its own address.
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=url, transport=transport) as other:
        r = other.get("/api/v1/orgs/me", headers=bearer(key))
        assert r.status_code == 200, r.text


def test_bucket_refills_one_attempt_per_period() -> None:
    now = [0.0]
    limiter = TokenBuckets(rate_per_second=0.1, burst=2, clock=lambda: now[0])
    limiter.spend("a")
    limiter.spend("a")
    limiter.spend("a")  # spending never raises; the bucket stays at zero
    with pytest.raises(RateLimitedError) as info:
        limiter.check("a")
    assert info.value.retry_after == 10
    now[0] = 10.0
    limiter.check("a")  # one attempt is back
    limiter.spend("a")
    with pytest.raises(RateLimitedError):
        limiter.check("a")
    limiter.check("b")
    now[0] = 1000.0
    limiter.check("a")
    assert limiter.tracked_clients == 0  # full buckets are forgotten


def test_memory_is_bounded() -> None:
    limiter = TokenBuckets(rate_per_second=0.1, burst=3, max_clients=100)
    for i in range(1000):
        limiter.spend(f"10.0.{i // 256}.{i % 256}")
    assert limiter.tracked_clients == 100
