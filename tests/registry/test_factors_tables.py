"""CSV and JSON files of factors (registry/factors/tables.py): the documented columns, what a
cell becomes, refusals of what is not such a table, and where a parser issue is in the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.errors import InvalidInputError
from registry.factors.tables import (
    CSV_COLUMNS,
    factors_from_csv,
    factors_to_csv,
    read_factor_file,
    row_detail,
)
from tests.registry.factors_data import GRID, STEEL, TRUCK

DOCS = Path(__file__).resolve().parents[2] / "docs" / "ACCOUNTING.md"


def test_every_column_is_documented() -> None:
    text = DOCS.read_text("utf-8")
    section = text.split("### CSV columns", 1)[1].split("\n## ", 1)[0]
    for column in CSV_COLUMNS:
        assert f"`{column}`" in section, column


def test_csv_round_trip_is_exact() -> None:
    text = factors_to_csv([GRID, STEEL, TRUCK])
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert factors_from_csv(text) == [GRID, STEEL, TRUCK]
    # Columns in any order, a byte-order mark, blank lines, spaces around cells.
    shuffled = (
        "\ufeffvalue,id,year,gases,illustrative,quality.reliability\n"
        "\n"
        " 1.5 ,a,2024,CO2=1.5;CH4=0,true,2\n"
    )
    (row,) = factors_from_csv(shuffled)
    assert row == {
        "value": "1.5",
        "id": "a",
        "year": 2024,
        "gases": {"CO2": "1.5", "CH4": "0"},
        "illustrative": True,
        "quality": {"reliability": 2},
        "source": {},
    }
    # What is not an integer or a boolean stays text, for the parser to refuse with its code.
    (row,) = factors_from_csv("id,year,illustrative\na,2024.0,yes\n")
    assert row["year"] == "2024.0" and row["illustrative"] == "yes"


@pytest.mark.parametrize(
    ("text", "code", "row"),
    [
        ("", "empty_file", None),
        ("id,colour\nx,red\n", "unknown_column", 1),
        ("id,id\nx,y\n", "duplicate_column", 1),
        ("id,value\nx,1\ny\n", "bad_row", 3),
    ],
)
def test_what_is_not_a_table_of_factors_is_refused(text: str, code: str, row: int | None) -> None:
    with pytest.raises(InvalidInputError) as refused:
        factors_from_csv(text)
    assert refused.value.code == code
    assert refused.value.details[0].get("row") == row


def test_issue_paths_become_rows_and_columns() -> None:
    assert row_detail("factors[0].unit", csv_rows=True) == {"row": 2, "column": "unit"}
    assert row_detail("factors[3].source", csv_rows=True) == {"row": 5, "column": "source"}
    assert row_detail("factors[3].source.url", csv_rows=True) == {"row": 5, "column": "source.url"}
    assert row_detail("factors[1].gases.CO2", csv_rows=True) == {"row": 3, "column": "gases"}
    assert row_detail("factors[7]", csv_rows=True) == {"row": 9, "column": None}
    assert row_detail("factors[7].id", csv_rows=False) == {"index": 7}
    assert row_detail("publisher.address", csv_rows=True) == {}


def test_json_files(tmp_path: Path) -> None:
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([GRID]), "utf-8")
    assert read_factor_file(listed) == (None, [GRID])
    whole = tmp_path / "doc.json"
    doc = {"format": "tanji-factors/1", "dataset": "x", "factors": [STEEL]}
    whole.write_text(json.dumps(doc), "utf-8")
    assert read_factor_file(whole) == (doc, [STEEL])
    for name, content, code in (
        ("bad.json", "{", "bad_json"),
        ("odd.json", '{"x": 1}', "bad_json"),
        ("f.txt", "x", "unknown_file_type"),
    ):
        path = tmp_path / name
        path.write_text(content, "utf-8")
        with pytest.raises(InvalidInputError) as refused:
            read_factor_file(path)
        assert refused.value.code == code
