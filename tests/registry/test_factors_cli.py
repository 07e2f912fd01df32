"""``tanji factors …`` through ``registry.cli.main``, as a publisher and an operator run them:
CSV import with per-row refusals (nothing stored), publishing with a key from the environment
(never printed), export to CSV and JSON and back, search, and the impact of a deprecation."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from registry.cli import main
from registry.config import load_settings
from registry.crud import suppliers
from registry.crud.footprints import add_footprint
from registry.crud.orgs import create_org
from registry.db import make_engine, migrate
from registry.factors.crud import record_footprint_factors
from registry.factors.models import Factor, FactorDatasetVersion
from registry.factors.tables import CSV_COLUMNS, factors_from_csv, factors_to_csv
from registry.models.footprints import Footprint, FootprintCreate
from registry.models.orgs import OrgRole
from registry.models.suppliers import KeyRegistration
from tests.registry.factories import footprint
from tests.registry.factors_data import (
    GRID,
    PUBLISHER_KEY,
    STEEL,
    TRUCK,
    address_of,
    document,
    factor,
)
from verifier.protocol.accounting.documents import document_digest

KEY_ENV = "TANJI_TEST_FACTOR_PUBLISHER_KEY"
CHAIN = ["--chain-id", "20240", "--contract", "0x" + "5a" * 20]
BASE_URL = "https://tanji.test"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir with a publisher organisation whose key is in ``$KEY_ENV``."""
    monkeypatch.setenv(KEY_ENV, PUBLISHER_KEY)
    monkeypatch.setenv("TANJI_BASE_URL", BASE_URL)
    path = tmp_path / "data"
    engine = _engine(path)
    with Session(engine, expire_on_commit=False) as session:
        org, _ = create_org(session, name="Chongqing Carbon Data Centre", role=OrgRole.PUBLISHER)
        address = address_of(PUBLISHER_KEY)
        text = suppliers.registration_message(base_url=BASE_URL, org_id=org.id, address=address)
        proof = Account.sign_message(encode_defunct(text=text), private_key=PUBLISHER_KEY)
        body = KeyRegistration(address=address, signature="0x" + bytes(proof.signature).hex())
        suppliers.register_key(session, org=org, body=body, base_url=BASE_URL)
        session.commit()
    engine.dispose()
    return path


def _engine(path: Path) -> Engine:
    engine = make_engine(load_settings(data_dir=path))
    migrate(engine)
    return engine


def _versions(path: Path) -> list[str]:
    engine = _engine(path)
    try:
        with Session(engine) as session:
            return list(session.exec(select(FactorDatasetVersion.id)).all())
    finally:
        engine.dispose()


def _csv(rows: list[dict[str, Any]]) -> str:
    return factors_to_csv(rows)


def test_a_csv_is_imported_whole_or_not_at_all(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        _csv(
            [
                GRID,  # row 2: fine
                factor(STEEL, unit="kg CO2e per kilo"),  # row 3
                factor(TRUCK, illustrative=False),  # row 4: no citation
                factor(STEEL, names={"en": "again"}),  # row 5: the id of row 3
            ]
        ),
        "utf-8",
    )
    argv = ["factors", "import", str(bad), "--dataset", "cq-csv", "--version", "1"]
    code, out, err = run(capsys, *argv, "--key-env", KEY_ENV, *CHAIN, "--data-dir", str(data))
    assert code == 1
    assert "row 3, column unit: bad_unit:" in err
    assert "row 4, column source: missing_citation:" in err
    assert "row 5, column id: duplicate_id:" in err
    assert err.strip().splitlines()[-1].startswith("error: ")
    assert PUBLISHER_KEY[2:] not in out + err
    assert _versions(data) == []
    engine = _engine(data)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Factor)).one() == 0
    engine.dispose()

    # A header the format does not know is refused before any row.
    odd = tmp_path / "odd.csv"
    odd.write_text("id,value,colour\nx,1,red\n", "utf-8")
    code, _, err = run(
        capsys, "factors", "import", str(odd), "--dataset", "cq-csv", "--version", "1",
        "--key-env", KEY_ENV, *CHAIN, "--data-dir", str(data),
    )  # fmt: skip
    assert code == 1 and "error: unknown_column: row 1: unknown column 'colour'" in err


