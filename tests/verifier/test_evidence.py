"""The label record's ``evidence`` member (verifier.protocol.evidence) and ``--evidence``."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from verifier import cli
from verifier.protocol.evidence import (
    EvidenceFormatError,
    find_document,
    record_evidence,
)

PDF = b"%PDF-1.7\n%%EOF\n"
ITEM = {"sha256": hashlib.sha256(PDF).hexdigest(), "mediaType": "application/pdf", "name": "a.pdf"}


def test_a_record_without_the_member_has_no_evidence() -> None:
    assert record_evidence({"type": "label", "id": "x"}) == ()
    found = find_document({"type": "label", "id": "x", "evidence": [ITEM]}, PDF)
    assert found is not None and found.name == "a.pdf"
    assert find_document({"evidence": [ITEM]}, PDF + b" ") is None


@pytest.mark.parametrize(
    ("member", "path"),
    [
        ({"a": 1}, "evidence"),
        ([{**ITEM, "extra": 1}], "evidence[0]"),
        ([{**ITEM, "sha256": ITEM["sha256"].upper()}], "evidence[0].sha256"),
        ([ITEM, {**ITEM, "mediaType": "text/html"}], "evidence[1].mediaType"),
        ([{**ITEM, "name": ""}], "evidence[0].name"),
    ],
)
def test_a_malformed_member_names_where(member: object, path: str) -> None:
    with pytest.raises(EvidenceFormatError) as caught:
        record_evidence({"evidence": member})
    assert caught.value.path == path


def test_verify_evidence_offline(tmp_path: Path) -> None:
    """The per-file outcome and exit code (the bundle here is not a real one: offline, its own
    checks fail, and the evidence lines are still printed)."""
    bundle = tmp_path / "b.json"
    bundle.write_text(json.dumps({"format": "tanji-bundle/1", "record": {"evidence": [ITEM]}}))
    good, other = tmp_path / "a.pdf", tmp_path / "b.pdf"
    good.write_bytes(PDF)
    other.write_bytes(PDF + b"x")
    out = io.StringIO()
    cli.main([str(bundle), "--offline", "--evidence", str(good), str(other)], out=out)
    text = out.getvalue()
    assert f"MATCH: evidence {good}: SHA-256 {ITEM['sha256']}" in text
    assert f"MISMATCH: evidence {other}:" in text
    out = io.StringIO()
    code = cli.main([str(bundle), "--offline", "--evidence", str(tmp_path / "none")], out=out)
    assert code != 0 and "ERROR: evidence" in out.getvalue()
