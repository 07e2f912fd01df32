"""What each check reports once another has failed (docs/PROTOCOL.md section 10.0), on a real chain.

One row of the section's table per test case: a genuine bundle anchored on a real
``TanjiAnchorRegistry`` (``hardhat node``), broken in one way, and every result of the report.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.nodes import free_port
from tests.verifier.factories import hx, pending_bundle
from tests.verifier.onchain import Deployment, make_deployment
from verifier._internal.checks import DEFAULT_CHECKS
from verifier._internal.verifier import Verifier
from verifier.protocol.codes import Code

pytestmark = pytest.mark.hardhat

Results = dict[str, tuple[str, int]]
CHAIN_CHECKS = ("anchored", "not_revoked", "issuer")


@pytest.fixture(scope="module")
def dep(hardhat_url: str) -> Deployment:
    deployment = make_deployment(hardhat_url)
    deployment.anchor("label")
    deployment.anchor("attestation")
    return deployment


def results(dep: Deployment, bundle: dict[str, Any], **trust: Any) -> Results:
    report = Verifier(trust=dep.trust(**trust), timeout=3).verify(bundle)
    return {r.qualified_name: (r.status.value, int(r.code)) for r in report.results}


def label(dep: Deployment) -> dict[str, Any]:
    return copy.deepcopy(dep.batches["label"].bundles[1])


def test_results_come_in_the_documented_order(dep: Deployment) -> None:
    bundle = label(dep)
    bundle["attestations"] = []
    order = list(results(dep, bundle))
    assert order == [c.name for c in DEFAULT_CHECKS if c.name in {*CHAIN_CHECKS, *order}]
    assert order == ["format", "integrity", "inclusion", *CHAIN_CHECKS]


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(bundle: dict[str, Any]) -> None:
        node = bundle
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


ROWS: list[tuple[str, Callable[[dict[str, Any]], None], Results]] = [
    (
        "integrity INVALID: nothing else changes",
        _set(("record", "grade"), "B"),
        {"integrity": ("INVALID", 202), "inclusion": ("VALID", 0), "anchored": ("VALID", 0)},
    ),
    (
        "inclusion INVALID: anchored asks the contract about the same leaf and proof",
        _set(("proof", 0), hx(b"\xab" * 32)),
        {"inclusion": ("INVALID", 300), "anchored": ("INVALID", 404), "issuer": ("VALID", 0)},
    ),
    (
        "anchored 403: not_revoked and issuer still run",
        _set(("root",), hx(b"\xcd" * 32)),
        {"anchored": ("INVALID", 403), "not_revoked": ("VALID", 0), "issuer": ("VALID", 0)},
    ),
    (
        "anchored 405: the issuer does not know the transaction either",
        _set(("anchor", "txHash"), hx(b"\xee" * 32)),
        {"anchored": ("INVALID", 405), "not_revoked": ("VALID", 0), "issuer": ("INVALID", 601)},
    ),
    (
        "anchored 407",
        _set(("anchor", "timestamp"), 1),
        {"anchored": ("INVALID", 407), "not_revoked": ("VALID", 0), "issuer": ("VALID", 0)},
    ),
    (
        "anchored 402: not_revoked and issuer are SKIPPED 902",
        _set(("anchor", "contract"), "0x" + "12" * 20),
        {"anchored": ("INVALID", 402), "not_revoked": ("SKIPPED", 902), "issuer": ("SKIPPED", 902)},
    ),
    (
        "anchored 400: not_revoked and issuer are SKIPPED 902",
        _set(("anchor", "chainId"), 5),
        {"anchored": ("INVALID", 400), "not_revoked": ("SKIPPED", 902), "issuer": ("SKIPPED", 902)},
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_a_failed_check_leaves_the_others_as_documented(
    dep: Deployment, mutate: Callable[[dict[str, Any]], None], expected: Results
) -> None:
    bundle = label(dep)
    mutate(bundle)
    got = results(dep, bundle)
    assert {name: got[name] for name in expected} == expected
    assert got["format"] == ("VALID", 0)


def test_690_comes_before_902_when_no_issuers_are_listed(dep: Deployment) -> None:
    bundle = label(dep)
    bundle["anchor"]["chainId"] = 5
    assert results(dep, bundle, issuers=[])["issuer"] == ("SKIPPED", 690)


def test_a_malformed_nested_bundle_makes_one_malformed_document(dep: Deployment) -> None:
    bundle = label(dep)
    bundle["recognitions"] = [label(dep)]  # a label where only recognitions may stand: 120
    got = results(dep, bundle)
    assert got.pop("format") == ("INVALID", int(Code.FORMAT_WRONG_RECORD_TYPE))
    assert set(got) == {c.name for c in DEFAULT_CHECKS} - {"format"}, "outer path only"
    assert set(got.values()) == {("SKIPPED", int(Code.SKIPPED_FORMAT_INVALID))}


def test_a_node_that_does_not_answer_is_error_in_every_check_that_needs_it(
    dep: Deployment,
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    chains = [{"chainId": 31337, "rpcUrl": dead, "contracts": [dep.address]}]
    got = results(dep, label(dep), chains=chains)
    assert [got[name] for name in CHAIN_CHECKS] == [("ERROR", 990)] * 3
    assert got["inclusion"] == ("VALID", 0)
    no_url = [{"chainId": 31337, "contracts": [dep.address]}]
    got = results(dep, label(dep), chains=no_url)
    assert [got[name] for name in CHAIN_CHECKS] == [("ERROR", 408)] * 3


def test_a_pending_bundle_skips_its_chain_checks_and_its_nested_bundles_are_judged(
    dep: Deployment,
) -> None:
    record = copy.deepcopy(label(dep)["record"])
    record["id"] = "CQ-LBL-PENDING"
    bundle = pending_bundle(record, b"\x01" * 32)
    # An anchored hop under the pending label (an unsigned test record: 790 in its signature check).
    bundle["attestations"] = [copy.deepcopy(dep.batches["attestation"].bundles[0])]
    got = results(dep, bundle)
    assert got["integrity"] == ("VALID", 0)
    assert [got[n] for n in ("inclusion", *CHAIN_CHECKS)] == [("SKIPPED", 900)] * 4
    nested = [got[f"attestations[0].{n}"] for n in ("inclusion", *CHAIN_CHECKS)]
    assert nested == [("VALID", 0)] * 4
    assert got["attestations[0].attestation_signature"] == ("SKIPPED", 790)