def test_import_publish_export_and_search(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(_csv([GRID, STEEL, TRUCK]), "utf-8")
    code, out, err = run(
        capsys, "factors", "import", str(good), "--dataset", "cq-csv", "--version", "1",
        "--published", "2026-12-01", "--key-env", KEY_ENV, *CHAIN, "--data-dir", str(data),
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith("cq-csv@1 published by ")
    assert PUBLISHER_KEY[2:] not in out + err
    assert _versions(data) == ["cq-csv@1"]

    # Export as JSON: the signed document, the CSV's factors exactly.
    code, out, _ = run(capsys, "factors", "export", "cq-csv@1", "--data-dir", str(data))
    assert code == 0
    exported = json.loads(out)
    assert exported["factors"] == [GRID, STEEL, TRUCK]
    assert exported["publisher"]["address"] == address_of(PUBLISHER_KEY)
    # Export as CSV: every documented column, and it reads back to the same factors.
    target = tmp_path / "out.csv"
    code, _, _ = run(
        capsys, "factors", "export", "cq-csv@1", "--format", "csv", "--out", str(target),
        "--data-dir", str(data),
    )  # fmt: skip
    assert code == 0
    text = target.read_text("utf-8")
    assert tuple(next(csv.reader(io.StringIO(text)))) == CSV_COLUMNS
    assert factors_from_csv(text) == exported["factors"]
    # The exported CSV imported again (written, not published) is the same document.
    again = tmp_path / "again.json"
    code, _, err = run(
        capsys, "factors", "import", str(target), "--dataset", "cq-csv", "--version", "1",
        "--published", "2026-12-01", "--publisher-name", exported["publisher"]["name"],
        "--publisher-address", exported["publisher"]["address"], "--out", str(again),
        "--data-dir", str(data),
    )  # fmt: skip
    assert code == 0, err
    assert document_digest(json.loads(again.read_text("utf-8"))) == document_digest(exported)

    code, out, _ = run(capsys, "factors", "search", "重庆", "--data-dir", str(data))
    assert code == 0 and out.startswith("cq-csv@1:cq-grid-2022\t0.5366\tkg CO2e / kWh")
    code, out, _ = run(
        capsys, "factors", "search", "--category", "material", "--data-dir", str(data)
    )
    assert code == 0 and out.strip().endswith("(illustrative)")


def test_publish_a_document_and_list_the_impact_of_its_deprecations(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "v1.json"
    first.write_text(json.dumps(_document("1", [GRID, STEEL, TRUCK])), "utf-8")
    code, out, err = run(
        capsys, "factors", "publish", str(first), "--key-env", KEY_ENV, *CHAIN,
        "--data-dir", str(data),
    )  # fmt: skip
    assert code == 0, err
    # Two certified footprints, one of which used the factor the next version retires.
    engine = _engine(data)
    with Session(engine, expire_on_commit=False) as session:
        org, _ = create_org(session, name="Bishan Computing", role=OrgRole.ENTERPRISE)
        used = add_footprint(
            session, org=org, item=FootprintCreate.model_validate(footprint(gtin=None))
        )
        other = add_footprint(
            session,
            org=org,
            item=FootprintCreate.model_validate(
                footprint(gtin=None, product_ids=["urn:tanji:sku:B"])
            ),
        )
        for row in (used, other):
            row.status = "certified"
            session.add(row)
        session.flush()
        record_footprint_factors(session, used.id, [("cq-doc", "1", "steel-test")])
        record_footprint_factors(session, other.id, [("cq-doc", "1", "cq-grid-2022")])
        session.commit()
        assert session.exec(select(func.count()).select_from(Footprint)).one() == 2
    engine.dispose()

    second = tmp_path / "v2.json"
    second.write_text(json.dumps(_document("2", [GRID], deprecates=["steel-test"])), "utf-8")
    code, out, err = run(
        capsys, "factors", "publish", str(second), "--key-env", KEY_ENV, *CHAIN,
        "--data-dir", str(data),
    )  # fmt: skip
    assert code == 0, err
    code, out, err = run(capsys, "factors", "impact", "cq-doc@2", "--data-dir", str(data))
    assert code == 0
    (line,) = out.strip().splitlines()
    assert line.split("\t") == [used.id, "laptop", "-", "cq-doc@1:steel-test"]
    assert "1 certified footprint(s) used a factor that cq-doc@2 deprecates" in err
    code, out, _ = run(capsys, "factors", "impact", "cq-doc@2", "--json", "--data-dir", str(data))
    assert [item["footprint_id"] for item in json.loads(out)] == [used.id]
    code, _, err = run(capsys, "factors", "impact", "cq-doc", "--data-dir", str(data))
    assert code == 1 and "bad_dataset_version" in err


def test_the_key_and_the_deployment_are_checked(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "v1.json"
    doc.write_text(json.dumps(_document("1", [GRID])), "utf-8")
    publish = ["factors", "publish", str(doc), "--key-env", KEY_ENV, "--data-dir", str(data)]
    # No anchor contract known yet for this data dir's chain.
    code, _, err = run(capsys, *publish)
    assert code == 1 and "error: no_contract:" in err
    monkeypatch.setenv(KEY_ENV, "not-a-key-0123")
    code, out, err = run(capsys, *publish, *CHAIN)
    assert code == 1 and "bad_private_key" in err and "not-a-key-0123" not in out + err
    monkeypatch.delenv(KEY_ENV)
    code, _, err = run(capsys, *publish, *CHAIN)
    assert code == 1 and "missing_key_env" in err
    # A key no publisher registered.
    monkeypatch.setenv(KEY_ENV, "0x" + "11" * 32)
    code, _, err = run(capsys, *publish, *CHAIN)
    assert code == 1 and "unregistered_key" in err
    assert _versions(data) == []


def _document(version: str, factors: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return document(
        dataset="cq-doc",
        version=version,
        factors=factors,
        publisher_name="Chongqing Carbon Data Centre",
        **extra,
    )
