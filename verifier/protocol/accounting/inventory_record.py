"""An inventory as an anchored record, one field per line (docs/PROTOCOL.md section 17.6).

The one mapping between a ``tanji-inventory/1`` document and its ``inventory`` record. Each root
line is a field of its own (``line:<id>``), so it has its own salted commitment (section 4) and can
be disclosed or hidden alone; everything else of the document (header, sub-inventories) is the
field ``inventory``, and ``line_ids`` keeps the order of the lines::

    {"type": "inventory", "id": "<record id>",
     "inventory": {<the document without "lines">},
     "line_ids": ["L1", "L2", ...],
     "line:L1": {<line L1>}, "line:L2": {<line L2>}, ...}

:func:`inventory_document` turns a fully disclosed record back into the very document (same
digest); :func:`disclosed_document` turns a redacted one into the document of its disclosed lines
only, which is enough to recompute those lines' values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from verifier.protocol.accounting.errors import AccountingError, Issue
from verifier.protocol.records import INVENTORY

__all__ = [
    "HEADER_FIELD",
    "LINE_IDS_FIELD",
    "LINE_PREFIX",
    "disclosed_document",
    "inventory_document",
    "inventory_record",
    "line_field",
]

#: The field holding the document without its ``lines``.
HEADER_FIELD: Final = "inventory"
#: The field listing the root lines' ids in the document's order.
LINE_IDS_FIELD: Final = "line_ids"
#: The prefix of a line's field name: ``line:<id>``.
LINE_PREFIX: Final = "line:"


def line_field(line_id: str) -> str:
    """The record field holding the root line ``line_id``."""
    return LINE_PREFIX + line_id


def _refuse(code: str, path: str, message: str) -> AccountingError:
    return AccountingError([Issue(code, path, message, {})])


def inventory_record(document: Mapping[str, Any], record_id: str) -> dict[str, Any]:
    """The ``inventory`` record ``record_id`` of a parsed-and-accepted ``document``."""
    lines = document.get("lines")
    if not isinstance(lines, list):
        raise _refuse("missing_field", "lines", "an inventory has lines")
    record: dict[str, Any] = {
        "type": INVENTORY,
        "id": record_id,
        HEADER_FIELD: {k: v for k, v in document.items() if k != "lines"},
        LINE_IDS_FIELD: [],
    }
    for index, line in enumerate(lines):
        line_id = line.get("id") if isinstance(line, Mapping) else None
        if not isinstance(line_id, str) or line_field(line_id) in record:
            raise _refuse("bad_line_id", f"lines[{index}].id", "each line has its own id")
        record[LINE_IDS_FIELD].append(line_id)
        record[line_field(line_id)] = line
    return record


def _parts(record: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[str]]:
    if record.get("type") != INVENTORY:
        raise _refuse("not_inventory", "type", f"not an {INVENTORY!r} record")
    header = record.get(HEADER_FIELD)
    ids = record.get(LINE_IDS_FIELD)
    if not isinstance(header, Mapping) or "lines" in header:
        raise _refuse("missing_field", HEADER_FIELD, "the record's inventory header is hidden")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise _refuse("missing_field", LINE_IDS_FIELD, "the record's line ids are hidden")
    return header, ids


def disclosed_document(record: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The document of the record's disclosed lines (in order) and the ids of the hidden ones.

    Header and ``line_ids`` must be disclosed; a line field ``line:<id>`` for an id not listed in
    ``line_ids`` is refused (``unlisted_line``).
    """
    header, ids = _parts(record)
    listed = {line_field(i) for i in ids}
    for name in record:
        if name.startswith(LINE_PREFIX) and name not in listed:
            raise _refuse("unlisted_line", name, f"{name} is not in {LINE_IDS_FIELD}")
    lines = [record[line_field(i)] for i in ids if line_field(i) in record]
    hidden = [i for i in ids if line_field(i) not in record]
    return {**header, "lines": lines}, hidden


def inventory_document(record: Mapping[str, Any]) -> dict[str, Any]:
    """The document of a fully disclosed ``inventory`` record (its digest is the original's)."""
    document, hidden = disclosed_document(record)
    if hidden:
        raise _refuse("hidden_lines", LINE_IDS_FIELD, f"lines not disclosed: {', '.join(hidden)}")
    return document
