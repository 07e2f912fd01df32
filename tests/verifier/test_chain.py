"""``ChainReader`` failures name the node (without credentials), the call and the time limit.

The node here is a real TCP socket on loopback that accepts connections (into its backlog) and
never answers, and a port nobody listens on: no mock of the transport.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from tests.nodes import free_port
from tests.verifier.factories import anchored_set, make_bundle
from verifier._internal.chain import ChainReader, redacted_url
from verifier._internal.checks import Status
from verifier._internal.trust import parse_trust
from verifier._internal.verifier import Verdict, Verifier
from verifier.errors import ChainUnavailableError
from verifier.protocol.codes import Code

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
SECRETS = ("ops", "s3cret", "k3y", "frag")


@pytest.fixture
def silent_port() -> Iterator[int]:
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        yield int(silent.getsockname()[1])


def secret_url(port: int) -> str:
    return f"http://ops:s3cret@127.0.0.1:{port}/rpc?apikey=k3y#frag"


def _message(call: Callable[[], object]) -> str:
    with pytest.raises(ChainUnavailableError) as info:
        call()
    return str(info.value)


def test_redacted_url_drops_userinfo_query_and_fragment() -> None:
    assert redacted_url("https://ops:s3cret@node.example:8545/rpc?apikey=k3y#x") == (
        "https://node.example:8545/rpc"
    )
    assert redacted_url("http://127.0.0.1:8545") == "http://127.0.0.1:8545"
    assert redacted_url("https://ops@node.example/") == "https://node.example/"
    assert redacted_url("http://[::1]:8545/?token=k3y") == "http://[::1]:8545/"
    assert redacted_url("http://node.example:99999/") == "<unparsable node URL>"


def test_each_call_that_times_out_is_named_with_its_limit(silent_port: int) -> None:
    reader = ChainReader(secret_url(silent_port), timeout=0.5)
    shown = f"http://127.0.0.1:{silent_port}/rpc"
    tx_hash = bytes.fromhex("ab" * 32)
    for call, named in (
        (reader.chain_id, "eth_chainId"),
        (
            lambda: reader.check(CONTRACT, b"\x01" * 32, b"\x02" * 32, []),
            f"eth_call check(bytes32,bytes32,bytes32[]) on {CONTRACT}",
        ),
        (lambda: reader.transaction(tx_hash), f"eth_getTransactionByHash 0x{'ab' * 32}"),
    ):
        message = _message(call)
        assert message == f"{shown}: {named} timed out (no answer within 0.5 s)"
        assert not any(secret in message for secret in SECRETS), message


def test_a_refused_connection_names_the_call_and_hides_credentials() -> None:
    port = free_port()
    message = _message(ChainReader(secret_url(port), timeout=2).chain_id)
    assert message == (
        f"http://127.0.0.1:{port}/rpc: eth_chainId: node unreachable (connection refused)"
    )


def test_a_verification_against_a_silent_node_reports_the_call_and_no_credentials(
    silent_port: int,
) -> None:
    tree, records, salts = anchored_set(2)
    bundle = make_bundle(records[0], salts[0], tree, 0)
    trust = parse_trust(
        {
            "format": "tanji-trust/1",
            "chains": [
                {
                    "chainId": bundle["anchor"]["chainId"],
                    "rpcUrl": secret_url(silent_port),
                    "contracts": [bundle["anchor"]["contract"]],
                }
            ],
            "issuers": [{"address": "0x" + "22" * 20}],
        }
    )
    report = Verifier(trust=trust, timeout=0.5).verify(bundle)
    assert report.status is Verdict.ERROR
    anchored = next(r for r in report.results if r.name == "anchored")
    assert (anchored.status, anchored.code) == (Status.ERROR, Code.CHAIN_UNAVAILABLE)
    assert "eth_chainId timed out (no answer within 0.5 s)" in anchored.reason
    assert not any(secret in report.to_json() for secret in SECRETS)
