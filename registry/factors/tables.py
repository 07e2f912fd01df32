"""A factor dataset's factors as CSV (one row per factor) and JSON, in and out.

The columns are documented in docs/ACCOUNTING.md ("CSV columns"); :data:`CSV_COLUMNS` is their
one definition and order. Reading maps cells to the document's members and nothing more: an empty
cell is an absent member (all ``source.*`` cells empty: an empty ``source``), ``year`` and
``quality.*`` become integers when they are digits, ``illustrative`` a boolean when it is
``true`` or ``false``, ``gases`` a mapping when it is ``GAS=VALUE;…``; every other check is
the ``tanji-factors/1`` parser's, whose issues (``factors[3].unit``) :func:`row_detail` turns
back into CSV rows and columns. Writing is the inverse, so an export imported again gives the
same document and digest.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from registry.errors import InvalidInputError

__all__ = [
    "CSV_COLUMNS",
    "MAX_ROWS",
    "factors_from_csv",
    "factors_to_csv",
    "read_factor_file",
    "row_detail",
]

#: The CSV columns, in the order export writes them.
CSV_COLUMNS: Final[tuple[str, ...]] = (
    "id",
    "names.zh-Hans",
    "names.zh-Hant",
    "names.en",
    "value",
    "unit",
    "category",
    "gases",
    "gwp",
    "geography",
    "year",
    "source.document",
    "source.table",
    "source.page",
    "source.url",
    "uncertainty.distribution",
    "uncertainty.sd",
    "uncertainty.gsd",
    "uncertainty.min",
    "uncertainty.max",
    "quality.reliability",
    "quality.completeness",
    "quality.temporal",
    "quality.geographical",
    "quality.technological",
    "illustrative",
    "notes",
)
#: Members read as integers when the cell is digits.
_INTEGER_COLUMNS: Final = frozenset({"year"} | {c for c in CSV_COLUMNS if c.startswith("quality.")})
#: Rows of one import (a dataset version is hundreds or thousands of factors).
MAX_ROWS: Final = 100_000
_DIGITS: Final = re.compile(r"-?[0-9]{1,9}")
_FACTOR_PATH: Final = re.compile(r"factors\[([0-9]+)\](?:\.(.*))?")


def _refused(message: str, *, code: str, row: int | None, column: str | None) -> InvalidInputError:
    detail: dict[str, Any] = {"code": code, "message": message}
    if row is not None:
        detail["row"] = row
    if column is not None:
        detail["column"] = column
    where = f"row {row}" if row is not None else "the header"
    return InvalidInputError(
        f"{where}: {message}", code=code, field=column or "file", details=[detail]
    )


def _cell(value: str, column: str) -> Any:
    if column in _INTEGER_COLUMNS and _DIGITS.fullmatch(value):
        return int(value)
    if column == "illustrative" and value in ("true", "false"):
        return value == "true"
    if column == "gases" and "=" in value:
        gases: dict[str, str] = {}
        for part in value.split(";"):
            gas, _, amount = part.partition("=")
            gases[gas.strip()] = amount.strip()
        return gases
    return value


def factors_from_csv(text: str) -> list[dict[str, Any]]:
    """The factors of a CSV (:data:`CSV_COLUMNS`, any order), one per row, as document members.

    Raises :class:`InvalidInputError` for what is not a table of these columns (no header,
    ``unknown_column``, ``duplicate_column``, ``bad_row`` of another length than the header,
    ``too_many_rows``); the cells' contents are the parser's to judge.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise _refused("the file is empty", code="empty_file", row=None, column=None) from None
    except csv.Error as exc:
        raise _refused(str(exc), code="bad_csv", row=1, column=None) from None
    for name in header:
        if name not in CSV_COLUMNS:
            raise _refused(
                f"unknown column {name!r} (see docs/ACCOUNTING.md, 'CSV columns')",
                code="unknown_column",
                row=1,
                column=name,
            )
        if header.count(name) > 1:
            raise _refused(
                f"column {name!r} appears twice", code="duplicate_column", row=1, column=name
            )
    factors: list[dict[str, Any]] = []
    try:
        for row_number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            if len(cells) != len(header):
                raise _refused(
                    f"the row has {len(cells)} cells, the header {len(header)}",
                    code="bad_row",
                    row=row_number,
                    column=None,
                )
            if len(factors) >= MAX_ROWS:
                raise _refused(
                    f"more than {MAX_ROWS:,} rows",
                    code="too_many_rows",
                    row=row_number,
                    column=None,
                )
            factors.append(_factor(dict(zip(header, cells, strict=True))))
    except csv.Error as exc:
        raise _refused(str(exc), code="bad_csv", row=reader.line_num, column=None) from None
    return factors


