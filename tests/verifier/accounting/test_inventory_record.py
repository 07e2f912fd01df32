"""An inventory as an anchored record, one field per line (docs/PROTOCOL.md section 17.6), and
``tanji verify BUNDLE --inventory INVENTORY_BUNDLE`` with full and partial disclosure."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.verifier.accounting.samples import dataset, inventory, version_bundle
from tests.verifier.accounting.test_verify_inventory import calculation, footprint_record
from tests.verifier.factories import Tree, hx, make_bundle, redact, salt_for
from verifier.cli import main
from verifier.protocol.accounting import (
    AccountingError,
    disclosed_document,
    document_digest,
    inventory_document,
    inventory_record,
    line_field,
)
from verifier.protocol.leaf import field_salt, record_commitments, record_leaf_value

RECORD_ID = "inv-fp-test"


def record() -> dict[str, Any]:
    return inventory_record(inventory(), RECORD_ID)


def test_the_record_has_one_field_per_line_and_round_trips() -> None:
    doc = inventory()
    rec = record()
    assert rec["type"] == "inventory" and rec["id"] == RECORD_ID
    assert rec["line_ids"] == ["L1", "L2", "L3", "L4", "L5"]
    assert rec[line_field("L3")] == doc["lines"][2]
    assert "lines" not in rec["inventory"]
    back = inventory_document(rec)
    assert back == doc and document_digest(back) == document_digest(doc)
    # Each line has its own commitment.
    commitments = record_commitments(rec, salt_for(RECORD_ID))
    assert len({commitments[line_field(i)] for i in rec["line_ids"]}) == 5


def test_partial_disclosure_gives_the_disclosed_lines() -> None:
    rec = record()
    shown = {k: v for k, v in rec.items() if k not in (line_field("L2"), line_field("L4"))}
    document, hidden = disclosed_document(shown)
    assert [line["id"] for line in document["lines"]] == ["L1", "L3", "L5"]
    assert hidden == ["L2", "L4"]
    with pytest.raises(AccountingError):
        inventory_document(shown)


def test_a_duplicate_line_id_or_an_unlisted_line_is_refused() -> None:
    doc = inventory()
    doc["lines"].append(copy.deepcopy(doc["lines"][0]))
    with pytest.raises(AccountingError):
        inventory_record(doc, RECORD_ID)
    rec = record()
    rec[line_field("L9")] = rec[line_field("L1")]
    with pytest.raises(AccountingError) as caught:
        disclosed_document(rec)
    assert caught.value.issues[0].code == "unlisted_line"


def _write(tmp_path: Path, name: str, bundle: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(bundle, ensure_ascii=False), "utf-8")
    return path


def _bundles(tmp_path: Path, hide: list[str], inventory_field: bool = True) -> dict[str, Path]:
    """A footprint bundle and an inventory bundle anchored in one tree (offline verification)."""
    block = calculation()
    if inventory_field:
        block["inventory_record"] = RECORD_ID
    fp = footprint_record(block)
    inv = record()
    fp_salt, inv_salt = salt_for(fp["id"]), salt_for(RECORD_ID)
    tree = Tree.of([record_leaf_value(fp, fp_salt), record_leaf_value(inv, inv_salt)])
    inv_bundle = make_bundle(inv, inv_salt, tree, 1)
    if hide:
        inv_bundle = redact(inv_bundle, [line_field(i) for i in hide])
    factors = tmp_path / "factors.json"
    factors.write_text(json.dumps(version_bundle(dataset()), ensure_ascii=False), "utf-8")
    return {
        "footprint": _write(tmp_path, "footprint.json", make_bundle(fp, fp_salt, tree, 0)),
        "inventory": _write(tmp_path, "inventory.bundle.json", inv_bundle),
        "factors": factors,
    }


def run(paths: dict[str, Path], *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    argv = [str(paths["footprint"]), "--offline", "--inventory", str(paths["inventory"])]
    return main([*argv, "--factors", str(paths["factors"]), *extra], out=out), out.getvalue()


def test_a_fully_disclosed_inventory_bundle_matches(tmp_path: Path) -> None:
    code, out = run(_bundles(tmp_path, []))
    assert code == 0, out
    assert "MATCH: inventory" in out and "19.970600000" in out, out


def test_a_partly_disclosed_inventory_checks_its_lines(tmp_path: Path) -> None:
    paths = _bundles(tmp_path, ["L2", "L4"])
    code, out = run(paths)
    assert code == 0, out
    assert (
        "the 3 disclosed lines (L1, L3, L5) equal the record's line values; 2 lines are not "
        "disclosed, so the total was not recomputed"
    ) in out, out
    code, out = run(paths, "--json")
    assert code == 0 and json.loads(out)["inventory"]["status"] == "MATCH", out


def test_a_changed_line_value_in_the_record_is_named(tmp_path: Path) -> None:
    paths = _bundles(tmp_path, ["L2"])
    block = calculation(line_values=calculation()["line_values"] | {"L3": "0.07"})
    block["inventory_record"] = RECORD_ID
    fp = footprint_record(block)
    tree = Tree.of([record_leaf_value(fp, salt_for(fp["id"]))])
    _write(tmp_path, "footprint.json", make_bundle(fp, salt_for(fp["id"]), tree, 0))
    code, out = run(paths)
    assert code == 1, out
    assert "the first line that differs is L3 (lines[1])" in out, out


def test_a_tampered_disclosed_line_is_invalid(tmp_path: Path) -> None:
    paths = _bundles(tmp_path, ["L2"])
    bundle = json.loads(paths["inventory"].read_text("utf-8"))
    bundle["record"][line_field("L3")]["amount"] = "1.1"
    paths["inventory"].write_text(json.dumps(bundle), "utf-8")
    code, out = run(paths)
    assert code == 1, out
    assert "INVALID" in out and "does not give its leaf value" in out, out


def test_a_hidden_line_cannot_be_forged(tmp_path: Path) -> None:
    """Disclosing a made-up value for a hidden line needs a salt whose commitment is the hidden
    one: a guessed salt gives another digest, so the bundle is INVALID."""
    paths = _bundles(tmp_path, ["L2"])
    bundle = json.loads(paths["inventory"].read_text("utf-8"))
    del bundle["disclosure"]["hidden"][line_field("L2")]
    forged = inventory()["lines"][1] | {"amount": "6"}
    bundle["record"][line_field("L2")] = forged
    bundle["disclosure"]["salts"][line_field("L2")] = hx(field_salt(b"\x01" * 32, "line:L2"))
    paths["inventory"].write_text(json.dumps(bundle, ensure_ascii=False), "utf-8")
    code, out = run(paths)
    assert code == 1, out
    assert "INVALID" in out, out


def test_another_inventory_than_the_footprint_names(tmp_path: Path) -> None:
    paths = _bundles(tmp_path, [])
    fp = footprint_record(calculation() | {"inventory_record": "inv-other"})
    tree = Tree.of([record_leaf_value(fp, salt_for(fp["id"]))])
    _write(tmp_path, "footprint.json", make_bundle(fp, salt_for(fp["id"]), tree, 0))
    code, out = run(paths)
    assert code == 1, out
    assert "the footprint names the inventory record inv-other" in out, out


def test_a_missing_dataset_is_an_error_naming_it(tmp_path: Path) -> None:
    paths = _bundles(tmp_path, ["L2"])
    out = io.StringIO()
    argv = [str(paths["footprint"]), "--offline", "--inventory", str(paths["inventory"])]
    code = main(argv, out=out)
    assert code == 2, out.getvalue()
    assert "ERROR" in out.getvalue() and "test-data@1" in out.getvalue(), out.getvalue()
