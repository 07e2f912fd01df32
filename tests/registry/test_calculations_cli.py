"""``tanji footprint calc FILE`` with the example inventories, through ``registry.cli.main``.

Offline (the shipped starter datasets, files given with ``--factors``), refusals with the code
and the line at fault, and ``--submit`` into a data dir's database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from registry.cli import main
from registry.config import load_settings
from registry.crud.orgs import create_org
from registry.db import make_engine, migrate
from registry.factors.models import FootprintFactor
from registry.models.footprints import Footprint
from registry.models.orgs import OrgRole
from tests.registry.calculations_data import (
    EXAMPLE_FILES,
    EXAMPLES,
    example,
    publish_starter_datasets,
)
from verifier.protocol.accounting import document_digest


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data_dir(tmp_path: Path) -> str:
    """A data dir with no database: the command must not need one."""
    return str(tmp_path / "data")


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_json_result_of_each_example(
    capsys: pytest.CaptureFixture[str], data_dir: str, name: str
) -> None:
    code, out, _ = run(
        capsys, "footprint", "calc", str(EXAMPLES / name), "--json", "--data-dir", data_dir
    )
    assert code == 0
    result = json.loads(out)
    document = example(name)
    assert result["inventory"]["digest"] == document_digest(document)
    assert result["category"] == document["category"]
    assert float(result["kg_co2e_per_unit"]) > 0
    assert set(result) >= {"by_stage", "by_gas", "by_source", "lines", "interval", "engine"}
    assert result["interval"]["iterations"] == 1000
    assert not Path(data_dir).exists()  # offline: no database was created


def test_known_values_of_the_examples(capsys: pytest.CaptureFixture[str], data_dir: str) -> None:
    values = {}
    for name in EXAMPLE_FILES:
        _, out, _ = run(
            capsys, "footprint", "calc", str(EXAMPLES / name), "--json", "--data-dir", data_dir
        )
        values[name] = json.loads(out)["kg_co2e_per_unit"]
    assert values == {
        "laptop.json": "168.363400000",  # kg CO2e per laptop, cradle to grave
        "lfp-battery-pack.json": "62.939583333",  # per kWh of capacity
        "cement.json": "684.330160000",  # per tonne
        "hotpot-seasoning.yaml": "3.383720000",  # per kg
    }


def test_table_output(capsys: pytest.CaptureFixture[str], data_dir: str) -> None:
    code, out, _ = run(
        capsys, "footprint", "calc", str(EXAMPLES / "cement.json"), "--data-dir", data_dir
    )
    assert code == 0
    assert "684.330160000 kg CO2e per 1 t" in out
    assert "95 % interval" in out and "seed 0" in out
    assert "raw_materials" in out and "by gas" in out
    assert "illustrative factor" in out
    assert "sub-inventory" in out and "clinker" in out


def test_seeded_monte_carlo_is_reproducible(
    capsys: pytest.CaptureFixture[str], data_dir: str
) -> None:
    args = ["footprint", "calc", str(EXAMPLES / "laptop.json"), "--json", "--data-dir", data_dir]
    intervals = []
    for seed in ("11", "11", "12"):
        _, out, _ = run(capsys, *args, "--iterations", "400", "--seed", seed)
        intervals.append(json.loads(out)["interval"])
    assert intervals[0] == intervals[1] != intervals[2]
    assert intervals[0]["iterations"] == 400
    _, out, _ = run(capsys, *args, "--no-interval")
    assert json.loads(out)["interval"] is None


def _own_dataset(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A dataset version file of one's own, and the hotpot inventory citing it for its power."""
    grid = json.loads((EXAMPLES.parents[1] / "registry/data/factors/cn-grid.json").read_text())
    grid["dataset"] = "cq-plant-meter"
    grid["factors"] = [dict(grid["factors"][0], id="green-power-contract", value="0.0500")]
    grid["factors"][0]["gases"] = {"CO2": "0.0500"}
    path = tmp_path / "own.json"
    path.write_text(json.dumps(grid), "utf-8")
    inventory = example("hotpot-seasoning.yaml")
    inventory["factorDatasets"].append(
        {"dataset": "cq-plant-meter", "version": "1", "digest": document_digest(grid)}
    )
    power = next(line for line in inventory["lines"] if line["id"] == "plant-electricity")
    power["factor"] = {"dataset": "cq-plant-meter", "version": "1", "id": "green-power-contract"}
    inventory_path = tmp_path / "hotpot.json"
    inventory_path.write_text(json.dumps(inventory, ensure_ascii=False), "utf-8")
    return path, inventory