def _factor(row: Mapping[str, str]) -> dict[str, Any]:
    factor: dict[str, Any] = {}
    for column in CSV_COLUMNS:
        value = row.get(column, "").strip()
        if not value:
            continue
        head, _, member = column.partition(".")
        if member:
            factor.setdefault(head, {})[member] = _cell(value, column)
        else:
            factor[head] = _cell(value, column)
    # Every factor has a source; an uncited (illustrative) one has an empty one: empty cells.
    factor.setdefault("source", {})
    return factor


def factors_to_csv(factors: Iterable[Mapping[str, Any]]) -> str:
    """The CSV of ``factors`` (document members), every column of :data:`CSV_COLUMNS`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for factor in factors:
        writer.writerow([_text(factor, column) for column in CSV_COLUMNS])
    return out.getvalue()


def _text(factor: Mapping[str, Any], column: str) -> str:
    head, _, member = column.partition(".")
    value = factor.get(head)
    if member:
        value = value.get(member) if isinstance(value, Mapping) else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):  # per-gas values
        return ";".join(f"{gas}={amount}" for gas, amount in value.items())
    return str(value)


def read_factor_file(path: Path) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """``(document or None, factors)`` of a ``.csv`` or ``.json`` file.

    JSON: a whole ``tanji-factors/1`` document, an object with ``factors``, or a list of factors.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc}", code="unreadable_file") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path} is not UTF-8", code="not_utf8", field="file") from None
    if path.suffix.lower() == ".csv":
        return None, factors_from_csv(text)
    if path.suffix.lower() != ".json":
        raise InvalidInputError(
            f"{path}: give a .csv or .json file", code="unknown_file_type", field="file"
        )
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInputError(
            f"{path} is not JSON: {exc}", code="bad_json", field="file"
        ) from None
    if isinstance(data, list):
        return None, _factor_list(data)
    if isinstance(data, dict) and "factors" in data:
        document = data if "format" in data else None
        return document, _factor_list(data["factors"])
    raise InvalidInputError(
        f"{path}: expected a tanji-factors/1 document, an object with 'factors', or a list",
        code="bad_json",
        field="file",
    )


def _factor_list(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise InvalidInputError("factors must be a list", code="wrong_type", field="factors")
    return list(value)


def row_detail(path: str, *, csv_rows: bool) -> dict[str, Any]:
    """Where a parser issue's ``path`` is: ``{"row", "column"}`` of a CSV (the header is row 1),
    or ``{"index"}`` of a JSON factor list; ``{}`` for a document-level path."""
    match = _FACTOR_PATH.fullmatch(path)
    if match is None:
        return {}
    index, member = int(match.group(1)), match.group(2) or ""
    if not csv_rows:
        return {"index": index}
    return {"row": index + 2, "column": _column_of(member)}


def _column_of(member: str) -> str | None:
    """The CSV column of a factor member path: itself (``source.url``), else the member holding
    it (``gases.CO2`` → ``gases``, ``names`` or ``source`` as a whole); ``None`` for the row."""
    if member in CSV_COLUMNS:
        return member
    head = re.split(r"[.\[]", member, maxsplit=1)[0]
    return head or None
