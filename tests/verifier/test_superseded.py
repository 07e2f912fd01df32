"""A superseded record is its own outcome: genuine and replaced, not INVALID (verdicts.py).

A real anchor contract on a real ``hardhat node``: one leaf revoked with reason 1 (superseded),
one with reason 2 (withdrawn). ``tanji verify`` reads the first as SUPERSEDED (exit 3) and the
second as INVALID (exit 1); a superseded record nested in a label still fails it.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest

from tests.nodes import free_port
from tests.verifier.onchain import make_deployment, send
from verifier import cli
from verifier._internal.verifier import Verifier
from verifier.protocol.codes import Code
from verifier.protocol.reasons import RevocationReason
from verifier.protocol.verdicts import Status, Verdict, verdict_of

pytestmark = pytest.mark.hardhat


def test_the_verdict_rule() -> None:
    assert verdict_of([Status.VALID, Status.SUPERSEDED]) is Verdict.SUPERSEDED
    assert verdict_of([Status.SUPERSEDED, Status.INVALID]) is Verdict.INVALID
    assert verdict_of([Status.SUPERSEDED, Status.ERROR]) is Verdict.ERROR
    assert verdict_of([Status.VALID, Status.SKIPPED], pending=True) is Verdict.PENDING
    assert verdict_of([]) is Verdict.ERROR
    assert verdict_of(["VALID", "SKIPPED"]) is Verdict.VALID


def test_superseded_is_not_invalid(hardhat_url: str, tmp_path: Path) -> None:
    deployment = make_deployment(hardhat_url)
    batch = deployment.anchor("label")
    for index, reason in ((0, RevocationReason.SUPERSEDED), (1, RevocationReason.WITHDRAWN)):
        leaf_proof = batch.tree.proof(index)
        leaf = batch.tree.nodes[batch.tree.positions[index]]
        send(
            deployment.w3,
            deployment.issuer,
            deployment.contract.functions.revokeLeaf(batch.tree.root, leaf, leaf_proof, reason),
        )
    verifier = Verifier(trust=deployment.trust())

    superseded = verifier.verify(batch.bundles[0])
    assert superseded.status is Verdict.SUPERSEDED and not superseded.valid
    (check,) = [r for r in superseded.results if r.name == "not_revoked"]
    assert (check.status, check.code) == (Status.SUPERSEDED, Code.REVOKED_SUPERSEDED)
    assert check.data["reasonName"] == "superseded"
    assert "genuine" in check.message("en") and "曾真实有效" in check.message("zh-Hans")
    assert verifier.verify(batch.bundles[1]).status is Verdict.INVALID
    assert verifier.verify(batch.bundles[2]).status is Verdict.VALID

    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(deployment.trust_json()), "utf-8")
    files = []
    for index in range(3):
        path = tmp_path / f"b{index}.json"
        path.write_text(json.dumps(batch.bundles[index]), "utf-8")
        files.append(str(path))

    out = StringIO()
    assert cli.main([files[0], "--trust", str(trust)], out=out) == cli.EXIT_SUPERSEDED == 3
    text = out.getvalue()
    assert text.startswith(f"SUPERSEDED: {files[0]} (label ")
    assert "SUPERSEDED not_revoked" in text and "FAIL" not in text
    # A bundle file does not name its replacement; the command says where to look.
    assert "does not name the label that replaced it" in text

    out = StringIO()
    assert cli.main([files[0], "--trust", str(trust), "--lang", "zh-Hant"], out=out) == 3
    assert "已被取代" in out.getvalue() and "superseded:" not in out.getvalue()

    out = StringIO()
    assert cli.main([files[0], "--trust", str(trust), "--json"], out=out) == 3
    report = json.loads(out.getvalue())
    assert report["status"] == "SUPERSEDED" and report["supersededBy"] is None

    # Several inputs: invalid wins over superseded, superseded over valid.
    assert cli.main([files[0], files[1], "--trust", str(trust)], out=StringIO()) == 1
    assert cli.main([files[2], files[0], "--trust", str(trust)], out=StringIO()) == 3
    # With the node down nothing is superseded or valid: it could not be checked.
    down = f"http://127.0.0.1:{free_port()}"
    out = StringIO()
    code = cli.main(
        [files[0], "--trust", str(trust), "--rpc-url", down, "--local-wait", "0"], out=out
    )
    assert code == cli.EXIT_ERROR, out.getvalue()