def test_factors_given_as_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data_dir: str
) -> None:
    dataset, _ = _own_dataset(tmp_path)
    inventory = str(tmp_path / "hotpot.json")
    code, out, _ = run(
        capsys, "footprint", "calc", inventory, "--json", "--factors", str(dataset),
        "--data-dir", data_dir,
    )  # fmt: skip
    assert code == 0
    # 350 kWh at 0.05 instead of 0.2472 kg CO2e/kWh, per 1,000 kg.
    assert json.loads(out)["kg_co2e_per_unit"] == "3.314700000"
    code, out, err = run(capsys, "footprint", "calc", inventory, "--data-dir", data_dir)
    assert code == 1
    index = example("hotpot-seasoning.yaml")["lines"].index(
        next(x for x in example("hotpot-seasoning.yaml")["lines"] if x["id"] == "plant-electricity")
    )
    assert f"error: unknown_dataset: lines[{index}].factor: " in err
    assert "cq-plant-meter@1" in err


def test_a_refused_inventory_exits_1_naming_the_code_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data_dir: str
) -> None:
    cement = example("cement.json")
    cement["lines"][4]["unit"] = "kg"
    cement["lines"] = [line for line in cement["lines"] if line["stage"] != "production"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(cement), "utf-8")
    code, out, err = run(capsys, "footprint", "calc", str(path), "--data-dir", data_dir)
    assert code == 1 and out == ""
    assert "error: rule_violated: lines: " in err and "required_stage:production" in err
    code, out, err = run(capsys, "footprint", "calc", str(path), "--json", "--data-dir", data_dir)
    assert code == 1
    assert json.loads(out)["error"]["code"] == "rule_violated"
    path.write_text("{not json", "utf-8")
    code, _, err = run(capsys, "footprint", "calc", str(path), "--data-dir", data_dir)
    assert code == 1 and "error: not_json" in err
    code, _, err = run(capsys, "footprint", "calc", str(tmp_path / "none.json"))
    assert code == 1 and "error: invalid_field: cannot read" in err


def test_submit_into_the_data_dir(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    engine = make_engine(settings)
    migrate(engine)
    publish_starter_datasets(engine)
    with Session(engine, expire_on_commit=False) as session:
        org, _ = create_org(session, name="Chongqing Cement Co. (test)", role=OrgRole.ENTERPRISE)
    args = ["footprint", "calc", str(EXAMPLES / "cement.json"), "--submit", "--org", org.id]
    code, _, err = run(capsys, *args, "--data-dir", str(settings.data_dir))
    assert code == 1 and "--period" in err
    code, out, _ = run(
        capsys, *args, "--period", "2025-01-01/2025-12-31", "--geography", "CN-CQ",
        "--data-dir", str(settings.data_dir),
    )  # fmt: skip
    assert code == 0, out
    footprint_id = out.strip().splitlines()[-1]
    with Session(engine) as session:
        row = session.get(Footprint, footprint_id)
        assert row is not None and row.org_id == org.id
        assert row.data["calculation"]["kg_co2e_per_unit"] == "684.330160000"
        assert row.data["geography"] == {"country": "CN", "subdivision": "CN-CQ"}
        assert row.data["company_name"] == "Chongqing Cement Co. (test)"
        uses = session.exec(
            select(FootprintFactor).where(FootprintFactor.footprint_id == footprint_id)
        ).all()
        assert len(uses) == 7
    code, _, err = run(
        capsys, *args, "--period", "2025-01-01/2025-12-31", "--geography", "CN-CQ",
        "--factors", str(EXAMPLES / "cement.json"), "--data-dir", str(settings.data_dir),
    )  # fmt: skip
    assert code == 1 and "--submit takes the factor datasets published" in err
    engine.dispose()
