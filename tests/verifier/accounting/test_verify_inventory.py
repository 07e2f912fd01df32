"""``tanji verify BUNDLE --inventory FILE --factors FILE``: recompute, compare, exit code."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.verifier.accounting.samples import dataset, inventory, version_bundle
from tests.verifier.factories import Tree, make_bundle, salt_for
from verifier.cli import main
from verifier.protocol.accounting import (
    ENGINE_VERSION,
    calculate,
    parse_factor_dataset,
    parse_inventory,
)
from verifier.protocol.leaf import record_leaf_value

ROOT = Path(__file__).resolve().parents[3]


def computed() -> dict[str, Any]:
    return calculate(parse_inventory(inventory()), [parse_factor_dataset(dataset())]).to_dict()


def calculation(**changes: Any) -> dict[str, Any]:
    result = computed()
    block = {
        "engine": ENGINE_VERSION,
        "inventory_digest": result["inventory"]["digest"],
        "factor_datasets": result["factor_datasets"],
        "kg_co2e_per_unit": result["kg_co2e_per_unit"],
        "line_values": {line["id"]: line["kg_co2e"] for line in result["lines"]},
    }
    block.update(changes)
    return block


def footprint_record(block: dict[str, Any] | None, value: float = 19.9706) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "footprint",
        "id": "fp-test",
        "category": "laptop",
        "declared_unit": "unit",
        "declared_amount": 1.0,
        "kg_co2e_per_unit": value,
    }
    if block is not None:
        record["calculation"] = block
    return record


def write_bundle(tmp_path: Path, record: dict[str, Any]) -> Path:
    salt = salt_for(record["id"])
    other = {"type": "footprint", "id": "fp-other"}
    tree = Tree.of([record_leaf_value(record, salt), record_leaf_value(other, salt_for("o"))])
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(make_bundle(record, salt, tree, 0)), "utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps(inventory(), ensure_ascii=False), "utf-8")
    factors = tmp_path / "factors.json"
    factors.write_text(json.dumps(version_bundle(dataset()), ensure_ascii=False), "utf-8")
    return {"inventory": inv, "factors": factors}


def run(bundle: Path, files: dict[str, Path], *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    argv = [str(bundle), "--offline", "--inventory", str(files["inventory"])]
    argv += ["--factors", str(files["factors"]), *extra]
    return main(argv, out=out), out.getvalue()


def test_a_computed_footprint_matches(tmp_path: Path, files: dict[str, Path]) -> None:
    code, out = run(write_bundle(tmp_path, footprint_record(calculation())), files)
    assert code == 0, out
    assert (
        f"MATCH: inventory {files['inventory']}: recomputed 19.970600000 kg CO2e per declared "
        f"unit with {ENGINE_VERSION}: equal to the record"
    ) in out


def test_the_first_differing_line_is_named(tmp_path: Path, files: dict[str, Path]) -> None:
    values = calculation()["line_values"] | {"L3": "0.070000000", "L4": "1"}
    record = footprint_record(calculation(line_values=values, kg_co2e_per_unit="19.9806"))
    code, out = run(write_bundle(tmp_path, record), files)
    assert code == 1, out
    assert (
        "MISMATCH: inventory "
        f"{files['inventory']}: the first line that differs is L3 (lines[2]): the record has "
        "0.070000000 kg CO2e, recomputed 0.060000000"
    ) in out
    assert "the record states 19.9806 kg CO2e per declared unit; recomputed 19.970600000" in out


def test_a_total_mismatch_without_line_values(tmp_path: Path, files: dict[str, Path]) -> None:
    block = calculation(kg_co2e_per_unit="19.970600001")
    del block["line_values"]
    code, out = run(write_bundle(tmp_path, footprint_record(block)), files)
    assert code == 1 and "MISMATCH" in out and "19.970600001" in out, out


def test_a_record_without_calculation_compares_the_number(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    code, out = run(write_bundle(tmp_path, footprint_record(None, 19.9706)), files)
    assert code == 0 and "MATCH" in out, out
    code, out = run(write_bundle(tmp_path, footprint_record(None, 19.97)), files)
    assert code == 1 and "the record states 19.97 kg CO2e" in out, out


def test_a_label_records_footprint_section(tmp_path: Path, files: dict[str, Path]) -> None:
    record = {
        "type": "label",
        "id": "CQ-LBL-2026-000001",
        "footprint": {"id": "fp-test", "kg_co2e_per_unit": 19.9706, "calculation": calculation()},
    }
    code, out = run(write_bundle(tmp_path, record), files)
    assert code == 0 and "MATCH" in out, out


def test_a_dataset_the_record_does_not_name_is_not_anchored(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    block = calculation(factor_datasets=[{"dataset": "cn-grid", "version": "1", "digest": "0x00"}])
    code, out = run(write_bundle(tmp_path, footprint_record(block)), files)
    assert code == 1, out
    assert (
        "the factor dataset test-data@1 is not named by the record: it is not anchored with this "
        "footprint" in out
    )
    assert "the record names the factor dataset cn-grid@1, which the inventory does not use" in out


def test_another_inventory_is_told_by_its_digest(tmp_path: Path, files: dict[str, Path]) -> None:
    block = calculation(inventory_digest="0x" + "00" * 32)
    code, out = run(write_bundle(tmp_path, footprint_record(block)), files)
    assert code == 1 and "is not the one the record names" in out, out


def test_a_dataset_not_given_is_an_error(tmp_path: Path, files: dict[str, Path]) -> None:
    bundle = write_bundle(tmp_path, footprint_record(calculation()))
    out = io.StringIO()
    code = main([str(bundle), "--offline", "--inventory", str(files["inventory"])], out=out)
    assert code == 2
    assert (
        "ERROR: inventory "
        f"{files['inventory']}: the factor dataset test-data@1 was not given (--factors) and the "
        "bundle carries none" in out.getvalue()
    )


def test_a_refused_inventory_names_code_and_path(tmp_path: Path, files: dict[str, Path]) -> None:
    doc = inventory()
    doc["lines"][1]["unit"] = "kg"
    files["inventory"].write_text(json.dumps(doc), "utf-8")
    code, out = run(write_bundle(tmp_path, footprint_record(calculation())), files)
    assert code == 2
    expected = "refused (unit_mismatch at lines[1].unit): the unit kg does not convert to kWh"
    assert f"{files['inventory']}: {expected}" in out, out
    # Each fault is told from the catalogue, in the language asked for.
    code, out = run(write_bundle(tmp_path, footprint_record(calculation())), files, "--lang", "zh")
    assert code == 2
    assert "被拒绝（unit_mismatch 位于 lines[1].unit）：单位 kg 无法换算为 kWh" in out, out


def test_json_output_and_chinese(tmp_path: Path, files: dict[str, Path]) -> None:
    bundle = write_bundle(tmp_path, footprint_record(calculation()))
    code, out = run(bundle, files, "--json")
    report = json.loads(out)
    assert code == 0 and report["inventory"]["status"] == "MATCH"
    assert report["inventory"]["computed"]["kg_co2e_per_unit"] == "19.970600000"
    code, out = run(bundle, files, "--lang", "zh-HK")
    assert code == 0 and "重新計算得每聲明單位 19.970600000 kg CO2e，與紀錄一致" in out


def test_one_bundle_only(tmp_path: Path, files: dict[str, Path]) -> None:
    bundle = write_bundle(tmp_path, footprint_record(calculation()))
    out = io.StringIO()
    argv = [str(bundle), str(bundle), "--offline", "--inventory", str(files["inventory"])]
    assert main(argv, out=out) == 2
    assert "--inventory checks one bundle; 2 were given" in out.getvalue()


def test_the_command_line_runs_as_a_program(tmp_path: Path, files: dict[str, Path]) -> None:
    bundle = write_bundle(tmp_path, footprint_record(calculation()))
    argv = [sys.executable, "-m", "verifier", str(bundle), "--offline"]
    argv += ["--inventory", str(files["inventory"]), "--factors", str(files["factors"])]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0 and "MATCH: inventory" in done.stdout, done.stderr
